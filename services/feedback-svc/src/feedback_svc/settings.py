"""feedback-svc settings: the platform's, the merchant calendar (for business-hours SLA clocks),
survey timing and where customers reach the survey pages."""

from __future__ import annotations

from datetime import timedelta

from orderpulse.settings import CalendarSettings, PlatformSettings
from pydantic import Field, field_validator, model_validator

from feedback_svc.domain.durations import parse_duration
from feedback_svc.domain.errors import InvalidDuration
from feedback_svc.domain.issues import SlaPolicy

SERVICE = "feedback-svc"
SURVEY_SECRET = "surveys"


class FeedbackSettings(CalendarSettings, PlatformSettings):
    """Environment: `ORDERPULSE_SURVEY_DELAY=1h`, `ORDERPULSE_SURVEY_EXPIRY=14d`,
    `ORDERPULSE_ISSUE_ACK_WITHIN=24h`, `ORDERPULSE_ISSUE_RESOLVE_WITHIN=48h`,
    `ORDERPULSE_PUBLIC_URLS='{"feedback-svc": "https://feedback.example.com"}'`,
    `ORDERPULSE_SIGNING_SECRETS='{"surveys": "..."}'`, `ORDERPULSE_WORKING_HOURS=09:00-17:00`, ..."""

    service_name: str = SERVICE
    survey_delay: str = Field(default="1h", description="from the delivery's event time to the survey request, e.g. 1h, 90s, 0s")
    survey_expiry: str = Field(default="14d", description="how long a survey link can be answered, from when it was sent")
    issue_ack_within: str = Field(default="24h", description="the acknowledge clock of an issue")
    issue_resolve_within: str = Field(default="48h", description="the resolve clock of an issue")
    public_urls: dict[str, str] = Field(
        default_factory=dict, description="service name -> public base URL; survey links use feedback-svc's"
    )
    public_port: int = Field(default=8004, description="the port of the default public URL when none is configured")
    due_work_max_sleep_s: float = Field(default=10.0, gt=0, description="the due-work loop looks at least this often")
    due_work_batch_size: int = Field(default=200, ge=1, le=5000)

    @field_validator("survey_delay", "survey_expiry", "issue_ack_within", "issue_resolve_within")
    @classmethod
    def _readable_duration(cls, value: str) -> str:
        try:
            parse_duration(value)
        except InvalidDuration as error:
            raise ValueError(error.detail) from None
        return value

    @model_validator(mode="after")
    def _survey_secret_outside_tests(self) -> FeedbackSettings:
        if self.environment == "production" and SURVEY_SECRET not in self.signing_secrets:
            raise ValueError('signing_secrets needs a "surveys" secret: survey links are signed with it')
        return self

    @property
    def public_url(self) -> str:
        return self.public_urls.get(SERVICE) or f"http://127.0.0.1:{self.public_port}"

    def survey_secret(self) -> str:
        secret = self.signing_secrets.get(SURVEY_SECRET)
        if secret is None:
            raise RuntimeError('ORDERPULSE_SIGNING_SECRETS has no "surveys" secret; survey links cannot be signed')
        return secret.get_secret_value()

    def sla_policy(self) -> SlaPolicy:
        return SlaPolicy(
            ack_within=parse_duration(self.issue_ack_within),
            resolve_within=parse_duration(self.issue_resolve_within),
            clock=self.sla_clock(),
        )

    @property
    def survey_delay_duration(self) -> timedelta:
        return parse_duration(self.survey_delay)

    @property
    def survey_expiry_duration(self) -> timedelta:
        return parse_duration(self.survey_expiry)

"""Survey links: a signed, expiring token naming the survey, under feedback-svc's public URL."""

from __future__ import annotations

from datetime import datetime

from orderpulse.signed_tokens import ExpiredToken, ForgedToken, TokenSigner

from feedback_svc.domain.errors import SurveyExpired, SurveyNotFound

PURPOSE = "survey"


class SurveyLinks:
    def __init__(self, secret: str | bytes, *, public_url: str) -> None:
        self._signer = TokenSigner(secret, purpose=PURPOSE)
        self._base = public_url.rstrip("/")

    def url(self, survey_id: str, *, expires_at: datetime) -> str:
        return f"{self._base}/surveys/{self._signer.sign(survey_id, expires_at=expires_at)}"

    def survey_id(self, token: str, *, now: datetime) -> str:
        """The survey a token names; a forged token is `SurveyNotFound`, an old one `SurveyExpired`."""
        if not token.isascii():  # the shared verifier would fail on non-ASCII text instead of refusing it
            raise SurveyNotFound("no survey is waiting behind this link")
        try:
            return self._signer.verify(token, now=now)
        except ExpiredToken:
            raise SurveyExpired("this survey link has expired") from None
        except ForgedToken:
            raise SurveyNotFound("no survey is waiting behind this link") from None

"""Messages from Jinja2 templates: `templates/<locale>/<milestone>.j2` holds the subject, the message
and the SMS text; `_layout.txt.j2` / `_layout.html.j2` wrap the message with the order id and the
tracking link. A locale without templates falls back to its language, then to English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from notify_svc.domain.triggers import parse_time
from notify_svc.service_layer.ports import OutgoingMessage

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_LOCALE = "en"


def _date(value: object) -> str:
    moment = value if isinstance(value, datetime) else parse_time(value)
    if moment is None:
        return str(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=False,
        auto_reload=False,  # the templates ship with the code: no stat() of the file at every render
    )
    env.filters["date"] = _date
    return env


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


class MessageRenderer:
    def __init__(self) -> None:
        self._text = _environment(autoescape=False)
        self._html = _environment(autoescape=True)
        self.locales = frozenset(p.name for p in TEMPLATES.iterdir() if p.is_dir())

    def locale_for(self, wanted: str) -> str:
        wanted = (wanted or DEFAULT_LOCALE).replace("_", "-")
        for candidate in (wanted, wanted.split("-")[0].lower()):
            if candidate in self.locales:
                return candidate
        return DEFAULT_LOCALE

    def render(self, message: OutgoingMessage) -> Rendered:
        locale = self.locale_for(message.locale)
        variables = {
            "order_id": message.order_id,
            "name": message.name,
            "tracking_url": message.tracking_url,
            "milestone": message.milestone,
            "details": _Details(message.details),
            "shipments": list(message.shipments),
        }
        template = self._text.get_template(f"{locale}/{message.milestone}.j2")
        subject = _block(template, "subject", variables).strip()
        body = _block(template, "message", variables).strip()
        sms = _block(template, "sms", variables).strip()
        paragraphs = [line for line in body.splitlines() if line.strip()]
        layout_vars = {**variables, "paragraphs": paragraphs, "subject": subject}
        text = self._text.get_template(f"{locale}/_layout.txt.j2").render(layout_vars)
        html = self._html.get_template(f"{locale}/_layout.html.j2").render(layout_vars)
        return Rendered(subject=subject, text=text, html=html, sms=sms)


def _block(template: Template, name: str, variables: dict) -> str:
    context = template.new_context(variables)
    return "".join(template.blocks[name](context))


class _Details(dict):
    """Details of the trigger; a field the event did not carry reads as empty, not as an error."""

    def __getattr__(self, name: str) -> object:
        return self.get(name)

"""What `orderpulse mail` prints: the stored mail and SMS as lines of text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import orjson

from orderpulse.stack.mailbox.mail import Mailbox
from orderpulse.stack.mailbox.texts import TextMessages

SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe")


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def list_lines(mailbox: Mailbox, texts: TextMessages, *, limit: int) -> Iterator[str]:
    """The newest `limit` of each, oldest first so the newest is nearest the prompt."""
    mails, total = mailbox.messages(limit), mailbox.count()
    yield f"Mail in {mailbox.folder} ({total}{', newest ' + str(limit) if total > limit else ''}):"
    if not mails:
        yield "  (none yet)"
    else:
        yield f"{'#':>5}  {'received (UTC)':<19}  {'to':<30}  subject"
    for mail in reversed(mails):
        yield f"{mail.number:>5}  {_when(mail.received_at):<19}  {_cut(mail.to, 30):<30}  {mail.subject}"
    messages, total = texts.messages(limit), texts.count()
    yield ""
    yield f"SMS and webhooks in {texts.folder} ({total}{', newest ' + str(limit) if total > limit else ''}):"
    if not messages:
        yield "  (none yet)"
    else:
        yield f"{'#':>5}  {'received (UTC)':<19}  {'kind':<7}  {'to':<20}  message"
    for text in reversed(messages):
        yield f"{text.number:>5}  {_when(text.received_at):<19}  {text.kind:<7}  {_cut(text.to, 20):<20}  {text.text}"


def mail_lines(mailbox: Mailbox, number: int, *, raw: bool = False) -> Iterator[str]:
    """One message: its main headers and its plain-text part (or the whole source with `raw`). KeyError if absent."""
    if raw:
        yield mailbox.raw(number).decode("utf-8", errors="replace").rstrip("\n")
        return
    summary = mailbox.get(number)
    parts = mailbox.parts(number)
    headers = {name.lower(): value for name, value in mailbox.headers(number).items()}
    yield f"Mail {number} (received {_when(summary.received_at)} UTC, {summary.size_bytes} bytes)"
    for name in SHOWN_HEADERS:
        if name.lower() in headers:
            yield f"{name}: {headers[name.lower()]}"
    yield ""
    if parts.text is not None:
        yield parts.text.rstrip("\n")
    else:
        yield "(no plain-text part)"
    if parts.html is not None:
        yield ""
        yield "(it also has an HTML part: open the mailbox page, or `orderpulse mail show --raw`)"


def text_lines(texts: TextMessages, number: int) -> Iterator[str]:
    """One SMS or webhook as stored. KeyError if absent."""
    yield orjson.dumps(texts.get(number).to_record(), option=orjson.OPT_INDENT_2).decode()

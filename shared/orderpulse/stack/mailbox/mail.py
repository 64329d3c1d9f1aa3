"""Mail as the SMTP sink keeps it: one RFC 5322 file per message, `<n>.eml`, once per Message-ID."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path

from orderpulse.stack.mailbox.folders import NumberedFolder


@dataclass(frozen=True)
class StoredMail:
    """What a list of messages shows of one: headers decoded, time as received."""

    number: int
    received_at: datetime
    message_id: str | None
    sender: str
    to: str
    subject: str
    size_bytes: int


@dataclass(frozen=True)
class MailParts:
    text: str | None
    html: str | None


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID header, stripped; None when the message has none."""
    value = _headers(raw).get("Message-ID")
    text = str(value).strip() if value is not None else ""
    return text or None


def _headers(raw: bytes) -> EmailMessage:
    return BytesHeaderParser(policy=policy.default).parsebytes(raw)


def _header_text(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError):  # a malformed header is shown as missing rather than breaking the list
        return ""
    return " ".join(str(value).split()) if value is not None else ""


class Mailbox:
    """The mail folder. `store` keeps a message unless one with the same Message-ID is already
    there (messages without a Message-ID are always kept); numbers only ever grow."""

    def __init__(self, folder: Path) -> None:
        self._files = NumberedFolder(folder, ".eml")
        self._seen: set[str] | None = None

    @property
    def folder(self) -> Path:
        return self._files.path

    def store(self, raw: bytes) -> int | None:
        """The number the message was stored under, or None when its Message-ID is already stored."""
        message_id = message_id_of(raw)
        with self._files.lock:
            if self._seen is None:
                self._seen = {found for found in map(self._stored_id, self._files.numbers()) if found}
            if message_id is not None and message_id in self._seen:
                return None
            number = self._files.add(raw)
            if message_id is not None:
                self._seen.add(message_id)
            return number

    def count(self) -> int:
        return len(self._files.numbers())

    def messages(self, limit: int | None = None) -> list[StoredMail]:
        """The stored messages, newest first; the newest `limit` of them when given."""
        return [self.get(number) for number in self._files.newest(limit)]

    def get(self, number: int) -> StoredMail:
        """One message's summary; KeyError when there is no such number."""
        path = self._files.file(number)
        try:
            raw = path.read_bytes()
            received = path.stat().st_mtime
        except FileNotFoundError:
            raise KeyError(number) from None
        headers = _headers(raw)
        return StoredMail(
            number=number,
            received_at=datetime.fromtimestamp(received, UTC),
            message_id=message_id_of(raw),
            sender=_header_text(headers, "From"),
            to=_header_text(headers, "To"),
            subject=_header_text(headers, "Subject"),
            size_bytes=len(raw),
        )

    def raw(self, number: int) -> bytes:
        try:
            return self._files.file(number).read_bytes()
        except FileNotFoundError:
            raise KeyError(number) from None

    def headers(self, number: int) -> dict[str, str]:
        """The message's headers, decoded and unfolded (the first of each name)."""
        message = _headers(self.raw(number))
        return {name: _header_text(message, name) for name in dict.fromkeys(message.keys())}

    def parts(self, number: int) -> MailParts:
        """The plain-text and HTML bodies a reader wants (either may be missing)."""
        message = BytesParser(policy=policy.default).parsebytes(self.raw(number))
        return MailParts(text=_content(message, "plain"), html=_content(message, "html"))

    def _stored_id(self, number: int) -> str | None:
        try:
            return message_id_of(self._files.file(number).read_bytes())
        except FileNotFoundError:
            return None


def _content(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        return part.get_content()
    except (LookupError, ValueError):  # an unknown charset: show the bytes as best we can
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")

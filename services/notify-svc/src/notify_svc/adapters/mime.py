"""An email as the bytes SMTP's DATA carries: multipart/alternative (text, then HTML), written directly.

The standard library's `email` package builds a tree of `Message` objects and flattens it
again through a header-folding generator; for notify-svc's one shape of mail that cost more CPU
than everything else the sender does per message (build 15 %, flatten 16 % and the address
parse of `send_message` 3 % of notify-svc's samples at 200 mails/s). The bytes below are the
ones that path produced, in the same form: each part utf-8, base64 (76-character lines), so no
line of a part can be mistaken for the boundary.

A value cannot start a header of its own: a CR or LF in it becomes a space (only the encoded
words of a long non-ASCII subject are folded, onto continuation lines); non-ASCII text goes as
RFC 2047 encoded words, except an internationalised address, which can
only travel raw (`smtputf8`: the server must support SMTPUTF8).
"""

from __future__ import annotations

import base64
import functools
import uuid
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, parseaddr, quote

CRLF = "\r\n"
_TEXT_PART = 'Content-Type: text/{subtype}; charset="utf-8"\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\n'


@dataclass(frozen=True)
class Mail:
    """What one SMTP transaction sends: the envelope and the message's bytes."""

    sender: str  # MAIL FROM
    recipient: str  # RCPT TO
    data: bytes
    smtputf8: bool = False


def multipart_alternative(headers: list[tuple[str, str]], text: str, html: str) -> bytes:
    """`headers` (already one-line values, see `one_line` / `encoded_text` / `address`) above the
    two parts; a boundary of its own for every mail."""
    boundary = f"=_orderpulse_{uuid.uuid4().hex}"  # base64 has no "-": no line of a part starts "--" like it
    lines = [f'Content-Type: multipart/alternative; boundary="{boundary}"', "MIME-Version: 1.0"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    head = CRLF.join(lines)
    return (
        f"{head}{CRLF}{CRLF}--{boundary}{CRLF}{_TEXT_PART.format(subtype='plain')}{_base64(text)}"
        f"--{boundary}{CRLF}{_TEXT_PART.format(subtype='html')}{_base64(html)}--{boundary}--{CRLF}"
    ).encode()


def _base64(text: str) -> str:
    return base64.encodebytes(text.encode("utf-8")).decode("ascii").replace("\n", CRLF)


def one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ") if "\r" in value or "\n" in value else value


def encoded_text(value: str) -> str:
    """An unstructured header value (Subject): as it is when ASCII, else encoded words (folded)."""
    value = one_line(value)
    return value if value.isascii() else Header(value, "utf-8").encode(linesep=CRLF)


def address(name: str, addr: str) -> str:
    """`Name <addr>` for From / To, the name quoted or encoded as needed."""
    name, addr = one_line(name), one_line(addr)
    if addr.isascii():
        return formataddr((name, addr), charset="utf-8")
    if not name:
        return addr
    shown = encoded_text(name) if not name.isascii() else f'"{quote(name)}"'
    return f"{shown} <{addr}>"


@functools.lru_cache(maxsize=16)
def sender_header(value: str) -> tuple[str, str]:
    """A From setting (`Name <addr>`) -> (the From header, the envelope address); the same for every
    mail, so parsed once."""
    name, addr = parseaddr(value)
    return address(name, addr), addr

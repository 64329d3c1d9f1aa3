"""SMS and webhooks as the HTTP receiver keeps them: one JSON file per message, `<n>.json`, once per webhook-id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from orderpulse.stack.mailbox.folders import NumberedFolder

Kind = Literal["sms", "webhook"]


@dataclass(frozen=True)
class StoredText:
    """One received SMS or webhook: who it was for and what it said, as far as the payload tells."""

    number: int
    kind: Kind
    webhook_id: str
    received_at: datetime
    payload: Any

    @property
    def to(self) -> str:
        return _first_text(self.payload, "to", "phone", "recipient", "customer_id")

    @property
    def text(self) -> str:
        return _first_text(self.payload, "body", "text", "message", "type")

    def to_record(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": self.kind,
            "webhook_id": self.webhook_id,
            "received_at": self.received_at.isoformat(),
            "payload": self.payload,
        }


def _first_text(payload: Any, *names: str) -> str:
    """The first of `names` that holds text, at the top of the payload or in its `data` object."""
    for scope in (payload, payload.get("data") if isinstance(payload, dict) else None):
        if isinstance(scope, dict):
            for name in names:
                if isinstance(scope.get(name), str):
                    return scope[name]
    return ""


class TextMessages:
    """The SMS folder. `store` keeps a message unless its webhook-id is already stored."""

    def __init__(self, folder: Path) -> None:
        self._files = NumberedFolder(folder, ".json")
        self._seen: set[str] | None = None

    @property
    def folder(self) -> Path:
        return self._files.path

    def store(self, kind: Kind, webhook_id: str, payload: Any, *, received_at: datetime | None = None) -> int | None:
        """The number the message was stored under, or None when its webhook-id is already stored."""
        moment = received_at or datetime.now(UTC)
        with self._files.lock:
            if self._seen is None:
                self._seen = {self.get(number).webhook_id for number in self._files.numbers()}
            if webhook_id in self._seen:
                return None
            record = {"kind": kind, "webhook_id": webhook_id, "received_at": moment.isoformat(), "payload": payload}
            number = self._files.add(orjson.dumps(record, option=orjson.OPT_INDENT_2))
            self._seen.add(webhook_id)
            return number

    def count(self) -> int:
        return len(self._files.numbers())

    def messages(self, limit: int | None = None) -> list[StoredText]:
        """The stored messages, newest first; the newest `limit` of them when given."""
        return [self.get(number) for number in self._files.newest(limit)]

    def get(self, number: int) -> StoredText:
        """KeyError when there is no such number."""
        try:
            record = orjson.loads(self._files.file(number).read_bytes())
        except FileNotFoundError:
            raise KeyError(number) from None
        return StoredText(
            number=number,
            kind=record["kind"],
            webhook_id=record["webhook_id"],
            received_at=datetime.fromisoformat(record["received_at"]),
            payload=record["payload"],
        )

"""A folder of numbered files (`1.eml`, `2.eml`, ...): the next number, and writes a reader never sees half done."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from orderpulse.stack.files import replace_file


class NumberedFolder:
    """Files named `<n><suffix>`, n counting up from 1; a file is written under a temporary name
    and renamed, so `orderpulse mail` and the page only ever read whole messages."""

    def __init__(self, path: Path, suffix: str) -> None:
        self.path = path
        self.suffix = suffix
        self._name = re.compile(rf"^([1-9][0-9]*){re.escape(suffix)}$")
        self.lock = threading.Lock()
        self._last: int | None = None

    def numbers(self) -> list[int]:
        """The numbers present, ascending; a missing folder has none."""
        if not self.path.is_dir():
            return []
        found = (self._name.match(entry.name) for entry in self.path.iterdir())
        return sorted(int(match.group(1)) for match in found if match)

    def newest(self, limit: int | None = None) -> list[int]:
        """The numbers present, newest first; the first `limit` of them when given."""
        return list(reversed(self.numbers()))[:limit]

    def file(self, number: int) -> Path:
        return self.path / f"{number}{self.suffix}"

    def add(self, content: bytes) -> int:
        """Write `content` as the next number and return it. Call with `lock` held."""
        if self._last is None:
            self.path.mkdir(parents=True, exist_ok=True)
            self._last = max(self.numbers(), default=0)
        number = self._last + 1
        replace_file(self.file(number), content)
        self._last = number
        return number

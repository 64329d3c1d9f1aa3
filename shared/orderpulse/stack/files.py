"""Writing a file so that a reader sees the old content or the new, never a half-written one."""

from __future__ import annotations

import os
from pathlib import Path


def replace_file(path: Path, content: bytes, *, mode: int = 0o600) -> None:
    """Write `content` under a temporary name in the same folder, created with `mode` (so a file
    holding secrets is never readable by others, not even for a moment), then rename it over `path`."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    os.chmod(temporary, mode)  # an earlier temporary file keeps its mode through O_CREAT
    os.replace(temporary, path)

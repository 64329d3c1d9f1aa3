"""Giving freed heap memory back to the operating system.

glibc's malloc keeps the pages of freed chunks that lie between chunks still in use: a process
that builds a large short-lived structure (kpi-svc's checkpoint delta: thousands of encoded
orders, freed once written) keeps its high-water mark resident although most of it is free.
`malloc_trim(0)` releases every whole free page inside the heap, not only its top
(docs/kpi-decisions.md, "Memory"). About a millisecond on a heap of ~100 MB; a no-op where the
C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable


def _trimmer() -> Callable[[], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


_TRIM = _trimmer()


def release_free_heap() -> bool:
    """Return the free pages of the C heap to the system; True if any were released."""
    return bool(_TRIM()) if _TRIM is not None else False

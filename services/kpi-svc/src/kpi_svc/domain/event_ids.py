"""The ids of the events an order applied (its duplicate check), held compactly.

Event ids are UUIDs in practice (`0191e7c4-0001-7000-8000-000000000001`, 36 characters: an
85-byte string object each). An id in the canonical lowercase form is held as its 16 bytes,
all of an order's in one bytes object (17 ids: 305 bytes, one object, where a tuple of the
strings took ~1.7 KB in 18 objects and a lookup touched every one of them). Any other id turns
the order's ids back into strings: a tuple up to EVENT_IDS_AS_TUPLE ids, a set past that.
Only the canonical form is packed, so every packed id turns back into the very string it was.
"""

from __future__ import annotations

EVENT_IDS_AS_TUPLE = 32  # a tuple of 17 ids: 176 bytes; a set of them: 728
_fromhex = bytes.fromhex

Held = bytes | tuple | set


def uuid_key(event_id: str) -> bytes | None:
    """The 16 bytes of a canonical lowercase UUID string; None for any other id."""
    if (
        len(event_id) != 36
        or event_id[8] != "-"
        or event_id[13] != "-"
        or event_id[18] != "-"
        or event_id[23] != "-"
        or not event_id.islower()  # no upper case letter: one string per 16 bytes
    ):
        return None
    try:
        key = _fromhex(event_id.replace("-", ""))
    except ValueError:
        return None
    return key if len(key) == 16 else None  # fewer: whitespace, or a hyphen elsewhere


def _text(key: bytes) -> str:
    h = key.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def holds(seen: Held, event_id: str, key: bytes | None) -> bool:
    """Whether `event_id` (with its uuid_key) is among the ids held."""
    if type(seen) is bytes:
        if key is None:
            return False
        at = seen.find(key)
        while at >= 0:
            if not at & 15:  # at an id's start, not across two
                return True
            at = seen.find(key, at + 1)
        return False
    return event_id in seen


def with_id(seen: Held, event_id: str, key: bytes | None) -> Held:
    """The ids held with `event_id` added (a new object, or `seen` changed in place: a set)."""
    if key is not None and (type(seen) is bytes or not seen):
        return (seen or b"") + key
    if type(seen) is bytes:
        seen = tuple(as_strings(seen))
    if type(seen) is tuple:
        if len(seen) < EVENT_IDS_AS_TUPLE:
            return (*seen, event_id)
        seen = set(seen)
    seen.add(event_id)
    return seen


def as_strings(seen: Held) -> list[str]:
    if type(seen) is bytes:
        return [_text(seen[at:at + 16]) for at in range(0, len(seen), 16)]
    return list(seen)


def count(seen: Held) -> int:
    return len(seen) // 16 if type(seen) is bytes else len(seen)


def held_form(ids: list | tuple | set) -> Held:
    """The held form of a collection of event id strings (a restored checkpoint)."""
    keys = [uuid_key(event_id) for event_id in ids]
    if keys and None not in keys:
        return b"".join(keys)
    return tuple(ids) if len(ids) <= EVENT_IDS_AS_TUPLE else set(ids)


def encoded(seen: Held) -> str | list[str]:
    """The checkpoint form (ORDER_FORMAT 2): the hex of the packed ids, or the list of strings."""
    return seen.hex() if type(seen) is bytes else list(seen)


def decoded(value: str | list) -> Held:
    if isinstance(value, str):
        return _fromhex(value)
    return held_form(value)

"""A contribution as one array of 64-bit ints, the form an order keeps it in.

An order remembers what each family of KPIs added to the buckets ({(bucket << SLOT_BITS) |
slot: value}), so the next change applies only the difference. As a dict that is ~600 bytes
per family (a hash table and a 32-byte int object per key); as `array('q')` of key, value,
key, value, ... it is 64 bytes + 16 per entry, with no int objects. A value beyond 64 bits
(thousands of maximal shipping costs on one order) keeps the dict: exact either way.
"""

from __future__ import annotations

from array import array
from itertools import chain

Packed = array | dict


def pack(part: dict[int, int]) -> Packed:
    try:
        return array("q", list(chain.from_iterable(part.items())))  # from a list: no spare capacity
    except OverflowError:
        return dict(part)


def unpack(packed: Packed) -> dict[int, int]:
    if type(packed) is dict:
        return packed
    return dict(zip(packed[0::2], packed[1::2], strict=True))


def packed_pairs(packed: Packed):
    """(key, value) pairs of a packed contribution, without building a dict."""
    if type(packed) is dict:
        return packed.items()
    return zip(packed[0::2], packed[1::2], strict=True)


def packed_flat(packed: Packed) -> list[int]:
    """[key, value, key, value, ...] (the checkpoint form, ORDER_FORMAT 2)."""
    if type(packed) is dict:
        return list(chain.from_iterable(packed.items()))
    return packed.tolist()

"""The event ids an order applied, held packed (16 bytes per canonical UUID) or as strings."""

from __future__ import annotations

import orjson
import pytest
from kpi_events import MONDAY, OrderStory, engine_after
from kpi_svc.domain import DUPLICATE, KpiEngine, KpiRules
from kpi_svc.domain.codec import ORDER_FIELDS
from kpi_svc.domain.event_ids import as_strings, count, held_form, holds, uuid_key, with_id

UUIDS = [f"0191e7c4-{n:04x}-7000-8000-{n:012x}" for n in range(1, 40)]


@pytest.mark.parametrize("event_id", [
    "0191E7C4-0001-7000-8000-000000000001",  # upper case: another string, so not packed
    "01234567-0123-0123-0123-012345678901",  # no letter at all: not lower case, kept as a string
    "0191e7c4-0001-7000-8000-00000000000 ",  # whitespace
    "0191e7c4-0001-7000-8000-0000-0000001",  # a hyphen elsewhere
    "0191e7c4-0001-7000-8000-00000000000g",
    "evt_000001",
    "",
])
def test_only_canonical_lower_case_uuids_are_packed(event_id):
    assert uuid_key(event_id) is None


def test_packed_ids_turn_back_into_the_very_strings_they_were():
    seen: bytes | tuple | set = ()
    for event_id in UUIDS:
        seen = with_id(seen, event_id, uuid_key(event_id))
    assert type(seen) is bytes and count(seen) == len(UUIDS)
    assert as_strings(seen) == UUIDS
    assert held_form(UUIDS) == seen


def test_an_id_is_found_only_at_the_start_of_a_packed_id():
    first, second = bytes(range(16)), bytes(range(16, 32))
    seen = first + second
    across = seen[8:24]  # the end of one id and the start of the next
    assert holds(seen, "x", first) and holds(seen, "y", second)
    assert not holds(seen, "z", across)
    assert holds(seen + across, "w", across)  # across two ids at offset 8, an id of its own at 32


def test_another_id_turns_the_held_ids_into_strings_and_every_one_is_still_found():
    seen: bytes | tuple | set = ()
    mixed = [*UUIDS[:3], "evt_000042", *UUIDS[3:]]
    for event_id in mixed:
        seen = with_id(seen, event_id, uuid_key(event_id))
    assert type(seen) is set  # past 32 ids
    assert all(holds(seen, event_id, uuid_key(event_id)) for event_id in mixed)
    assert sorted(as_strings(seen)) == sorted(mixed)
    assert not holds(seen, UUIDS[-1].replace("0191", "0192"), uuid_key(UUIDS[-1].replace("0191", "0192")))


def test_duplicates_with_uuid_ids_are_recognised_and_survive_a_checkpoint():
    story = OrderStory()
    for number, item in enumerate(story.happy_path()):
        item["id"] = UUIDS[number]
    engine = engine_after(story.events)
    assert type(engine.orders["ord_1"].seen) is bytes
    assert all(engine.apply(item) is DUPLICATE for item in story.events)
    row = orjson.loads(orjson.dumps(engine.dirty_snapshot().orders["ord_1"]))
    assert row[ORDER_FIELDS.index("seen")] == b"".join(uuid_key(i) for i in UUIDS[:len(story.events)]).hex()
    restored = KpiEngine.restore(KpiRules(), {"ord_1": row}, {}, None)
    assert all(restored.apply(item) is DUPLICATE for item in story.events)
    assert restored.scorecard("ord_1")["facts"]["events_applied"] == len(story.events)
    late = story.feedback(MONDAY.replace(day=20), 5)
    assert restored.apply(late).outcome == "applied" and restored.apply(late) is DUPLICATE

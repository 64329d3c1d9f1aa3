"""Many rows in one statement (`orderpulse.db.bulk`), against the real database: what an insert,
an upsert and an update by key leave in a table whose columns cover every type the services
send (text, int, numeric, timestamptz, bool, jsonb)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from orderpulse.db.bulk import BulkInsert, BulkUpdate, column_types
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, Numeric, Table, Text, select, text
from sqlalchemy.dialects.postgresql import JSONB

items = Table(
    "bulk_items",
    MetaData(),
    Column("item_id", Text, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("price", Numeric(9, 3), nullable=False),
    Column("seen_at", DateTime(timezone=True)),
    Column("active", Boolean, nullable=False),
    Column("detail", JSONB),
)
TYPES = column_types(items)
INSERT = BulkInsert("bulk_items", {name: (name, kind) for name, kind in TYPES.items()})
UPSERT = INSERT._replace(conflict="(item_id) DO UPDATE SET count = excluded.count, detail = excluded.detail")
UPDATE = BulkUpdate("bulk_items", "item_id", TYPES)
T0 = datetime(2026, 12, 7, 1, 2, 3, 456000, tzinfo=UTC)


def _row(item_id: str, count: int, **changes) -> dict:
    row = {"item_id": item_id, "count": count, "price": Decimal("12.345"), "seen_at": T0, "active": True,
           "detail": {"lines": [{"sku": "A", "quantity": count}], "note": "ünïcode"}}
    return row | changes


async def _table(engine) -> dict[str, dict]:
    async with engine.connect() as connection:
        return {row["item_id"]: dict(row) for row in (await connection.execute(select(items))).mappings()}


async def _run(engine, statement: str, params: dict) -> int:
    async with engine.begin() as connection:
        return (await connection.execute(text(statement), params)).rowcount


async def _create(engine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(items.metadata.create_all)


def test_the_column_types_are_the_casts_postgresql_needs():
    assert TYPES == {"item_id": "text", "count": "int4", "price": "numeric", "seen_at": "timestamptz",
                     "active": "bool", "detail": "jsonb"}


def _insert(bulk: BulkInsert, rows: list[dict], form: str) -> tuple[str, dict]:
    return (bulk.sql(), bulk.arrays(rows)) if form == "arrays" else (bulk.json_sql(), bulk.json_columns(rows))


@pytest.mark.parametrize("form", ["arrays", "json"])
async def test_an_insert_writes_every_row_and_type_as_given_and_skips_taken_keys(engine, form):
    await _create(engine)
    await _run(engine, *_insert(INSERT, [_row("a", 1)], form))
    rows = [_row("a", 99), _row("b", 2, detail=None, seen_at=None, active=False), _row("c", 3, detail=["x", 1.5]),
            _row("c", 4)]  # "a" is taken, and "c" comes twice: the first one stays
    assert await _run(engine, *_insert(INSERT, rows, form)) == 2
    table = await _table(engine)
    assert table == {
        "a": _row("a", 1),
        "b": _row("b", 2, detail=None, seen_at=None, active=False),  # None in a jsonb column is SQL NULL
        "c": _row("c", 3, detail=["x", 1.5]),
    }


@pytest.mark.parametrize("form", ["arrays", "json"])
async def test_an_upsert_changes_the_listed_columns_of_taken_keys_and_inserts_the_others(engine, form):
    await _create(engine)
    await _run(engine, *_insert(INSERT, [_row("a", 1), _row("b", 2)], form))
    await _run(engine, *_insert(UPSERT, [_row("a", 10, price=Decimal("1"), detail={"n": 1}), _row("z", 26)], form))
    table = await _table(engine)
    assert table["a"] == _row("a", 10, detail={"n": 1})  # count and detail only: the price is not in the SET list
    assert table["b"] == _row("b", 2)
    assert table["z"] == _row("z", 26)


@pytest.mark.parametrize("form", ["arrays", "json"])
async def test_an_update_sets_every_column_of_the_rows_found_by_key_and_touches_no_other(engine, form):
    await _create(engine)
    await _run(engine, INSERT.sql(), INSERT.arrays([_row("a", 1), _row("b", 2), _row("c", 3)]))
    changed = [_row("c", 30, price=Decimal("0.001"), active=False, detail=None), _row("a", 10, seen_at=None),
               _row("unknown", 5)]
    statement, params = (UPDATE.sql(), UPDATE.arrays(changed)) if form == "arrays" else (
        UPDATE.json_sql(), UPDATE.json_rows(changed))
    assert await _run(engine, statement, params) == 2
    assert await _table(engine) == {
        "a": _row("a", 10, seen_at=None),
        "b": _row("b", 2),
        "c": _row("c", 30, price=Decimal("0.001"), active=False, detail=None),
    }


async def test_one_statement_serves_any_number_of_rows(engine):
    await _create(engine)
    many = [_row(f"item-{n:04d}", n) for n in range(1500)]
    assert await _run(engine, INSERT.sql(), INSERT.arrays(many)) == 1500
    assert await _run(engine, UPDATE.sql(), UPDATE.arrays([row | {"count": -row["count"]} for row in many])) == 1500
    table = await _table(engine)
    assert sorted(row["count"] for row in table.values()) == sorted(-n for n in range(1500))


async def test_rows_sent_as_one_json_document_are_written_as_the_arrays_write_them(engine):
    await _create(engine)
    await _run(engine, INSERT.sql(), INSERT.arrays([_row(key, 0) for key in "abcd"]))
    rows = [_row("a", 1), _row("b", 2, detail=None, seen_at=None, active=False), _row("c", 3, detail=["x", 1.5]),
            _row("d", 4, detail="text", seen_at=datetime(2026, 12, 7, 3, 2, 3, 456789, tzinfo=UTC))]
    assert await _run(engine, UPDATE.json_sql(), UPDATE.json_rows(rows)) == 4
    assert await _table(engine) == {row["item_id"]: row for row in rows}  # a str is a JSON string in this form
    async with engine.connect() as connection:  # None is SQL NULL, not the JSON null, in either form
        nulls = (await connection.execute(text("SELECT item_id FROM bulk_items WHERE detail IS NULL"))).scalars().all()
    assert nulls == ["b"]


async def test_the_json_form_serves_any_number_of_rows_in_any_time_zone(engine):
    from datetime import timedelta, timezone

    await _create(engine)
    many = [_row(f"item-{n:04d}", n) for n in range(1500)]
    await _run(engine, INSERT.sql(), INSERT.arrays(many))
    zone = timezone(timedelta(hours=-4, minutes=-30))
    changed = [row | {"count": -n, "seen_at": T0.astimezone(zone) + timedelta(microseconds=n)} for n, row in enumerate(many)]
    assert await _run(engine, UPDATE.json_sql("items"), UPDATE.json_rows(changed, "items")) == 1500
    table = await _table(engine)
    assert [table[row["item_id"]] for row in changed] == changed


async def test_an_insert_as_json_columns_writes_what_the_arrays_write_for_any_text_time_zone_and_number_of_rows(engine):
    from datetime import timedelta, timezone

    await _create(engine)
    zone = timezone(timedelta(hours=-4, minutes=-30))
    texts = ["", "ünïcode", 'quote " and \\ backslash', "line\nbreak", "{not, an, array}", "NULL", "null", "😀"]
    rows = [_row(f"{n:04d}-{texts[n % len(texts)]}", n, price=Decimal(n) / 1000, active=n % 2 == 0,
                 seen_at=None if n % 7 == 0 else T0.astimezone(zone) + timedelta(microseconds=n),
                 detail=[None, {"n": n}, [texts[n % len(texts)]], {"t": texts[n % len(texts)]}, '{"as": "JSON text"}'][n % 5])
            for n in range(1500)]
    assert await _run(engine, INSERT.json_sql(), INSERT.json_columns(rows)) == 1500
    by_json = await _table(engine)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM bulk_items"))
    assert await _run(engine, INSERT.sql(), INSERT.arrays(rows)) == 1500
    # a jsonb value given as text is JSON text in both forms, as in the single-row CAST(:p AS jsonb)
    expected = {row["item_id"]: row | ({"detail": {"as": "JSON text"}} if isinstance(row["detail"], str) else {}) for row in rows}
    assert by_json == await _table(engine) == expected

"""feedback-svc's batch upserts (a consumer batch of `order.placed` or `customer.upserted` in one
statement) leave what the same facts one by one leave: the first order.placed names the customer,
the newest profile by event time wins, and repeats in one batch are no error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedback_stack import SCHEMA
from feedback_svc.adapters.order_book import SqlOrderBook
from orderpulse.db.engine import create_engine, create_session_factory
from sqlalchemy import text

T1 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
T2 = T1 + timedelta(hours=1)


def facts(tag: str) -> tuple[list, list]:
    placed = [(f"{tag}-o1", f"{tag}-ada", T2), (f"{tag}-o1", f"{tag}-bob", T1), (f"{tag}-o2", f"{tag}-cy", T1),
              (f"{tag}-o3", f"{tag}-dee", T1)]
    profiles = [(f"{tag}-ada", "de", T2), (f"{tag}-ada", "en", T1), (f"{tag}-bob", "fr", T1), (f"{tag}-bob", "it", T1),
                (f"{tag}-ada", "es", T2)]
    return placed, profiles


async def state(sessions, tag: str) -> tuple[list, list]:
    async with sessions() as session:
        orders = (await session.execute(text(
            "SELECT split_part(order_id, '-', 2), split_part(customer_id, '-', 2), placed_at, cancelled_at IS NOT NULL "
            "FROM known_orders WHERE order_id LIKE :p ORDER BY 1"), {"p": f"{tag}-%"})).all()
        locales = (await session.execute(text(
            "SELECT split_part(customer_id, '-', 2), locale, updated_at FROM customer_locales WHERE customer_id LIKE :p "
            "ORDER BY 1"), {"p": f"{tag}-%"})).all()
    return [tuple(row) for row in orders], [tuple(row) for row in locales]


async def test_a_batch_of_placed_orders_and_profiles_leaves_what_one_by_one_leaves(infrastructure, clean_schema, names):
    engine = create_engine(infrastructure.database_url, schema=SCHEMA, pool_size=2)
    sessions = create_session_factory(engine)
    one, many = f"a{names.suffix}", f"b{names.suffix}"
    try:
        for tag, batched in ((one, False), (many, True)):
            placed, profiles = facts(tag)
            async with sessions() as session, session.begin():
                book = SqlOrderBook(session)
                await book.mark_cancelled(f"{tag}-o3", T1)  # cancelled before its order.placed arrived
                if batched:
                    await book.remember_all_placed(placed)
                    await book.remember_locales(profiles)
                else:
                    for fact in placed:
                        await book.remember_placed(*fact)
                    for profile in profiles:
                        await book.remember_locale(*profile)
        expected = await state(sessions, one)
        assert await state(sessions, many) == expected
        orders, locales = expected
        assert [(o, c) for o, c, *_ in orders] == [("o1", "ada"), ("o2", "cy"), ("o3", "dee")]
        assert [(c, locale) for c, locale, _ in locales] == [("ada", "es"), ("bob", "it")]
    finally:
        await engine.dispose()

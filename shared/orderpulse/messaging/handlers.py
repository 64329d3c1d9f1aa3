"""What a consumer runs for an event type: a handler per event, or a batch handler that takes every
new event of its types in a consumed batch at once (one statement per batch, not one per event)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import Token
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from orderpulse.events.envelope import Envelope
from orderpulse.observability.logs import enter_event_fields, leave_fields
from orderpulse.observability.tracing import new_traceparent, set_current_traceparent, trace_id_of

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, Sequence[Envelope]], Awaitable[None]]


@dataclass(frozen=True, eq=False)
class Batched:
    """A batch handler in a consumer's handler table.

    On the consumer's fast path it is called once per batch with every new (not duplicate) event
    of the types it is registered for, in the order they were read, after the batch's per-event
    handlers; batch handlers run in the order they first appear in the handler table. Should
    anything in the batch fail, the batch is redone with a savepoint per event and this handler
    is called with each of its events alone (`[envelope]`), in the same place as on the fast
    path (after the per-event handlers, batch handlers in table order), so a poison event is
    retried and dead-lettered alone and the others end as they would have. Hence only effects that do not depend on the batch's other events
    being applied first may be batched: plain inserts and upserts, or effects that already come
    out the same whatever the order of arrival. It must give the same result for a list as for
    its events one by one.
    """

    apply: BatchHandler

    async def __call__(self, session: AsyncSession, envelope: Envelope) -> None:
        await self.apply(session, [envelope])


class event_context:  # noqa: N801 - used as a function: `with event_context(envelope):`
    """Logs and recorded events carry this event's ids and trace (a batch handler opens it per event
    where it records outgoing events). The trace stays set after the block, as the consumer's next
    event or batch sets its own; the log fields end with it. A plain class, not a generator: it
    runs once per consumed event (~2 µs instead of ~5), and its log fields are set by
    `enter_event_fields`, not a `LogFields`."""

    __slots__ = ("_envelope", "_token")

    def __init__(self, envelope: Envelope) -> None:
        self._envelope = envelope
        self._token: Token | None = None

    def __enter__(self) -> None:
        envelope = self._envelope
        trace_id = trace_id_of(envelope.traceparent)
        set_current_traceparent(new_traceparent(trace_id))  # a child span of the incoming trace, or a new trace
        self._token = enter_event_fields(envelope.id, envelope.partitionkey, trace_id)

    def __exit__(self, *exc: object) -> None:
        leave_fields(self._token)

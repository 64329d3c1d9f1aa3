"""Request bodies of the API (pydantic): shapes, types and limits; unknown fields are refused.

A request that breaks these rules is answered 422 problem+json naming the field, and changes
nothing. Business rules (what may be packed, what a carrier may report) stay in the domain.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from orderpulse.events.limits import STAFF_MAX
from orderpulse.http.bodies import RequestBody
from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

MAX_LIST = 500
MAX_FUTURE = timedelta(minutes=5)

# printable text with at least one visible character (PostgreSQL cannot store NUL)
ID_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
FREE_TEXT_PATTERN = r"^[^\x00]*$"
TEXT_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"

Id = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=ID_PATTERN)]
Sku = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=ID_PATTERN), Field(description="stock keeping unit")
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=TEXT_PATTERN)]
CarrierCode = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$"),
    Field(description="the carrier's code, as in its role `carrier:<code>`, e.g. `dhl`"),
]
Money = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,12}(\.[0-9]{1,4})?$"),
    Field(description="a decimal amount as a string, e.g. `129.90`; never a float"),
]
Quantity = Annotated[StrictInt, Field(ge=1, le=1_000_000, description="whole units, at least 1")]


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _plausible(moment: datetime) -> datetime:
    # far-off years would overflow date arithmetic (a +14:00 offset on 0001-01-01 has no UTC date)
    if not EARLIEST <= moment <= LATEST:
        raise ValueError("must be between 1970 and 2100")
    return moment


def _not_far_ahead(moment: datetime) -> datetime:
    if moment > datetime.now(UTC) + MAX_FUTURE:
        raise ValueError("is more than 5 minutes in the future")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]
EventTime = Annotated[
    Moment,
    AfterValidator(_not_far_ahead),
    Field(description="RFC 3339 time with offset; when it happened (at most 5 minutes ahead of now)"),
]
OccurredAt = Annotated[
    EventTime | None,
    Field(description="event time of the reported fact (RFC 3339 with offset); defaults to now, at most 5 minutes ahead"),
]


Body = RequestBody  # unknown fields refused, no NUL in text (orderpulse.http.bodies)


class SkuQuantityIn(Body):
    sku: Sku
    quantity: Quantity


class StockUpdate(Body):
    on_hand: Annotated[
        StrictInt,
        Field(ge=0, le=1_000_000_000, description="units counted on the shelf, reserved ones included"),
    ]


class DocumentIn(Body):
    kind: Literal["invoice", "packing_slip", "customs"] = Field(description="which document")
    ref: Text = Field(description="the document's own number, e.g. `INV-2026-0042`")
    lines: Annotated[list[SkuQuantityIn], Field(max_length=MAX_LIST, description="the lines the document lists")]
    total: Money | None = Field(
        default=None, description="the document's total before tax; checked against the packed lines at order prices"
    )


class PackRequest(Body):
    shipment_id: Id | None = Field(
        default=None,
        description="re-pack: the id of a package not yet dispatched replaces it; omit to start a new package",
    )
    lines: Annotated[
        list[SkuQuantityIn], Field(min_length=1, max_length=MAX_LIST, description="what went into the package")
    ]
    documents: Annotated[
        list[DocumentIn],
        Field(max_length=50, description="documents put in the package; none at all is a `missing_documents` discrepancy"),
    ] = []
    occurred_at: OccurredAt = None


class DispatchRequest(Body):
    shipment_id: Id = Field(description="the packed shipment to hand over")
    carrier: CarrierCode
    tracking_number: Id = Field(description="the carrier's tracking number; unique per carrier")
    eta: Moment | None = Field(
        default=None, description="expected delivery; when omitted, the dispatch time plus the configured transit days"
    )
    shipping_cost: Money | None = None
    override: StrictBool = Field(default=False, description="dispatch although the documents have discrepancies")
    occurred_at: OccurredAt = None


class CloseRequest(Body):
    reason: Text = Field(description="why nothing more will be sent")
    occurred_at: OccurredAt = None


class CarrierScanIn(Body):
    event_id: Id = Field(description="the carrier's id of this scan; a repeated id is answered `duplicate`")
    tracking_number: Id
    status: Literal["in_transit", "out_for_delivery", "delayed", "delivery_failed", "exception", "delivered"]
    occurred_at: EventTime
    location: Annotated[str, StringConstraints(max_length=200, pattern=FREE_TEXT_PATTERN)] | None = None
    eta: Moment | None = Field(
        default=None, description="new expected delivery (required for `delayed`; the next attempt for `delivery_failed`)"
    )
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=FREE_TEXT_PATTERN)] | None = Field(
        default=None,
        description="for `exception`: lost | damaged_in_transit | address_problem | other; free text otherwise",
    )
    condition: Literal["intact", "damaged"] | None = Field(default=None, description="required for `delivered`")
    lines: Annotated[list[SkuQuantityIn], Field(max_length=MAX_LIST)] | None = Field(
        default=None, description="for `delivered`: what was delivered; omitted means the whole shipment"
    )


class CarrierEventBatch(Body):
    """The documented shape of a batch (OpenAPI). The route reads it as `CarrierBatchIn` and checks
    each scan on its own, so one bad scan is rejected in the results instead of refusing the batch."""

    events: Annotated[list[CarrierScanIn], Field(min_length=1, max_length=MAX_LIST)]


class CarrierBatchIn(Body):
    """What must hold for a body to be a batch at all; each item is checked as `CarrierScanIn` alone."""

    events: Annotated[list[Any], Field(min_length=1, max_length=MAX_LIST)]


class LaborShiftRequest(Body):
    shift_id: Id
    start: EventTime
    end: EventTime
    staff: Annotated[StrictInt, Field(ge=1, le=STAFF_MAX, description="people on the shift")]
    hourly_cost: Money = Field(description="cost of one staff member for one hour")


class ReturnReceiveRequest(Body):
    order_id: Id | None = Field(
        default=None,
        description="no longer needed: the service learns the order from order-svc's `return.requested`. "
        "Still accepted for older clients; when given it must be the order the return was requested for",
    )
    lines: Annotated[list[SkuQuantityIn], Field(min_length=1, max_length=MAX_LIST)]
    condition: Literal["intact", "damaged"] = Field(description="intact units go back on the shelf")
    occurred_at: OccurredAt = None

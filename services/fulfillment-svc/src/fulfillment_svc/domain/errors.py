"""Domain errors with stable codes.

Every error carries a `code` (stable, becomes the problem+json `type` suffix), a `category`
the entrypoint maps to an HTTP status (`invalid` → 422, `not_found` → 404, `conflict` → 409),
a human `detail` and, where one field is at fault, its name in `field`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from fulfillment_svc.domain.documents import Discrepancy

INVALID = "invalid"
NOT_FOUND = "not_found"
CONFLICT = "conflict"


class FulfillmentError(Exception):
    code: ClassVar[str] = "fulfillment_error"
    category: ClassVar[str] = CONFLICT

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, detail={self.detail!r})"


# --- malformed input: the caller can fix the request ---------------------------------------


class InvalidInput(FulfillmentError):
    code = "invalid_input"
    category = INVALID


class InvalidQuantity(InvalidInput):
    code = "invalid_quantity"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"


class InvalidTime(InvalidInput):
    code = "invalid_time"


class OccurredInFuture(InvalidInput):
    code = "occurred_at_in_future"


class InvalidDocument(InvalidInput):
    code = "invalid_document"


class InvalidOrder(InvalidInput):
    code = "invalid_order"


class InvalidShift(InvalidInput):
    code = "invalid_shift"


class InvalidReturn(InvalidInput):
    code = "invalid_return"


class SkuNotOnOrder(InvalidInput):
    code = "sku_not_on_order"


# --- lookups --------------------------------------------------------------------------------


class FulfillmentNotFound(FulfillmentError):
    code = "fulfillment_not_found"
    category = NOT_FOUND


class ReturnNotFound(FulfillmentError):
    """No `return.requested` names this return id (yet), and the receipt did not say its order."""

    code = "return_not_found"
    category = NOT_FOUND


class ShipmentNotFound(FulfillmentError):
    code = "shipment_not_found"
    category = NOT_FOUND


# --- state conflicts: the request is well formed but the fulfillment cannot take it now ------


class NotPacked(FulfillmentError):
    code = "shipment_not_packed"


class AlreadyDispatched(FulfillmentError):
    code = "shipment_already_dispatched"


class TrackingNumberInUse(FulfillmentError):
    code = "tracking_number_in_use"


class DispatchBlockedByDiscrepancies(FulfillmentError):
    code = "dispatch_blocked_by_discrepancies"

    def __init__(self, detail: str, discrepancies: Sequence[Discrepancy]) -> None:
        super().__init__(detail, field="override")
        self.discrepancies = tuple(discrepancies)


class PackExceedsReserved(FulfillmentError):
    code = "pack_exceeds_reserved"


class AlreadyCancelled(FulfillmentError):
    code = "fulfillment_cancelled"


class FulfillmentClosed(FulfillmentError):
    """The fulfillment is completed, closed short, or waiting to close: it takes no more work."""

    code = "fulfillment_closed"


class StockBelowReserved(FulfillmentError):
    code = "stock_below_reserved"


class StockBelowPacked(FulfillmentError):
    """A count below the units already packed in boxes waiting for a carrier."""

    code = "stock_below_packed"


class ReturnExceedsShipped(FulfillmentError):
    code = "return_exceeds_shipped"


class ReturnAlreadyReceived(FulfillmentError):
    code = "return_already_received"


class ShipmentIdInUse(FulfillmentError):
    """A warehouse-chosen shipment id already names a package of another fulfillment."""

    code = "shipment_id_in_use"


class ShiftAlreadyRecorded(FulfillmentError):
    """The shift id was recorded before in this warehouse with other figures."""

    code = "shift_already_recorded"

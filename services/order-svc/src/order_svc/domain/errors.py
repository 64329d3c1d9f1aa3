"""Domain errors. Each has a stable `code` (the problem+json `type` suffix) and a suggested
HTTP status; `field` names the offending input where there is one (e.g. `lines[1].quantity`)."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    http_status: ClassVar[int] = 400

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(DomainError):
    """Malformed or impossible input: nothing was changed."""

    code = "invalid_input"
    http_status = 422


class PaymentsNotConfigured(DomainError):
    """`payment_status: pending` waits for a payments callback, which needs a signing secret to verify."""

    code = "payments_not_configured"
    http_status = 422

    def __init__(self, detail: str, *, setting: str, field: str | None = None) -> None:
        super().__init__(detail, field=field)
        self.setting = setting


class OrderNotFound(DomainError):
    code = "order_not_found"
    http_status = 404


class CustomerNotFound(DomainError):
    code = "customer_not_found"
    http_status = 404


class UnknownCustomer(DomainError):
    """An order names a customer order-svc has never been told about."""

    code = "unknown_customer"
    http_status = 422


class InvalidTransition(DomainError):
    """The order's current status does not allow the command."""

    code = "invalid_transition"
    http_status = 409


class CannotCancelDispatched(InvalidTransition):
    code = "cannot_cancel_dispatched"


class CorrectionNotAllowed(InvalidTransition):
    code = "correction_not_allowed"


class CorrectionAfterPacking(CorrectionNotAllowed):
    """The warehouse has packed the order: it ships as it is."""

    code = "correction_after_packing"


class ReturnNotAllowed(InvalidTransition):
    code = "return_not_allowed"


class ReturnExceedsDelivered(DomainError):
    code = "return_exceeds_delivered"
    http_status = 422


class CorrectionLeavesDiscrepancies(DomainError):
    """A confirmed order may only be corrected into a state that passes the entry checks."""

    code = "correction_leaves_discrepancies"
    http_status = 422

    def __init__(self, detail: str, *, discrepancies: tuple = (), field: str | None = None) -> None:
        super().__init__(detail, field=field)
        self.discrepancies = discrepancies

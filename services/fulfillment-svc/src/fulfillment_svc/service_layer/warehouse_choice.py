"""Which warehouse takes a new order: the one that can reserve the most of its units now."""

from __future__ import annotations

from collections.abc import Mapping

from fulfillment_svc.domain.orders import ConfirmedOrder
from fulfillment_svc.domain.values import quantities_by_sku
from fulfillment_svc.service_layer.context import Policy
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork


async def choose_warehouse(uow: FulfillmentUnitOfWork, policy: Policy, order: ConfirmedOrder) -> str:
    """The warehouse that can reserve the most of the order's units now (see `pick_warehouse`).

    The read is unlocked: a concurrent order may take the stock first, in which case this one
    backorders there. It never oversells: the reservation itself runs on locked rows.
    """
    wanted = quantities_by_sku(order.lines)
    return pick_warehouse(await uow.stock.available_by_warehouse(wanted), wanted, policy)


def pick_warehouse(available: Mapping[str, Mapping[str, int]], wanted: Mapping[str, int], policy: Policy) -> str:
    """The warehouse that can reserve the most of `wanted`; ties, and an order no warehouse has
    anything of, go to the default warehouse, then to the lowest id. A warehouse with nothing of
    `wanted` never wins over the default, so listing more warehouses changes nothing."""

    def units(warehouse_id: str) -> int:
        have = available.get(warehouse_id, {})
        return sum(min(quantity, max(have.get(sku, 0), 0)) for sku, quantity in wanted.items())

    candidates = set(available) | {policy.default_warehouse_id}
    return min(candidates, key=lambda w: (-units(w), w != policy.default_warehouse_id, w))

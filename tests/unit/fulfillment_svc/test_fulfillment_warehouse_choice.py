from fulfillment_svc.service_layer.context import Policy
from fulfillment_svc.service_layer.warehouse_choice import choose_warehouse


class FakeStock:
    def __init__(self, available_by_warehouse):
        self._available = available_by_warehouse

    async def available_by_warehouse(self, skus):
        return {w: {s: q for s, q in by_sku.items() if s in set(skus)} for w, by_sku in self._available.items()}


class FakeUnitOfWork:
    def __init__(self, available_by_warehouse):
        self.stock = FakeStock(available_by_warehouse)


POLICY = Policy(default_warehouse_id="wh-1")


async def test_the_warehouse_that_can_ship_most_of_the_order_takes_it(build):
    uow = FakeUnitOfWork({"wh-1": {"MUG": 1, "TEE": 1}, "wh-2": {"MUG": 2, "TEE": 1}, "wh-3": {"MUG": 50}})

    assert await choose_warehouse(uow, POLICY, build.order(MUG=2, TEE=1)) == "wh-2"
    assert await choose_warehouse(uow, POLICY, build.order(MUG=3)) == "wh-3"


async def test_a_tie_goes_to_the_default_warehouse_then_to_the_lowest_id(build):
    uow = FakeUnitOfWork({"wh-c": {"MUG": 2}, "wh-b": {"MUG": 2}, "wh-1": {"MUG": 2}})

    assert await choose_warehouse(uow, POLICY, build.order(MUG=2)) == "wh-1"
    assert await choose_warehouse(uow, Policy(default_warehouse_id="wh-z"), build.order(MUG=2)) == "wh-1"
    assert await choose_warehouse(uow, Policy(default_warehouse_id="wh-c"), build.order(MUG=2)) == "wh-c"


async def test_an_order_nobody_has_goes_to_the_default_warehouse(build):
    uow = FakeUnitOfWork({"wh-2": {"MUG": 0}})

    assert await choose_warehouse(uow, POLICY, build.order(MUG=2)) == "wh-1"

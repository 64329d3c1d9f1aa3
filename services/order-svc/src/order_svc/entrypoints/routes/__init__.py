"""order-svc's HTTP routes: they translate requests into commands and queries, and nothing more."""

from order_svc.entrypoints.routes import catalog, customers, orders, payments, tracking

ROUTERS = (customers.router, catalog.router, orders.router, payments.router, tracking.router)

# the well-formed requests of the busiest route, answered in plain ASGI (orderpulse.http.fast_path)
FAST_ROUTES = {("POST", orders.router.prefix): orders.place_order_fast}

"""Who may call each route, as api.md lists it: (method, route template) -> roles allowed, for the
tests of every service (authorization matrices, API fuzzing).

`signed` marks a route whose callers also sign the body; `close` is fulfillment-svc's own route
(docs/fulfillment-decisions.md).
"""

from __future__ import annotations

SIGNED = "signed"
ORDER_SVC = {
    ("PUT", "/v1/customers/{customer_id}"): {"storefront", "admin"},
    ("GET", "/v1/customers/{customer_id}"): {"storefront", "support"},
    ("GET", "/v1/customers/{customer_id}/orders"): {"storefront", "support"},
    ("PUT", "/v1/catalog/{sku}"): {"admin"},
    ("POST", "/v1/orders"): {"storefront"},
    ("GET", "/v1/orders/{order_id}"): {"storefront", "support"},
    ("GET", "/v1/orders/{order_id}/timeline"): {"storefront", "support"},
    ("POST", "/v1/orders/{order_id}/corrections"): {"storefront", "support"},
    ("POST", "/v1/orders/{order_id}/cancel"): {"storefront", "support"},
    ("POST", "/v1/orders/{order_id}/returns"): {"storefront", "support"},
    ("POST", "/v1/payments/callbacks"): {"payments", SIGNED},
}
FULFILLMENT_SVC = {
    ("PUT", "/v1/warehouses/{warehouse_id}/stock/{sku}"): {"warehouse", "admin"},
    ("GET", "/v1/warehouses/{warehouse_id}/stock"): {"warehouse"},
    ("GET", "/v1/fulfillments"): {"warehouse"},
    ("POST", "/v1/fulfillments/{fulfillment_id}/pack"): {"warehouse"},
    ("POST", "/v1/fulfillments/{fulfillment_id}/dispatch"): {"warehouse"},
    ("POST", "/v1/fulfillments/{fulfillment_id}/close"): {"warehouse"},
    ("POST", "/v1/carriers/{carrier}/events"): {"carrier:dhl", SIGNED},  # the path names dhl below
    ("POST", "/v1/warehouses/{warehouse_id}/labor-shifts"): {"warehouse"},
    ("POST", "/v1/returns/{return_id}/receive"): {"warehouse"},
}
NOTIFY_SVC = {
    ("PUT", "/v1/customers/{customer_id}/preferences"): {"storefront", "support"},
    ("GET", "/v1/orders/{order_id}/notifications"): {"support"},
    ("GET", "/v1/courtesy-calls"): {"account_manager"},
    ("POST", "/v1/courtesy-calls/{call_id}/complete"): {"account_manager"},
}
FEEDBACK_SVC = {
    ("POST", "/v1/issues"): {"support", "storefront"},
    ("POST", "/v1/issues/{issue_id}/acknowledge"): {"support"},
    ("POST", "/v1/issues/{issue_id}/resolve"): {"support"},
    ("GET", "/v1/issues"): {"support"},
    ("GET", "/v1/surveys"): {"support"},
}
# the customer's routes: the signed token is the credential, no key needed (api.md, "customer (token)")

"""How order-svc's answers feed its next calls, written into the OpenAPI document as links."""

from __future__ import annotations

from orderpulse.http.links import OperationLink

_ORDER = "/v1/orders/{order_id}"
_CUSTOMER = "/v1/customers/{customer_id}"
_PLACED = {"order_id": "$response.body#/order_id"}
_LISTED = {"order_id": "$response.body#/items/0/order_id"}
_UPSERTED = {"customer_id": "$request.path.customer_id"}

LINKS = (
    OperationLink("GetOrder", ("POST", "/v1/orders"), 201, ("GET", _ORDER), _PLACED, "Read the order just placed"),
    OperationLink("GetTimeline", ("POST", "/v1/orders"), 201, ("GET", f"{_ORDER}/timeline"), _PLACED,
                  "Follow the order's lifecycle"),
    OperationLink("CorrectOrder", ("POST", "/v1/orders"), 201, ("POST", f"{_ORDER}/corrections"), _PLACED,
                  "Fix its lines or address until it is packed"),
    OperationLink("CancelOrder", ("POST", "/v1/orders"), 201, ("POST", f"{_ORDER}/cancel"), _PLACED,
                  "Cancel it before dispatch"),
    OperationLink("RequestReturn", ("POST", "/v1/orders"), 201, ("POST", f"{_ORDER}/returns"), _PLACED,
                  "Ask to return lines once delivered"),
    *(OperationLink(name, ("PUT", _CUSTOMER), status, ("GET", target), _UPSERTED, description)
      for status in (200, 201)
      for name, target, description in (("GetCustomer", _CUSTOMER, "Read the customer back"),
                                        ("CustomerOrders", f"{_CUSTOMER}/orders", "The customer's orders, newest first"))),
    OperationLink("GetListedOrder", ("GET", f"{_CUSTOMER}/orders"), 200, ("GET", _ORDER), _LISTED,
                  "Open the newest order of the page"),
)

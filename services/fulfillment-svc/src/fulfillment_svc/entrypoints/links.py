"""How fulfillment-svc's answers feed its next calls, written into the OpenAPI document as links."""

from __future__ import annotations

from orderpulse.http.links import OperationLink

_FULFILLMENT = "/v1/fulfillments/{fulfillment_id}"
_FIRST_LISTED = {"fulfillment_id": "$response.body#/items/0/fulfillment_id"}

LINKS = (
    *(OperationLink(name, ("GET", "/v1/fulfillments"), 200, ("POST", f"{_FULFILLMENT}/{step}"), _FIRST_LISTED, description)
      for name, step, description in (("PackFirst", "pack", "Pack the first fulfillment of the queue"),
                                      ("DispatchFirst", "dispatch", "Hand its packed parcels to the carrier"),
                                      ("CloseFirst", "close", "Close it short"))),
    OperationLink("StockOfWarehouse", ("PUT", "/v1/warehouses/{warehouse_id}/stock/{sku}"), 200,
                  ("GET", "/v1/warehouses/{warehouse_id}/stock"), {"warehouse_id": "$request.path.warehouse_id"},
                  "Read the warehouse's stock after the count"),
)

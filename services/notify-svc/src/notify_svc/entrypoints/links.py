"""How notify-svc's answers feed its next calls, written into the OpenAPI document as links."""

from __future__ import annotations

from orderpulse.http.links import OperationLink

LINKS = (
    OperationLink("CompleteFirstCall", ("GET", "/v1/courtesy-calls"), 200, ("POST", "/v1/courtesy-calls/{call_id}/complete"),
                  {"call_id": "$response.body#/items/0/call_id"}, "Record the outcome of the first call of the list"),
)

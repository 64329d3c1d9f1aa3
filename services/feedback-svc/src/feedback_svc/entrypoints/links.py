"""How feedback-svc's answers feed its next calls, written into the OpenAPI document as links."""

from __future__ import annotations

from orderpulse.http.links import OperationLink

_ISSUE = "/v1/issues/{issue_id}"
_OPENED = {"issue_id": "$response.body#/issue_id"}
_FIRST_LISTED = {"issue_id": "$response.body#/items/0/issue_id"}

LINKS = (
    OperationLink("AcknowledgeIssue", ("POST", "/v1/issues"), 201, ("POST", f"{_ISSUE}/acknowledge"), _OPENED,
                  "Acknowledge it within its 24 h clock"),
    OperationLink("ResolveIssue", ("POST", "/v1/issues"), 201, ("POST", f"{_ISSUE}/resolve"), _OPENED,
                  "Resolve it (acknowledging it too)"),
    OperationLink("SurveysOfIssueOrder", ("POST", "/v1/issues"), 201, ("GET", "/v1/surveys"),
                  {"order_id": "$response.body#/order_id"}, "The order's survey, to see how the customer rated it"),
    OperationLink("ResolveAcknowledged", ("POST", f"{_ISSUE}/acknowledge"), 200, ("POST", f"{_ISSUE}/resolve"),
                  {"issue_id": "$request.path.issue_id"}, "Resolve the issue just acknowledged"),
    OperationLink("AcknowledgeMostUrgent", ("GET", "/v1/issues"), 200, ("POST", f"{_ISSUE}/acknowledge"), _FIRST_LISTED,
                  "Acknowledge the most urgent issue of the page"),
    OperationLink("ResolveMostUrgent", ("GET", "/v1/issues"), 200, ("POST", f"{_ISSUE}/resolve"), _FIRST_LISTED,
                  "Resolve the most urgent issue of the page"),
)

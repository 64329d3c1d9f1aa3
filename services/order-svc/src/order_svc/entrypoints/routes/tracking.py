"""The customer's tracking page: `GET /track/{token}`, HTML, opened from the link in every email."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse

from order_svc.entrypoints.pages import refusal_page, tracking_page
from order_svc.service_layer.tracking import TrackingLinkExpired, TrackingLinkNotFound, TrackingPages

router = APIRouter(tags=["tracking"])

_PAGE = {"content": {"text/html": {}}}


@router.get(
    "/track/{token}",
    response_class=HTMLResponse,
    responses={
        200: {"description": "the order's milestones and parcels", **_PAGE},
        404: {"description": "a forged or unknown link", **_PAGE},
        410: {"description": "a genuine link past its expiry", **_PAGE},
    },
)
async def track_order(
    request: Request, token: str, accept_language: Annotated[str | None, Header()] = None
) -> HTMLResponse:
    """The order's milestones and parcels for its customer. No API key: the signed, expiring token is the credential."""
    pages: TrackingPages = request.app.state.tracking
    try:
        tracking = await pages.track(token)
    except TrackingLinkNotFound:
        return refusal_page("not_found", accept_language)
    except TrackingLinkExpired:
        return refusal_page("expired", accept_language)
    return tracking_page(tracking)

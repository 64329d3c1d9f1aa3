"""HTML pages for customers (Jinja2, autoescaped, no JavaScript): the tracking page and its refusals."""

from __future__ import annotations

from functools import cache
from typing import Literal

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from order_svc.domain.tracking import OrderTracking
from order_svc.entrypoints.tracking_texts import Texts, locale_for

# The link is the credential: keep it out of caches, search engines and other sites' Referer logs;
# the page runs no script at all.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
}


@cache
def _templates() -> Environment:
    return Environment(loader=PackageLoader("order_svc.entrypoints"), autoescape=select_autoescape())


def tracking_page(tracking: OrderTracking) -> HTMLResponse:
    texts = Texts.of(locale_for(tracking.locale), tracking.timezone)
    html = _templates().get_template("tracking.html").render(tracking=tracking, t=texts)
    return HTMLResponse(html, headers=PAGE_HEADERS)


def refusal_page(reason: Literal["not_found", "expired"], accept_language: str | None) -> HTMLResponse:
    """404 for a link that opens nothing, 410 for one that did until it expired; in the browser's language."""
    texts = Texts.of(locale_for(None, accept_language))
    html = _templates().get_template("link_refused.html").render(reason=reason, t=texts)
    return HTMLResponse(html, status_code=404 if reason == "not_found" else 410, headers=PAGE_HEADERS)

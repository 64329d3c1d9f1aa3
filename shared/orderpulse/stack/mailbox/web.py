"""The HTTP side: `POST /sms` and `POST /webhooks` (Standard Webhooks signatures), and the page at `GET /`."""

from __future__ import annotations

import logging
from datetime import datetime

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from orderpulse.http.problems import problem_response
from orderpulse.stack.mailbox.mail import Mailbox
from orderpulse.stack.mailbox.texts import Kind, TextMessages

log = logging.getLogger(__name__)

# A message's HTML is someone else's markup: shown sandboxed, it runs no script and loads nothing.
PAGE_LIMIT = 200  # per list: the page stays quick however much a benchmark sent

_SANDBOX = {"Content-Security-Policy": "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"}


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def build_receiver_app(mailbox: Mailbox, texts: TextMessages, webhook_secret: str) -> FastAPI:
    """The receiver's app; `webhook_secret` is the `whsec_<base64>` secret senders sign with."""
    verifier = Webhook(webhook_secret)
    templates = Environment(loader=PackageLoader("orderpulse.stack.mailbox"), autoescape=select_autoescape())
    templates.filters["when"] = _when
    app = FastAPI(title="OrderPulse mailbox", description="The local stack's mail and SMS sink.", docs_url=None)

    async def receive(request: Request, kind: Kind) -> Response:
        body = await request.body()
        try:
            verifier.verify(body, dict(request.headers), json_parse=False)
        except WebhookVerificationError as error:
            log.warning("webhook signature refused", extra={"kind": kind, "reason": str(error)})  # never the body
            return problem_response(401, "bad-signature", "Signature verification failed", str(error))
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return problem_response(400, "invalid-json", "The body is not JSON", "Send a JSON body.", field="body")
        webhook_id = request.headers["webhook-id"]
        number = texts.store(kind, webhook_id, payload)
        return JSONResponse({"stored": number is not None, "number": number, "webhook_id": webhook_id})

    @app.post("/sms")
    async def receive_sms(request: Request) -> Response:
        """An SMS as a provider would take it, signed per Standard Webhooks; kept once per webhook-id."""
        return await receive(request, "sms")

    @app.post("/webhooks")
    async def receive_webhook(request: Request) -> Response:
        """A webhook, signed per Standard Webhooks; kept once per webhook-id."""
        return await receive(request, "webhook")

    @app.get("/", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        """The stored mail and SMS, newest first (the newest 200 of each)."""
        html = templates.get_template("index.html").render(
            mails=mailbox.messages(PAGE_LIMIT), mail_count=mailbox.count(),
            texts=texts.messages(PAGE_LIMIT), text_count=texts.count(),
            mail_folder=mailbox.folder, text_folder=texts.folder,
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/mail/{number}.eml", response_class=PlainTextResponse)
    async def mail_source(number: int) -> Response:
        """The message exactly as received."""
        return _found(lambda: PlainTextResponse(mailbox.raw(number).decode("utf-8", errors="replace")), "mail", number)

    @app.get("/mail/{number}/text", response_class=PlainTextResponse)
    async def mail_text(number: int) -> Response:
        """The plain-text part."""
        return _found(lambda: _part(mailbox.parts(number).text, PlainTextResponse), "mail", number)

    @app.get("/mail/{number}/html", response_class=HTMLResponse)
    async def mail_html(number: int) -> Response:
        """The HTML part, sandboxed."""
        return _found(lambda: _part(mailbox.parts(number).html, HTMLResponse, _SANDBOX), "mail", number)

    @app.get("/sms/{number}")
    async def text_message(number: int) -> Response:
        """One stored SMS or webhook as JSON."""
        return _found(lambda: JSONResponse(texts.get(number).to_record()), "sms", number)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _found(answer, what: str, number: int) -> Response:
    try:
        return answer()
    except KeyError:
        return problem_response(404, "not-found", "No such message", f"There is no {what} message {number}.")


def _part(content: str | None, response_class, headers: dict[str, str] | None = None) -> Response:
    if content is None:
        return problem_response(404, "no-such-part", "The message has no such part")
    return response_class(content, headers=headers)

"""Surveys against the real database and broker: one per order whatever replays happen, answers
through the JSON API, and each refusal as problem+json or a readable page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedback_stack import SURVEY_SECRET, feedback_settings
from feedback_svc.bootstrap import build_app
from orderpulse.events import FEEDBACK, validate_data
from orderpulse.signed_tokens import TokenSigner
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth, running_app


def of_order(probe: TopicProbe, order_id: str, type_suffix: str) -> list[dict]:
    return [e for e in probe.events(type_suffix) if e["partitionkey"] == order_id]


async def test_a_delivered_order_gets_one_survey_whatever_replays_and_its_answer_is_published_once(
    infrastructure, clean_schema, upstream, names, database
):
    settings = feedback_settings(infrastructure)
    async with TopicProbe(infrastructure.kafka_bootstrap, [FEEDBACK]) as probe, running_app(build_app(settings)) as client:
        customer = await upstream.customer("ada", locale="de-DE")
        delivered = await upstream.place("delivered", customer)
        nothing = await upstream.place("nothing-delivered", customer)
        cancelled = await upstream.place("cancelled", customer)
        await upstream.publish("order.cancelled.v1", cancelled, {"order_id": cancelled, "reason": "customer", "cancelled_by": "support"})
        await eventually(lambda: database("SELECT 1 FROM known_orders WHERE order_id = :o AND cancelled_at IS NOT NULL", o=cancelled))
        await upstream.complete(cancelled)
        # the completion arrives three times: once redelivered as is, once re-sent as a new event
        event_id = await upstream.complete(delivered, delivered_at=datetime.now(UTC) - timedelta(minutes=5))
        await upstream.complete(delivered, event_id=event_id)
        await upstream.complete(delivered, delivered_at=datetime.now(UTC) - timedelta(minutes=4))
        await upstream.complete(nothing, delivered=0)
        # a completion before its order.placed (topics are not ordered): the survey waits for the customer
        early = names.order("early")
        await upstream.complete(early, delivered_at=datetime.now(UTC) - timedelta(hours=2))

        await probe.wait_until(lambda _: len(of_order(probe, delivered, "survey.requested.v1")) >= 1)
        await upstream.place("early", customer)
        await probe.wait_until(lambda _: len(of_order(probe, early, "survey.requested.v1")) >= 1)
        await probe.settle(2.0)
        assert len(of_order(probe, delivered, "survey.requested.v1")) == 1
        assert len(of_order(probe, early, "survey.requested.v1")) == 1
        assert of_order(probe, nothing, "survey.requested.v1") == []
        assert of_order(probe, cancelled, "survey.requested.v1") == []

        [requested] = of_order(probe, delivered, "survey.requested.v1")
        validate_data(requested["type"], requested["data"])
        assert requested["source"] == "/feedback-svc" and requested["data"]["customer_id"] == customer
        url = requested["data"]["survey_url"]
        token = url.removeprefix("http://feedback.test/surveys/")
        expires_at = datetime.fromisoformat(requested["data"]["expires_at"])
        assert timedelta(days=13, hours=23) < expires_at - datetime.now(UTC) <= timedelta(days=14)

        listed = await client.get("/v1/surveys", params={"order_id": delivered}, headers=auth("support"))
        assert listed.status_code == 200
        assert [(s["survey_id"], s["status"], s["survey_url"]) for s in listed.json()["items"]] == [
            (requested["data"]["survey_id"], "requested", url)
        ]
        assert (await client.get("/v1/surveys", params={"order_id": delivered}, headers=auth("storefront"))).status_code == 403

        page = await client.get(f"/surveys/{token}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert 'lang="de"' in page.text and delivered in page.text and "Wie zufrieden" in page.text

        # bad answers change nothing and name the field
        answer_url = f"/v1/surveys/{token}/responses"
        for body, field in (({"csat": 6}, "csat"), ({"csat": 4, "comment": "x" * 2001}, "comment"), ({"csat": 4, "nps": 11}, "nps")):
            refused = await client.post(answer_url, json=body)
            assert refused.status_code == 422 and refused.json()["field"] == field
            assert refused.headers["content-type"] == "application/problem+json"
        dated = await client.post(answer_url, json={"csat": 4, "occurred_at": datetime.now(UTC).isoformat()})
        assert dated.status_code == 403 and dated.json()["field"] == "occurred_at"
        forged = await client.post(f"/v1/surveys/{token[:-3]}abc/responses", json={"csat": 4})
        assert forged.status_code == 404 and forged.headers["content-type"] == "application/problem+json"
        expired_token = TokenSigner(SURVEY_SECRET, purpose="survey").sign(
            requested["data"]["survey_id"], expires_at=datetime.now(UTC) - timedelta(seconds=1)
        )
        expired = await client.post(f"/v1/surveys/{expired_token}/responses", json={"csat": 4})
        assert expired.status_code == 410 and expired.json()["type"].endswith("/survey-expired")
        assert (await client.get(f"/surveys/{expired_token}")).status_code == 410

        answered_at = datetime.now(UTC) - timedelta(minutes=1)
        answer = {"csat": 5, "nps": 9, "aspects": {"accuracy": 5, "communication": 4}, "comment": "Schnell!",
                  "occurred_at": answered_at.isoformat()}
        first = await client.post(answer_url, json=answer, headers=auth("support"))
        assert first.status_code == 201, first.text
        second = await client.post(answer_url, json={"csat": 1})
        assert second.status_code == 409 and second.headers["content-type"] == "application/problem+json"
        again = await client.get(f"/surveys/{token}")
        assert again.status_code == 409 and "bereits geantwortet" in again.text

        await probe.wait_until(lambda _: len(of_order(probe, delivered, "feedback.received.v1")) >= 1)
        await probe.settle(1.0)
        [received] = of_order(probe, delivered, "feedback.received.v1")
        assert received["data"] == {
            "survey_id": requested["data"]["survey_id"], "order_id": delivered, "customer_id": customer,
            "csat": 5, "nps": 9, "aspects": {"accuracy": 5, "communication": 4}, "comment": "Schnell!",
        }
        assert datetime.fromisoformat(received["time"]) == answered_at.replace(microsecond=answered_at.microsecond // 1000 * 1000)
        listed = (await client.get("/v1/surveys", params={"order_id": delivered}, headers=auth("support"))).json()
        assert listed["items"][0]["status"] == "answered"
        metrics = (await client.get("/metrics")).text
        assert 'orderpulse_feedback_surveys_answered_total{csat="5"}' in metrics

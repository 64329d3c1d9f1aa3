"""The HTTP contract: who may call what, and what a malformed request gets (problem+json, no change)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from fulfillment_svc.entrypoints import responses
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from orderpulse.testing.service import ROLES, TEST_SIGNING_SECRETS, auth, signed

NOW = datetime.now(UTC)
SHIFT = {"shift_id": "s1", "start": (NOW - timedelta(hours=8)).isoformat(), "end": NOW.isoformat(), "staff": 3,
         "hourly_cost": "21.50"}
RETURN = {"order_id": "ord-x", "lines": [{"sku": "MUG", "quantity": 1}], "condition": "intact"}

# (method, path, body, roles api.md allows)
ROUTES = [
    ("PUT", "/v1/warehouses/wh-m/stock/MUG", {"on_hand": 1}, {"warehouse", "admin"}),
    ("GET", "/v1/warehouses/wh-m/stock", None, {"warehouse"}),
    ("GET", "/v1/fulfillments", None, {"warehouse"}),
    ("POST", "/v1/fulfillments/ful-x/pack", {"lines": [{"sku": "MUG", "quantity": 1}], "documents": []}, {"warehouse"}),
    ("POST", "/v1/fulfillments/ful-x/dispatch", {"shipment_id": "s", "carrier": "dhl", "tracking_number": "T"},
     {"warehouse"}),
    ("POST", "/v1/fulfillments/ful-x/close", {"reason": "gone"}, {"warehouse"}),
    ("POST", "/v1/carriers/dhl/events", {"events": [{"event_id": "e", "tracking_number": "T", "status": "in_transit",
                                                    "occurred_at": NOW.isoformat()}]}, {"carrier:dhl"}),
    ("POST", "/v1/warehouses/wh-m/labor-shifts", SHIFT, {"warehouse"}),
    ("POST", "/v1/returns/r-x/receive", RETURN, {"warehouse"}),
]


@pytest.fixture
async def client(idle_app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=idle_app), base_url="http://testserver") as http:
        yield http


def request_as(role: str | None, method: str, path: str, body):
    """Headers and content the caller sends: its key, and a signature where it has a secret."""
    if body is None:
        return (auth(role) if role else {}), None
    if role in TEST_SIGNING_SECRETS:
        raw, headers = signed(role, body)
        return headers, raw
    headers = {**(auth(role) if role else {}), "Content-Type": "application/json"}
    return headers, orjson.dumps(body)


@pytest.mark.parametrize("method,path,body,allowed", ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
async def test_every_route_admits_exactly_the_roles_api_md_names(client, method, path, body, allowed):
    for role in (None, *ROLES):
        headers, content = request_as(role, method, path, body)
        answer = await client.request(method, path, headers=headers, content=content)
        if role is None:
            expected = {401}
        elif role in allowed:
            expected = set(range(200, 300)) | {404, 409, 422}  # past the door: what happens next is the route's
        else:
            expected = {403}
        assert answer.status_code in expected, f"{role} {method} {path}: {answer.status_code} {answer.text}"
        if answer.status_code >= 400:
            assert answer.headers["content-type"] == "application/problem+json", answer.text
        if role in allowed:
            assert answer.status_code < 300 or answer.json()["type"].split("/")[-1] not in ("forbidden", "unauthorized")


@pytest.fixture
async def open_fulfillment(warehouse, names) -> dict:
    await warehouse.put_stock("MUG", 10)
    return await warehouse.wait_for_fulfillment(await warehouse.confirm("a", MUG=2))


def future() -> str:
    return (datetime.now(UTC) + timedelta(minutes=10)).isoformat()


LINE = {"sku": "MUG", "quantity": 1}
BAD_BODIES = [
    ("PUT", "stock", {"on_hand": -1}, "on_hand"),
    ("PUT", "stock", {"on_hand": "5"}, "on_hand"),
    ("PUT", "stock", {}, "on_hand"),
    ("PUT", "stock", {"on_hand": 5, "counted_by": "me"}, "counted_by"),
    ("POST", "pack", {"lines": [], "documents": []}, "lines"),
    ("POST", "pack", {"lines": [LINE | {"quantity": 0}]}, "lines[0].quantity"),
    ("POST", "pack", {"lines": [LINE | {"quantity": 1.5}]}, "lines[0].quantity"),
    ("POST", "pack", {"lines": [LINE | {"sku": "x" * 201}]}, "lines[0].sku"),
    ("POST", "pack", {"lines": [LINE] * 501}, "lines"),
    ("POST", "pack", {"lines": [LINE], "documents": [{"kind": "receipt", "ref": "R", "lines": []}]}, "documents[0].kind"),
    ("POST", "pack", {"lines": [LINE], "documents": [{"kind": "invoice", "ref": "R", "lines": [], "total": "12,50"}]},
     "documents[0].total"),
    ("POST", "pack", {"lines": [LINE], "occurred_at": "FUTURE"}, "occurred_at"),
    ("POST", "pack", {"lines": [LINE], "occurred_at": "2026-11-20T10:00:00"}, "occurred_at"),
    ("POST", "pack", {"lines": [LINE], "overide": True}, "overide"),
    ("POST", "dispatch", {"shipment_id": "s", "carrier": "dhl"}, "tracking_number"),
    ("POST", "dispatch", {"shipment_id": "s", "carrier": "DHL!", "tracking_number": "T"}, "carrier"),
    ("POST", "dispatch", {"shipment_id": "s", "carrier": "dhl", "tracking_number": "T", "override": "yes"}, "override"),
    ("POST", "dispatch", {"shipment_id": "s", "carrier": "dhl", "tracking_number": "T", "occurred_at": "FUTURE"},
     "occurred_at"),
    ("POST", "close", {"reason": ""}, "reason"),
    ("POST", "close", {"reason": "gone", "occurred_at": "FUTURE"}, "occurred_at"),
    ("POST", "labor", SHIFT | {"staff": 0}, "staff"),
    ("POST", "labor", SHIFT | {"start": "yesterday"}, "start"),
    ("POST", "labor", SHIFT | {"hourly_cost": "-3"}, "hourly_cost"),
    ("POST", "labor", SHIFT | {"hourly_cost": 12.5}, "hourly_cost"),  # money is a JSON string, never a number
    ("POST", "dispatch", {"shipment_id": "s", "carrier": "dhl", "tracking_number": "T", "shipping_cost": 4},
     "shipping_cost"),
    ("POST", "pack", {"lines": [LINE], "documents": [{"kind": "invoice", "ref": "R", "lines": [], "total": 12.5}]},
     "documents[0].total"),
    ("POST", "labor", SHIFT | {"end": "FUTURE"}, "end"),
    ("POST", "return", RETURN | {"condition": "broken"}, "condition"),
    ("POST", "return", RETURN | {"order_id": ""}, "order_id"),
    ("POST", "return", RETURN | {"occurred_at": "FUTURE"}, "occurred_at"),
]


def path_of(kind: str, fulfillment: dict, names) -> str:
    return {
        "stock": f"/v1/warehouses/{names.warehouse}/stock/{names.sku('MUG')}",
        "pack": f"/v1/fulfillments/{fulfillment['fulfillment_id']}/pack",
        "dispatch": f"/v1/fulfillments/{fulfillment['fulfillment_id']}/dispatch",
        "close": f"/v1/fulfillments/{fulfillment['fulfillment_id']}/close",
        "labor": f"/v1/warehouses/{names.warehouse}/labor-shifts",
        "return": "/v1/returns/r-1/receive",
    }[kind]


async def test_malformed_requests_are_problems_naming_the_field_and_change_nothing(
    warehouse, names, open_fulfillment, database
):
    outbox_before = await database("SELECT count(*) AS n FROM outbox")
    for method, kind, body, field in BAD_BODIES:
        raw = orjson.dumps(body).replace(b'"FUTURE"', orjson.dumps(future()))
        answer = await warehouse.client.request(
            method,
            path_of(kind, open_fulfillment, names),
            content=raw,
            headers={**auth("warehouse"), "Content-Type": "application/json"},
        )
        assert answer.status_code == 422, f"{kind} {body}: {answer.status_code} {answer.text}"
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["field"] == field, f"{kind} {body}: {problem}"
        assert problem["status"] == 422 and problem["type"].startswith("https://") and problem["detail"]

    assert await database("SELECT count(*) AS n FROM outbox") == outbox_before
    assert (await warehouse.stock("MUG"))["on_hand"] == 10
    assert (await warehouse.fulfillment_of(open_fulfillment["order_id"]))["shipments"] == []
    assert await database("SELECT * FROM labor_shifts") == []


async def test_a_body_that_is_not_json_is_a_problem_too(warehouse, names):
    answer = await warehouse.client.put(
        f"/v1/warehouses/{names.warehouse}/stock/{names.sku('MUG')}",
        content=b"{on_hand: 5",
        headers={**auth("warehouse"), "Content-Type": "application/json"},
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "params,field",
    [
        ({"status": "lost"}, "query.status"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 201}, "query.limit"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
async def test_bad_queries_of_the_work_queue_are_problems_naming_the_parameter(client, params, field):
    answer = await client.get("/v1/fulfillments", params=params, headers=auth("warehouse"))

    assert answer.status_code in (400, 422)
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field


async def test_unknown_fulfillments_are_404_problems(client):
    answer = await client.post(
        "/v1/fulfillments/ful-nope/close", json={"reason": "gone"}, headers=auth("warehouse")
    )

    assert answer.status_code == 404
    assert answer.json()["type"].endswith("/fulfillment-not-found")


async def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(warehouse, names, open_fulfillment):
    path = f"/v1/fulfillments/{open_fulfillment['fulfillment_id']}/pack"
    body = {"lines": warehouse.sku_lines(MUG=1), "documents": warehouse.documents(MUG=1)}
    headers = {**auth("warehouse"), "Idempotency-Key": "pack-1"}

    first = await warehouse.client.post(path, json=body, headers=headers)
    again = await warehouse.client.post(path, json=body, headers=headers)
    other = await warehouse.client.post(path, json=body | {"lines": warehouse.sku_lines(MUG=2)}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert other.status_code == 409
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert len((await warehouse.fulfillment_of(open_fulfillment["order_id"]))["shipments"]) == 1


async def test_the_openapi_document_describes_every_route_with_its_bodies_and_problems(client):
    document = (await client.get("/openapi.json")).json()

    for method, path, _, _ in ROUTES:
        template = path.replace("wh-m", "{warehouse_id}").replace("/MUG", "/{sku}").replace("ful-x", "{fulfillment_id}")
        template = template.replace("/dhl/", "/{carrier}/").replace("r-x", "{return_id}")
        operation = document["paths"][template][method.lower()]
        assert operation["description"], template
        if method != "GET":
            assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"], template
        assert "application/problem+json" in operation["responses"]["403"]["content"], template
    assert "CarrierEventBatch" in document["components"]["schemas"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


def bodies_for(valid: dict[str, dict], examples: int) -> list[tuple[str, object]]:
    """Deterministic random bodies: valid ones with one part replaced by random JSON, and random JSON."""
    drawn: list[tuple[str, object]] = []

    def replace_somewhere(value, replacement, path):
        if not path or not isinstance(value, (dict, list)) or not value:
            return replacement
        keys = list(value) if isinstance(value, dict) else list(range(len(value)))
        key = keys[path[0] % len(keys)]
        copy = dict(value) if isinstance(value, dict) else list(value)
        copy[key] = replace_somewhere(copy[key], replacement, path[1:])
        return copy

    @hypothesis_settings(max_examples=examples, derandomize=True, deadline=None, database=None)
    @given(route=st.sampled_from(sorted(valid)), replacement=JSON, path=st.lists(st.integers(0, 9), max_size=4))
    def draw(route, replacement, path):
        drawn.append((route, replace_somewhere(valid[route], replacement, path)))

    draw()
    return drawn


async def test_random_and_broken_bodies_never_get_a_server_error(warehouse, names, open_fulfillment):
    fulfillment_path = f"/v1/fulfillments/{open_fulfillment['fulfillment_id']}"
    valid = {
        f"{fulfillment_path}/pack": {"lines": [LINE], "documents": [{"kind": "invoice", "ref": "I", "lines": [LINE]}]},
        f"{fulfillment_path}/dispatch": {"shipment_id": "s", "carrier": "dhl", "tracking_number": "T", "eta": NOW.isoformat()},
        f"{fulfillment_path}/close": {"reason": "r"},
        f"/v1/warehouses/{names.warehouse}/labor-shifts": SHIFT,
        "/v1/returns/r-1/receive": RETURN | {"order_id": open_fulfillment["order_id"]},
        "/v1/carriers/dhl/events": {"events": [{"event_id": "e", "tracking_number": "T", "status": "delivered",
                                                "occurred_at": NOW.isoformat(), "lines": [LINE]}]},
        f"/v1/warehouses/{names.warehouse}/stock/{names.sku('CAP')}": {"on_hand": 3},
    }
    for path, body in bodies_for(valid, examples=250):
        method = "PUT" if "/stock/" in path else "POST"
        headers, raw = request_as("carrier:dhl" if "/carriers/" in path else "warehouse", method, path, body)
        answer = await warehouse.client.request(method, path, content=raw, headers=headers)
        assert answer.status_code < 500, (path, body, answer.text)
        if answer.status_code >= 400:
            assert answer.headers["content-type"] == "application/problem+json", (path, body, answer.text)


@pytest.mark.parametrize("odd", ["%00", "x" * 300, "%20", "%0A", "a%2Fb"])
async def test_odd_path_segments_are_refused_or_not_found_never_a_server_error(client, odd):
    for method, path in [
        ("PUT", f"/v1/warehouses/{odd}/stock/{odd}"),
        ("GET", f"/v1/warehouses/{odd}/stock"),
        ("POST", f"/v1/fulfillments/{odd}/close"),
        ("POST", f"/v1/returns/{odd}/receive"),
        ("POST", f"/v1/warehouses/{odd}/labor-shifts"),
    ]:
        answer = await client.request(method, path, json={"on_hand": 1, "reason": "x"}, headers=auth("warehouse"))
        assert answer.status_code in (404, 405, 422), (path, answer.status_code, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"


def conforms(model, body: dict) -> None:
    """The body is what the OpenAPI document says: it validates, with no field left undocumented."""
    model.model_validate(body)
    assert set(body) == set(model.model_fields), (model.__name__, set(body) ^ set(model.model_fields))


async def test_every_answer_of_a_whole_journey_matches_its_documented_shape(warehouse, names):
    stocked = await warehouse.put_stock("MUG", 5)
    conforms(responses.StockUpdated, stocked.json())
    fulfillment = await warehouse.wait_for_fulfillment(await warehouse.confirm("a", MUG=2))
    queue = (await warehouse.client.get("/v1/fulfillments", headers=auth("warehouse"))).json()
    conforms(responses.FulfillmentPage, queue)
    conforms(responses.FulfillmentOut, queue["items"][0])
    listed = (await warehouse.client.get(f"/v1/warehouses/{names.warehouse}/stock", headers=auth("warehouse"))).json()
    conforms(responses.StockPage, listed)
    packed = await warehouse.pack(fulfillment["fulfillment_id"], MUG=2)
    conforms(responses.PackResult, packed.json())
    sent = await warehouse.dispatch(fulfillment["fulfillment_id"], packed.json()["shipment_id"], "1")
    conforms(responses.DispatchResult, sent.json())
    scanned = await warehouse.report([warehouse.scan("1", "1", "delivered", minutes=1, condition="intact")])
    conforms(responses.ScanResults, scanned.json())
    returned = await warehouse.client.post(
        "/v1/returns/r-1/receive",
        json={"order_id": fulfillment["order_id"], "lines": warehouse.sku_lines(MUG=1), "condition": "intact"},
        headers=auth("warehouse"),
    )
    conforms(responses.ReturnReceipt, returned.json())
    shift = await warehouse.client.post(f"/v1/warehouses/{names.warehouse}/labor-shifts", json=SHIFT, headers=auth("warehouse"))
    conforms(responses.LaborShiftOut, shift.json())
    other = await warehouse.wait_for_fulfillment(await warehouse.confirm("b", MUG=1))
    closed = await warehouse.client.post(
        f"/v1/fulfillments/{other['fulfillment_id']}/close", json={"reason": "gone"}, headers=auth("warehouse")
    )
    conforms(responses.FulfillmentOut, closed.json())
    refused = await warehouse.put_stock("MUG", -1)
    conforms(responses.ProblemDetails, {k: v for k, v in refused.json().items() if k != "errors"})

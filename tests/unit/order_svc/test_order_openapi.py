"""order-svc's OpenAPI document tells callers what they need: every route documented, its errors problem+json."""

from order_svc.bootstrap import build_app
from order_svc.settings import OrderSettings

OPENAPI = build_app(OrderSettings()).openapi()
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, operations in OPENAPI["paths"].items()
    if path.startswith("/v1/")
    for method, operation in operations.items()
]


def test_every_route_says_what_it_does():
    assert len(OPERATIONS) == 11
    assert [name for name, operation in OPERATIONS if not operation.get("description")] == []


def test_every_error_a_route_documents_is_problem_json():
    for name, operation in OPERATIONS:
        errors = {status: answer for status, answer in operation["responses"].items() if status.startswith("4")}
        assert {"401", "403", "422"} <= set(errors), name
        assert all(list(answer["content"]) == ["application/problem+json"] for answer in errors.values()), name


def test_creating_an_order_requires_an_idempotency_key_and_other_posts_accept_one():
    for name, operation in OPERATIONS:
        if name.startswith("POST"):
            key = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
            assert key["required"] is (name == "POST /v1/orders"), name


def test_the_signed_payment_callback_documents_its_body_and_signature():
    operation = OPENAPI["paths"]["/v1/payments/callbacks"]["post"]
    assert operation["requestBody"]["required"] is True
    assert {"X-Signature", "X-Signature-Timestamp"} <= {p["name"] for p in operation["parameters"]}

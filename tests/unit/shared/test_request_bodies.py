"""Request bodies refuse unknown fields and text holding a NUL character (PostgreSQL cannot store
one: order-svc answered 500 before), naming the field at fault."""

from __future__ import annotations

import pytest
from orderpulse.http.bodies import RequestBody
from pydantic import ValidationError


class Line(RequestBody):
    sku: str


class Order(RequestBody):
    note: str | None = None
    tags: list[str] = []
    lines: list[Line] = []


def error_locations(body: dict) -> list[tuple]:
    with pytest.raises(ValidationError) as raised:
        Order.model_validate(body)
    return [error["loc"] for error in raised.value.errors()]


def test_a_nul_in_a_text_field_is_refused_naming_the_field():
    assert error_locations({"note": "gift\x00wrap"}) == [("note",)]


def test_a_nul_in_a_list_or_a_nested_body_is_refused_naming_where():
    assert error_locations({"tags": ["ok", "b\x00d"]}) == [("tags",)]
    assert error_locations({"lines": [{"sku": "MUG-1"}, {"sku": "\x00"}]}) == [("lines", 1, "sku")]


def test_unknown_fields_are_refused():
    assert error_locations({"nte": "typo"}) == [("nte",)]


def test_ordinary_text_including_other_control_characters_and_emoji_passes():
    order = Order.model_validate({"note": "line one\nline two\t🎁", "tags": ["a"], "lines": [{"sku": "MUG-1"}]})
    assert order.note == "line one\nline two\t🎁"

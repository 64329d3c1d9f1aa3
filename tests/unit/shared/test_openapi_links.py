"""OpenAPI links: written into the document from a service's table, checked against the routes."""

import pytest
from fastapi import FastAPI
from orderpulse.http.links import LinkError, OperationLink, add_links


def _app(links) -> FastAPI:
    app = FastAPI()

    @app.post("/things", status_code=201)
    def make_thing() -> dict:
        return {}

    @app.get("/things/{thing_id}")
    def read_thing(thing_id: str) -> dict:
        return {}

    add_links(app, links)
    return app


READ = OperationLink("ReadThing", ("POST", "/things"), 201, ("GET", "/things/{thing_id}"),
                     {"thing_id": "$response.body#/thing_id"}, "Read the thing just made")


def test_a_link_names_its_target_by_operation_id_with_its_parameters():
    document = _app([READ]).openapi()
    target = document["paths"]["/things/{thing_id}"]["get"]["operationId"]
    link = document["paths"]["/things"]["post"]["responses"]["201"]["links"]["ReadThing"]
    assert link == {"operationId": target, "parameters": {"thing_id": "$response.body#/thing_id"},
                    "description": "Read the thing just made"}


def test_reading_the_document_twice_writes_each_link_once():
    app = _app([READ])
    app.openapi()
    assert list(app.openapi()["paths"]["/things"]["post"]["responses"]["201"]["links"]) == ["ReadThing"]


@pytest.mark.parametrize(("link", "complaint"), [
    (OperationLink("X", ("POST", "/nothing"), 201, ("GET", "/things/{thing_id}"), {"thing_id": "$x"}), "no operation"),
    (OperationLink("X", ("POST", "/things"), 200, ("GET", "/things/{thing_id}"), {"thing_id": "$x"}), "no 200 answer"),
    (OperationLink("X", ("POST", "/things"), 201, ("GET", "/things/{thing_id}"), {"other": "$x"}), "no parameter"),
    (OperationLink("X", ("POST", "/things"), 201, ("GET", "/things/{thing_id}"), {}), "are not given"),
])
def test_a_link_to_something_the_document_lacks_is_refused(link, complaint):
    with pytest.raises(LinkError, match=complaint):
        _app([link]).openapi()

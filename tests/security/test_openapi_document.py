"""The merged OpenAPI document tells the truth about each operation: two functions that
name different shapes alike keep their own, and each app declares the errors its routes
answer, in its own error shape."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Discriminator, create_model

from tests.support.function_specs import function_with_routes
from wavedb_core.http import AuthenticatedPrincipal, answers, create_app
from wavedb_core.http.error_responses import ErrorShapes, declare_error_responses
from wavedb_local.model import StackModel
from wavedb_local.openapi import merge_openapi


def _model(*functions: tuple[str, list[tuple[str, str]]]) -> StackModel:
    specs = {
        logical_id: function_with_routes(
            logical_id, [(method, path, True) for method, path in routes]
        )
        for logical_id, routes in functions
    }
    return StackModel(
        template_path=Path("template.yaml"), functions=specs, queues={}, buckets={}, http_apis={}
    )


class Owner(BaseModel):
    id: str


class Workspace(BaseModel):
    id: str
    owner: Owner


# Another function's models of the same names and other shapes; its Listing reads like
# ours would in the document, but its Owner is another.
TheirOwner = create_model("Owner", email=(str, ...))
TheirWorkspace = create_model("Workspace", name=(str, ...), owner=(TheirOwner, ...))
TheirListing = create_model("Listing", owner=(TheirOwner, ...))


def _ours() -> dict[str, Any]:
    app = FastAPI()

    @app.get("/v1/workspaces/{workspace_id}")
    def get_workspace(workspace_id: str) -> Workspace:
        raise NotImplementedError

    return app.openapi()


def _theirs() -> dict[str, Any]:
    app = FastAPI()

    @app.get("/workspaces/{workspace_id}", response_model=TheirWorkspace)
    def get_workspace(workspace_id: str) -> Any:
        raise NotImplementedError

    @app.get("/listing", response_model=TheirListing)
    def listing() -> Any:
        raise NotImplementedError

    return app.openapi()


def _schema_of(document: dict[str, Any], path: str) -> dict[str, Any]:
    reference = document["paths"][path]["get"]["responses"]["200"]["content"]
    name = reference["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


def _resolved_owner(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    name = schema["properties"]["owner"]["$ref"].rsplit("/", 1)[1]
    return set(document["components"]["schemas"][name]["properties"])


def test_merge_keeps_each_functions_own_shape_of_a_shared_component_name() -> None:
    model = _model(
        ("CoreFunction", [("GET", "/v1/workspaces/{workspace_id}")]),
        ("ToraFunction", [("GET", "/workspaces/{workspace_id}"), ("GET", "/listing")]),
    )

    document = merge_openapi(model, {"CoreFunction": _ours(), "ToraFunction": _theirs()}, title="A")

    ours = _schema_of(document, "/v1/workspaces/{workspace_id}")
    theirs = _schema_of(document, "/workspaces/{workspace_id}")
    listing = _schema_of(document, "/listing")
    assert set(ours["properties"]) == {"id", "owner"}
    assert set(theirs["properties"]) == {"name", "owner"}
    assert _resolved_owner(document, ours) == {"id"}
    assert _resolved_owner(document, theirs) == {"email"}
    assert _resolved_owner(document, listing) == {"email"}


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


OurPet = Annotated[Cat | Dog, Discriminator("kind")]


class Theirs:
    class Cat(BaseModel):
        kind: Literal["cat"]
        whiskers: int

    Pet = Annotated[Cat | Dog, Discriminator("kind")]


def _ours_pets() -> dict[str, Any]:
    app = FastAPI()

    @app.post("/v1/pets", status_code=204)
    def add_pet(body: OurPet) -> None:
        raise NotImplementedError

    return app.openapi()


def _their_pets() -> dict[str, Any]:
    app = FastAPI()

    @app.post("/pets", status_code=204)
    def add_pet(body: Theirs.Pet) -> None:
        raise NotImplementedError

    return app.openapi()


def test_merge_points_a_discriminator_mapping_at_the_renamed_component_too() -> None:
    model = _model(("CoreFunction", [("POST", "/v1/pets")]), ("ToraFunction", [("POST", "/pets")]))
    pets = {"CoreFunction": _ours_pets(), "ToraFunction": _their_pets()}

    document = merge_openapi(model, pets, title="A")

    for path, field in (("/v1/pets", "lives"), ("/pets", "whiskers")):
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        cat = body["schema"]["discriminator"]["mapping"]["cat"]
        assert field in document["components"]["schemas"][cat.rsplit("/", 1)[1]]["properties"]
        assert cat in [choice["$ref"] for choice in body["schema"]["oneOf"]]


class Thing(BaseModel):
    name: str


class OddError(BaseModel):
    problem: str


def _things_router() -> APIRouter:
    router = APIRouter()

    @router.get("/v1/things")
    def list_things(principal: AuthenticatedPrincipal) -> list[Thing]:
        raise NotImplementedError

    @router.patch("/v1/things/{thing_id}", responses=answers(409))
    def rename_thing(principal: AuthenticatedPrincipal, thing_id: str, body: Thing) -> Thing:
        raise NotImplementedError

    @router.post("/v1/open")
    def open_route(body: Thing) -> Thing:
        raise NotImplementedError

    return router


def _responses(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    answers_of: dict[str, Any] = document["paths"][path][method]["responses"]
    return answers_of


def _error_schema(response: dict[str, Any]) -> str:
    reference: str = response["content"]["application/json"]["schema"]["$ref"]
    return reference.rsplit("/", 1)[1]


def test_each_route_declares_the_errors_its_shape_implies() -> None:
    document = create_app(_things_router(), title="things").openapi()

    listing = _responses(document, "/v1/things", "get")
    renaming = _responses(document, "/v1/things/{thing_id}", "patch")
    public = _responses(document, "/v1/open", "post")
    assert set(listing) == {"200", "401", "403", "429", "503"}
    assert set(renaming) == {"200", "400", "401", "403", "404", "409", "413", "422", "429", "503"}
    assert set(public) == {"200", "400", "413", "422", "503"}
    assert {_error_schema(renaming[code]) for code in renaming if code != "200"} == {"ErrorBody"}
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_an_app_with_its_own_error_shape_declares_it_and_drops_fastapis_422() -> None:
    app = FastAPI()
    app.include_router(_things_router())
    declare_error_responses(app, ErrorShapes(default=OddError, validation_status=400))

    document = app.openapi()

    renaming = _responses(document, "/v1/things/{thing_id}", "patch")
    assert "422" not in renaming
    assert {_error_schema(renaming[code]) for code in renaming if code != "200"} == {"OddError"}
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_merged_operations_with_a_body_declare_the_gateways_own_413() -> None:
    model = _model(("ThingsFunction", [("PATCH", "/v1/things/{thing_id}"), ("GET", "/v1/things")]))
    things = create_app(_things_router(), title="things").openapi()

    document = merge_openapi(model, {"ThingsFunction": things}, title="A")

    too_large = _responses(document, "/v1/things/{thing_id}", "patch")["413"]
    choices = too_large["content"]["application/json"]["schema"]["anyOf"]
    assert [choice["$ref"].rsplit("/", 1)[1] for choice in choices] == [
        "ErrorBody",
        "GatewayMessage",
    ]
    assert "413" not in _responses(document, "/v1/things", "get")
    assert document["components"]["schemas"]["GatewayMessage"]["required"] == ["message"]

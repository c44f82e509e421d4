"""openapi.yaml: a valid OpenAPI 3 document that names exactly the app's routes."""
from pathlib import Path

import yaml
from openapi_spec_validator import validate

import app as application
from chalicelib.staff import sessions

DOCUMENT = Path(__file__).resolve().parents[2] / "openapi.yaml"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def document():
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def test_the_document_is_valid_openapi_3():
    spec = document()
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_every_route_is_documented_and_every_documented_route_exists():
    """A route added to app.py fails here until openapi.yaml describes it."""
    routes = {(path, method.lower()) for path, methods in application.app.routes.items() for method in methods}
    documented = {(path, method) for path, item in document()["paths"].items() for method in item
                  if method in METHODS}
    assert routes - documented == set(), "routes missing from openapi.yaml"
    assert documented - routes == set(), "openapi.yaml names routes the app does not have"


SCHEMES = {"staff_token": "staffToken", "staff_session": "staffSession"}   # app.py's authorizers


def _scheme(path):
    """What the document must ask for: the dashboard a session cookie, the staff API a token."""
    if path == "/staff/login":
        return None
    if path == "/staff/logout" or path == "/staff/dashboard" or path.startswith(("/staff/dashboard/",
                                                                                "/staff/new-campaign")):
        return "staffSession"
    return "staffToken" if path.startswith("/staff/") else None


def test_staff_routes_require_the_staff_token_or_session_and_public_ones_do_not():
    spec = document()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            scheme = _scheme(path)
            assert operation.get("security") == ([{scheme: []}] if scheme else None), (method, path)
            if scheme:
                assert "401" in operation["responses"], (method, path)
            authorizer = application.app.routes[path][method.upper()].authorizer
            if authorizer is not None:
                assert SCHEMES[authorizer.name] == scheme, (method, path)
    session = spec["components"]["securitySchemes"]["staffSession"]
    assert session == {**session, "type": "apiKey", "in": "cookie", "name": sessions.COOKIE}


def test_every_error_answer_uses_the_error_shape():
    spec = document()
    responses = spec["components"]["responses"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = responses[response["$ref"].rsplit("/", 1)[-1]]
                if int(status) < 400 or "application/json" not in response.get("content", {}):
                    continue
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_patterns_match_whole_values_as_the_document_says():
    """Python's ``$`` also matches before a final newline; the document's patterns do not."""
    from chalicelib.domain.campaign import parse_campaign, validate_campaign_id
    from chalicelib.domain.errors import ValidationFailed
    from tests.conftest import START, campaign_body

    assert "campaign_id" in validate_campaign_id("ua-47-22\n").errors
    for field, value in (("languages", ["en\n"]), ("letter_language", "es\n"),
                         ("targets", [{"id": "governor\n", "name": "A"}])):
        try:
            parse_campaign("ua-47-22", campaign_body(**{field: value}), START)
        except ValidationFailed as error:
            assert any(name.startswith(field) for name in error.fields), error.fields
        else:
            raise AssertionError(f"{field}={value!r} was accepted")

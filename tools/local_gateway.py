"""API Gateway's part in staff authentication, for `make run` and the tests.

Deployed, API Gateway runs the route's authorizer and answers a refusal with
the gateway responses in ``.chalice/gateway-responses.json`` (the RestAPI's
``GatewayResponses``): 401 in the API's JSON error shape. Chalice's local
gateway runs the same authorizers, but differs in three ways fixed here:

* it reads the ``Authorization`` header for every authorizer, even one that
  names another header (aws/chalice#1675); the dashboard's reads ``Cookie``;
* a missing header gets its own body, ``{"message": "Unauthorized"}``;
* an authorizer that raises (API Gateway's way to say 401) escapes as an
  exception instead of becoming a response.
"""
import json
from pathlib import Path

from chalice.local import LocalGateway, LocalGatewayAuthorizer, NotAuthorizedError

from chalicelib.staff.auth import StaffTokenRefused
from chalicelib.storage import StorageUnavailable

GATEWAY_RESPONSES_FILE = Path(__file__).resolve().parent.parent / ".chalice" / "gateway-responses.json"


def gateway_responses() -> dict:
    return json.loads(GATEWAY_RESPONSES_FILE.read_text(encoding="utf-8"))


def gateway_response(kind: str) -> dict:
    """The response API Gateway sends for ``kind`` (e.g. UNAUTHORIZED), as a Lambda proxy result."""
    config = gateway_responses()[kind]
    headers = {"Content-Type": "application/json"}
    # Header values are static mapping expressions: a literal in single quotes.
    headers.update({name: value.strip("'") for name, value in
                    config.get("ResponseParameters", {}).get("Headers", {}).items()})
    return {"statusCode": config["StatusCode"], "headers": headers, "multiValueHeaders": {},
            "body": config["ResponseTemplates"]["application/json"]}


class _NamedHeaderAuthorizer(LocalGatewayAuthorizer):
    def _prepare_authorizer_event(self, arn, lambda_event, lambda_context):
        route = self._route_for_event(lambda_event)
        header = route.authorizer.config.header.lower()
        token = (lambda_event.get("headers") or {}).get(header)
        if token is None:
            raise NotAuthorizedError({}, b"")   # API Gateway does not call the authorizer
        return dict(lambda_event, type="TOKEN", authorizationToken=token, methodArn=arn)


class GatewayWithResponses(LocalGateway):
    """Chalice's LocalGateway, refusing staff credentials as the deployed API Gateway does."""

    def __init__(self, app_object, config):
        super().__init__(app_object, config)
        self._authorizer = _NamedHeaderAuthorizer(app_object)

    def handle_request(self, method, path, headers, body):
        try:
            return super().handle_request(method, path, headers, body)
        except (StaffTokenRefused, NotAuthorizedError):
            return gateway_response("UNAUTHORIZED")
        except StorageUnavailable:    # the authorizer could not read the token
            return gateway_response("AUTHORIZER_FAILURE")


def use_gateway_responses(test_client):
    """Make a ``chalice.test.Client`` answer as API Gateway with our gateway responses."""
    http = test_client.http
    # TestHTTPClient keeps its gateway in a private attribute; chalice is pinned in
    # requirements-dev.txt and tests/staff/test_auth.py fails if this stops working.
    http._local_gateway = GatewayWithResponses(http._app, http._config)
    return test_client

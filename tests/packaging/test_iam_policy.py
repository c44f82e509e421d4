"""The hand-written policies against the AWS calls the code really makes.

Chalice runs each handler of ``app.py`` in a Lambda function (every route in one, each
authorizer and the scheduled job in their own), each with its own role and the policy
file ``.chalice/config.json`` gives it. ``tests/aws_calls.py`` records the DynamoDB and
SNS calls made under each handler during the whole session; the audit tests here run
last and check, for each stage, every function's calls against its role's policy, both
ways. The staff CLI's calls are recorded apart: they run with a person's own credentials.
"""
import json
from datetime import timedelta

import boto3
import pytest
from click.testing import CliRunner

import app as application
from chalicelib.runtime import process
from infra.stack import API_HANDLER, STAGES, StageNames, chalice_functions
from tally_cli.main import cli
from tests.aws_calls import RECORDER, STAFF_CLI, IamRequest, iam_requests
from tests.conftest import TABLE, campaign_body, post_report, report_body, run_scheduled
from tools.stream_poller import StreamPoller
from tests.iam import (
    ROOT,
    allows,
    granted_actions,
    load_policy,
    missing_permissions,
    policy_file,
    stage_arn,
    statements,
)

# Lambda itself writes the logs, reads the table's stream for the fold (its event source
# mapping) and reports a batch it gives up on to the failure queue, with the function's role:
# the code never makes these calls.
RUNTIME_ONLY = ("Logs", "ReadStream", "FailedBatches")
FUNCTIONS = chalice_functions(application.app)
ROUTE_VIEWS = {entry.view_name for methods in application.app.routes.values() for entry in methods.values()}


def function_of(caller: str) -> str:
    """The Lambda function that runs ``caller``, a recorded ``app.py:<handler>``."""
    handler = caller.removeprefix("app.py:")
    named = [name for name, handler_string in FUNCTIONS.items() if handler_string == f"app.{handler}"]
    if named:
        return named[0]
    assert handler in ROUTE_VIEWS, f"{caller} is neither a route, an authorizer nor a scheduled job"
    return API_HANDLER


def calls_by_function(recorded: dict) -> dict:
    """``{function: {IamRequest: where}}`` from the recorder's ``{caller: ...}``."""
    by_function = {name: {} for name in FUNCTIONS}
    for caller, calls in recorded.items():
        if caller == STAFF_CLI:
            continue
        function_calls = by_function[function_of(caller)]
        for request, where in calls.items():
            function_calls.setdefault(request, where)
    return by_function


def roles(stage: str) -> dict:
    """``{policy file: [functions whose role it is]}`` in ``stage``."""
    found = {}
    for name in FUNCTIONS:
        found.setdefault(policy_file(stage, name), []).append(name)
    return found


@pytest.fixture
def totals_topic(moto_table, monkeypatch):
    """The stage's totals topic, in moto, given to the functions as deployed."""
    arn = boto3.client("sns", region_name="us-east-1").create_topic(Name=StageNames("dev").totals_topic)["TopicArn"]
    monkeypatch.setenv("TOTALS_TOPIC_ARN", arn)
    process.reset()     # settings are read once per process, as in Lambda


@pytest.fixture
def every_aws_path(totals_topic, client, campaign, staff_headers, fake_clock):
    """The API, both authorizers and the schedule through a campaign's life to its announced
    totals, so that the audit has every function's core calls even when it runs alone;
    the rest of the session adds its own."""
    body = report_body()
    assert post_report(client, campaign, body).status_code == 201
    assert post_report(client, campaign, body).status_code == 200
    flagged = json.loads(post_report(client, campaign, report_body(website="x")).body)["report_id"]
    assert client.http.get(f"/staff/campaigns/{campaign}/flagged", headers=staff_headers).status_code == 200
    reinstated = client.http.post(f"/staff/campaigns/{campaign}/reports/{flagged}/reinstate", headers=staff_headers,
                                  body=json.dumps({"reason": "a person", "by": "tests"}))
    assert reinstated.status_code == 200, reinstated.body
    tally = client.http.post(f"/staff/campaigns/{campaign}/tallies", headers=staff_headers, body=json.dumps(
        {"source": "Madrid group", "acted_on": "2026-01-09", "per_target": {"governor": {"letter": 3}}}))
    assert tally.status_code == 201, tally.body
    assert client.http.get(f"/staff/campaigns/{campaign}/totals", headers=staff_headers).status_code == 200
    # issue 14: a follow-up (its case found in the case index), the case, an outcome (announced by the schedule)
    follow_up = client.http.put(f"/staff/campaigns/{campaign}-fi", headers=staff_headers,
                                body=json.dumps(campaign_body(follow_up_of=campaign)))
    assert follow_up.status_code == 201, follow_up.body
    assert client.http.get(f"/cases/{campaign}-fi").status_code == 200
    outcome = client.http.put(f"/staff/campaigns/{campaign}/outcome", headers=staff_headers,
                              body=json.dumps({"status": "improved", "on": "2026-01-10"}))
    assert outcome.status_code == 200, outcome.body
    signed_in = client.http.post("/staff/login", body=f"token={staff_headers['Authorization'].split()[1]}",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    session = {"Cookie": signed_in.headers["Set-Cookie"].split(";")[0]}
    assert client.http.get("/staff/dashboard", headers=session).status_code == 200
    assert client.http.post("/staff/logout", headers=session).status_code == 303
    erasure = client.http.post("/staff/erasures", headers=staff_headers,
                               body=json.dumps({"contact_email": "nobody@example.org"}))
    assert erasure.status_code == 202, erasure.body
    assert client.http.get(erasure.headers["Location"], headers=staff_headers).status_code == 200
    fake_clock.set(fake_clock() + timedelta(seconds=31))   # the erasure has settled: the next run works on it
    run_scheduled(client)
    fake_clock.set(fake_clock() + timedelta(days=30))
    run_scheduled(client)
    assert json.loads(client.http.get(f"/campaigns/{campaign}/totals").body)["final"] is True
    # The stream delivered again from its start, as a new mapping or a retry would: the fold reads.
    StreamPoller(TABLE).deliver(lambda event, _: client.lambda_.invoke("fold", event))
    return calls_by_function(RECORDER.calls)


@pytest.mark.aws_policy_audit
def test_every_function_was_seen_calling_aws(every_aws_path):
    """Else the audit below would pass for a function whose calls the recorder missed."""
    assert all(every_aws_path.values()), {name: bool(calls) for name, calls in every_aws_path.items()}


@pytest.mark.aws_policy_audit
@pytest.mark.parametrize("stage", STAGES)
def test_each_role_allows_every_call_its_function_makes(stage, every_aws_path):
    missing = [f"{name} ({policy_file(stage, name)}): {line}" for name, calls in every_aws_path.items()
               for line in missing_permissions(load_policy(policy_file(stage, name)), StageNames(stage), calls)]
    assert not missing, ("the policies do not allow calls the code makes; add each action to the "
                         "statement for that resource:\n  " + "\n  ".join(missing))


@pytest.mark.aws_policy_audit
@pytest.mark.parametrize("stage", STAGES)
def test_each_role_grants_nothing_its_functions_do_not_call(stage, every_aws_path):
    """Every action granted is called, and every resource named (the table, its indexes,
    the topic) is reached, by one of the functions that have the role."""
    names, unused = StageNames(stage), []
    for filename, functions in roles(stage).items():
        called = {request for name in functions for request in every_aws_path[name]}
        for statement in statements(load_policy(filename)):
            if statement.get("Sid") in RUNTIME_ONLY or statement["Effect"] != "Allow":
                continue
            for action in statement["Action"]:
                for resource in statement["Resource"]:
                    grant = {"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
                    if not any(allows(grant, request.action, stage_arn(names, request.resource)) for request in called):
                        unused.append(f"{filename}: {action} on {resource}")
    assert not unused, "policies grant what their functions never call:\n  " + "\n  ".join(unused)


@pytest.mark.parametrize("stage", STAGES)
def test_each_role_writes_the_logs_of_its_own_functions_only(stage):
    for filename, functions in roles(stage).items():
        (logs,) = [s for s in statements(load_policy(filename)) if s.get("Sid") == "Logs"]
        groups = {StageNames(stage).log_group(name) for name in functions}
        assert set(logs["Resource"]) == {f"arn:aws:logs:*:*:log-group:{group}{suffix}"
                                         for group in groups for suffix in ("", ":*")}, filename


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_policy_reaches_only_its_own_resources(stage):
    names = StageNames(stage)
    other = StageNames(next(s for s in STAGES if s != stage))
    for filename in roles(stage):
        policy = load_policy(filename)
        for action in granted_actions(policy, skip_sids=RUNTIME_ONLY):
            for resource in (("table",), ("index", "campaigns_by_state"), ("index", "campaigns_by_case"),
                             ("topic",)):
                assert not allows(policy, action, stage_arn(other, resource)), (filename, action, resource)
        resources = [r for s in policy["Statement"] for r in s["Resource"]]
        assert resources and all(names.stage in r and "*:*:*" not in r for r in resources), (filename, resources)


def test_the_stages_in_chalice_config_match_the_infrastructure():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert set(config["stages"]) == set(STAGES)
    for stage, settings in config["stages"].items():
        assert settings["autogen_policy"] is False
        assert settings["iam_policy_file"] == f"policy-{stage}.json"
        assert settings["environment_variables"]["TABLE_NAME"] == StageNames(stage).table
        assert settings["environment_variables"]["STAGE"] == stage
        assert set(settings["lambda_functions"]) <= set(FUNCTIONS), "settings for a function the app lacks"


# -- the recorder and the checker themselves --------------------------------------------

def test_the_recorder_tells_lambda_handlers_from_the_staff_cli_and_ignores_the_rest(
        client, campaign, store, moto_table, staff_headers, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", TABLE)
    with RECORDER.capture() as seen:
        assert client.http.get(f"/staff/campaigns/{campaign}/totals", headers=staff_headers).status_code == 200
        assert CliRunner().invoke(cli, ["token", "list"], catch_exceptions=False).exit_code == 0
        store.get_campaign(campaign)            # a test driving the storage layer: no deployed code
        moto_table.scan()                       # the test itself
    assert set(seen) == {"app.py:staff_token", "app.py:get_staff_totals", STAFF_CLI}
    assert set(seen[STAFF_CLI]) == {IamRequest("dynamodb:Query", ("table",))}       # tokens, with staff's keys
    assert all(where.startswith("chalicelib/storage/") for where in seen[STAFF_CLI].values())
    assert set(seen["app.py:staff_token"]) == {IamRequest("dynamodb:GetItem", ("table",))}
    assert {function_of(caller) for caller in seen if caller != STAFF_CLI} == {"staff_token", API_HANDLER}


def test_transactions_are_authorised_item_by_item():
    params = {"TransactItems": [{"Put": {"TableName": "t"}}, {"Delete": {"TableName": "t"}},
                                {"ConditionCheck": {"TableName": "t"}}]}
    assert iam_requests("dynamodb", "TransactWriteItems", params) == [
        IamRequest("dynamodb:PutItem", ("table",)), IamRequest("dynamodb:DeleteItem", ("table",)),
        IamRequest("dynamodb:ConditionCheckItem", ("table",))]


def test_a_call_the_policy_lacks_is_named_with_where_it_was_made():
    calls = {IamRequest("dynamodb:DeleteItem", ("table",)): "chalicelib/storage/reports.py:10 in forget_report",
             IamRequest("dynamodb:Query", ("index", "reports_by_received")): "chalicelib/storage/reports.py:20 in x"}
    missing = missing_permissions(load_policy("policy-prod.json"), StageNames("prod"), calls)
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/action-tally-prod"
    assert missing == [   # the API's role queries one index only
        f"dynamodb:DeleteItem on {table} (first called at chalicelib/storage/reports.py:10 in forget_report)",
        f"dynamodb:Query on {table}/index/reports_by_received (first called at chalicelib/storage/reports.py:20 in x)"]

"""The hand-written stage policies against the AWS calls the code really makes.

``tests/aws_calls.py`` records every DynamoDB and SNS call made from ``app.py`` and
``chalicelib/`` during the whole session; the audit tests here run last and check
that record against ``.chalice/policy-<stage>.json``, both ways.
"""
import json
from datetime import timedelta

import pytest

from infra.stack import STAGES, StageNames
from tests.aws_calls import RECORDER, IamRequest, iam_requests
from tests.conftest import post_report, report_body, run_scheduled
from tests.iam import ROOT, allows, granted_actions, load_policy, missing_permissions, stage_arn

# The Lambda runtime writes the logs; the code never calls CloudWatch Logs itself.
RUNTIME_ONLY = ("Logs",)
# Granted ahead of the code that will call them. When the code does, the audit fails
# until the entry is removed, so this list cannot go stale.
PENDING = {"sns:Publish": "the scheduled job publishes final totals to TOTALS_TOPIC_ARN (in progress)"}


@pytest.fixture
def every_aws_path(client, campaign, staff_headers, fake_clock):
    """The API and the schedule through a campaign's life, so that the audit has the
    core calls even when it runs alone; the rest of the session adds its own."""
    body = report_body()
    assert post_report(client, campaign, body).status_code == 201
    assert post_report(client, campaign, body).status_code == 200
    assert client.http.get(f"/staff/campaigns/{campaign}/totals", headers=staff_headers).status_code == 200
    run_scheduled(client)
    fake_clock.set(fake_clock() + timedelta(days=30))
    run_scheduled(client)
    assert json.loads(client.http.get(f"/campaigns/{campaign}/totals").body)["final"] is True
    return RECORDER.calls


@pytest.mark.aws_policy_audit
@pytest.mark.parametrize("stage", STAGES)
def test_the_policy_allows_every_call_the_code_makes(stage, every_aws_path):
    missing = missing_permissions(load_policy(stage), StageNames(stage), every_aws_path)
    assert not missing, (f".chalice/policy-{stage}.json does not allow calls the code makes; "
                         "add each action to the statement for that resource:\n  " + "\n  ".join(missing))


@pytest.mark.aws_policy_audit
@pytest.mark.parametrize("stage", STAGES)
def test_the_policy_grants_nothing_the_code_does_not_call(stage, every_aws_path):
    called = {request.action for request in every_aws_path}
    granted = granted_actions(load_policy(stage), skip_sids=RUNTIME_ONLY)
    unused = sorted(granted - called - set(PENDING))
    assert not unused, f".chalice/policy-{stage}.json grants actions the code never calls: {unused}"
    overdue = sorted(called & set(PENDING))
    assert not overdue, f"the code now calls {overdue}: remove them from PENDING in {__name__}"


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_policy_reaches_only_its_own_resources(stage):
    policy, names = load_policy(stage), StageNames(stage)
    other = StageNames(next(s for s in STAGES if s != stage))
    for resource in (("table",), ("index", "campaigns_by_state"), ("topic",)):
        action = "sns:Publish" if resource == ("topic",) else "dynamodb:GetItem"
        assert allows(policy, action, stage_arn(names, resource))
        assert not allows(policy, action, stage_arn(other, resource))
    resources = [r for s in policy["Statement"] for r in s["Resource"]]
    assert resources and all(names.stage in r and "*:*:*" not in r for r in resources), resources


def test_the_stages_in_chalice_config_match_the_infrastructure():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert set(config["stages"]) == set(STAGES)
    for stage, settings in config["stages"].items():
        assert settings["autogen_policy"] is False
        assert settings["iam_policy_file"] == f"policy-{stage}.json"
        assert settings["environment_variables"]["TABLE_NAME"] == StageNames(stage).table
        assert settings["environment_variables"]["STAGE"] == stage


# -- the recorder and the checker themselves --------------------------------------------

def test_the_recorder_keeps_application_calls_and_ignores_the_tests_own(store, moto_table):
    with RECORDER.capture() as seen:
        store.get_campaign("ua-47-22")
        list(store.campaigns("open"))
        moto_table.scan()                       # the test itself, not the application
    assert set(seen) == {IamRequest("dynamodb:GetItem", ("table",)),
                         IamRequest("dynamodb:Query", ("index", "campaigns_by_state"))}
    assert all(caller.startswith("chalicelib/storage.py:") for caller in seen.values())


def test_transactions_are_authorised_item_by_item():
    params = {"TransactItems": [{"Put": {"TableName": "t"}}, {"Delete": {"TableName": "t"}},
                                {"ConditionCheck": {"TableName": "t"}}]}
    assert iam_requests("dynamodb", "TransactWriteItems", params) == [
        IamRequest("dynamodb:PutItem", ("table",)), IamRequest("dynamodb:DeleteItem", ("table",)),
        IamRequest("dynamodb:ConditionCheckItem", ("table",))]


def test_a_call_the_policy_lacks_is_named_with_where_it_was_made():
    calls = {IamRequest("dynamodb:DeleteItem", ("table",)): "chalicelib/storage.py:10 in forget_report",
             IamRequest("dynamodb:Query", ("index", "reports_by_received")): "chalicelib/storage.py:20 in x",
             IamRequest("sns:Publish", ("topic",)): "chalicelib/publishing.py:5 in publish"}
    missing = missing_permissions(load_policy("prod"), StageNames("prod"), calls)
    assert missing == ["dynamodb:DeleteItem on arn:aws:dynamodb:us-east-1:123456789012:table/action-tally-prod "
                       "(first called at chalicelib/storage.py:10 in forget_report)"]

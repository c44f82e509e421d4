"""`make resources`: the table and topic `chalice deploy` needs, made on moto."""
import json

import boto3
from chalice.config import Config
from moto import mock_aws

from chalicelib.schema import TABLE_DEFINITION, TTL_ATTRIBUTE
from infra.provision import main, provision
from tests.iam import ROOT


def test_resources_are_made_complete_and_a_second_run_changes_nothing(aws_environment):
    with mock_aws():
        dynamodb, sns = boto3.client("dynamodb"), boto3.client("sns")
        first = provision("prod", dynamodb, sns)
        assert provision("prod", dynamodb, sns) == first
        assert first["TABLE_NAME"] == "action-tally-prod"
        assert first["TOTALS_TOPIC_ARN"].endswith(":action-tally-prod-totals")

        table = dynamodb.describe_table(TableName="action-tally-prod")["Table"]
        assert table["SSEDescription"]["SSEType"] == "KMS"
        assert table["BillingModeSummary"]["BillingMode"] == TABLE_DEFINITION["BillingMode"]
        assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"] + table["LocalSecondaryIndexes"]} == {
            i["IndexName"]
            for i in TABLE_DEFINITION["GlobalSecondaryIndexes"] + TABLE_DEFINITION["LocalSecondaryIndexes"]}
        backups = dynamodb.describe_continuous_backups(TableName="action-tally-prod")
        assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
            "PointInTimeRecoveryStatus"] == "ENABLED"
        ttl = dynamodb.describe_time_to_live(TableName="action-tally-prod")["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": TTL_ATTRIBUTE}
        assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [first["TOTALS_TOPIC_ARN"]]


def test_a_table_made_before_without_encryption_or_ttl_is_completed(aws_environment):
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(TableName="action-tally-dev", **TABLE_DEFINITION)
        provision("dev", dynamodb, boto3.client("sns"))
        assert dynamodb.describe_time_to_live(TableName="action-tally-dev")[
            "TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"


def test_the_printed_settings_tell_the_scheduled_job_and_only_it_the_topic(aws_environment, capsys):
    with mock_aws():
        main(["--stage", "dev"])
    printed = capsys.readouterr().out
    settings = json.loads(printed[printed.index("{"):])
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for name, extra in settings.items():
        config["stages"]["dev"]["lambda_functions"].setdefault(name, {}).update(extra)
    for name in ("api_handler", "staff_token", "staff_session", "tally"):
        variables = Config(chalice_stage="dev", function_name=name, config_from_disk=config).environment_variables
        assert variables["TABLE_NAME"] == "action-tally-dev"
        assert variables.get("TOTALS_TOPIC_ARN", "").endswith(":action-tally-dev-totals") == (name == "tally")

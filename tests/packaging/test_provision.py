"""`make resources`: the table, topic and secrets `chalice deploy` needs, made on moto."""
import json

import boto3
from chalice.config import Config
from moto import mock_aws

from chalicelib.storage.schema import TABLE_DEFINITION, TTL_ATTRIBUTE
from infra.provision import main, provision, stage_secrets
from infra.stack import SECRET_LENGTH, SECRETS
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


def test_the_printed_settings_tell_the_scheduled_job_only_the_topic_and_the_api_handler_only_the_secrets(
        aws_environment, capsys):
    with mock_aws():
        main(["--stage", "dev"])
        values = stage_secrets("dev", boto3.client("secretsmanager"))
    printed = capsys.readouterr().out
    settings = json.loads(printed[printed.index("{"):])
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for name, extra in settings.items():
        config["stages"]["dev"]["lambda_functions"].setdefault(name, {}).update(extra)
    for name in ("api_handler", "staff_token", "staff_session", "tally"):
        variables = Config(chalice_stage="dev", function_name=name, config_from_disk=config).environment_variables
        assert variables["TABLE_NAME"] == "action-tally-dev"
        assert variables.get("TOTALS_TOPIC_ARN", "").endswith(":action-tally-dev-totals") == (name == "tally")
        assert {v: variables.get(v) for v in values} == (values if name == "api_handler" else dict.fromkeys(values))


def test_the_secrets_are_made_once_and_read_back_afterwards(aws_environment):
    with mock_aws():
        client = boto3.client("secretsmanager")
        first = stage_secrets("dev", client)
        assert set(first) == {secret.variable for secret in SECRETS}
        assert all(len(value) == SECRET_LENGTH and value.isalnum() for value in first.values())
        assert len(set(first.values())) == len(first), "one key per purpose"
        assert stage_secrets("dev", client) == first
        assert stage_secrets("prod", client).keys() == first.keys() and stage_secrets("prod", client) != first
        names = sorted(s["Name"] for s in client.list_secrets()["SecretList"])
        assert names == sorted(secret.name(stage) for secret in SECRETS for stage in ("dev", "prod"))


def _chalice_environment(config: dict, stage: str, name: str) -> dict:
    return Config(chalice_stage=stage, function_name=name, config_from_disk=config).environment_variables


def test_the_deploy_copy_holds_the_secrets_for_the_api_handler_only_and_the_repository_none(
        aws_environment, tmp_path, capsys):
    tracked = (ROOT / ".chalice" / "config.json").read_text()
    copy = tmp_path / "deploy"
    path, record = copy / ".chalice" / "config.json", copy / ".chalice" / "deployed" / "prod.json"
    with mock_aws():
        main(["--stage", "prod", "--deploy-dir", str(copy)])
        values = stage_secrets("prod", boto3.client("secretsmanager"))
        assert not [value for value in values.values() if value in capsys.readouterr().out], "secrets printed"
        assert (ROOT / ".chalice" / "config.json").read_text() == tracked
        assert path.stat().st_mode & 0o077 == 0, "readable by its owner only"
        config = json.loads(path.read_text())
        for name in ("api_handler", "staff_token", "staff_session", "tally"):
            variables = _chalice_environment(config, "prod", name)
            assert {v: variables.get(v) for v in values} == (values if name == "api_handler" else dict.fromkeys(values))
        assert (copy / "app.py").is_file()
        assert (copy / "vendor" / "templates").resolve() == (copy / "templates").resolve()

        # a refresh keeps Chalice's record of what it deployed, and the same secrets
        record.parent.mkdir()
        record.write_text('{"resources": []}')
        main(["--stage", "prod", "--deploy-dir", str(copy)])
    assert record.read_text() == '{"resources": []}'
    assert {v: _chalice_environment(json.loads(path.read_text()), "prod", "api_handler")[v] for v in values} == values

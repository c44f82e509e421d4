"""`make resources`: the table, topic and secrets `chalice deploy` needs, made on moto."""
import json

import boto3
import pytest
from chalice.config import Config
from moto import mock_aws

from chalicelib.storage.schema import TABLE_DEFINITION, TTL_ATTRIBUTE
from infra import layers, stream
from infra.provision import configure_stream, layer_arn, main, provision, stage_secrets
from infra.stack import SECRET_LENGTH, SECRETS
from tests.iam import ROOT

LAYER = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:99"


def test_resources_are_made_complete_and_a_second_run_changes_nothing(aws_environment):
    with mock_aws():
        dynamodb, sns = boto3.client("dynamodb"), boto3.client("sns")
        first = provision("prod", dynamodb, sns)
        assert provision("prod", dynamodb, sns) == first
        assert first["TABLE_NAME"] == "action-tally-prod"
        assert first["TOTALS_TOPIC_ARN"].endswith(":action-tally-prod-totals")
        assert first["FOLD_FAILURES_ARN"].endswith(":action-tally-prod-fold-failures")

        table = dynamodb.describe_table(TableName="action-tally-prod")["Table"]
        assert table["SSEDescription"]["SSEType"] == "KMS"
        assert table["BillingModeSummary"]["BillingMode"] == TABLE_DEFINITION["BillingMode"]
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert first["TABLE_STREAM_ARN"] == table["LatestStreamArn"]
        assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {
            i["IndexName"] for i in TABLE_DEFINITION["GlobalSecondaryIndexes"]}
        assert not table.get("LocalSecondaryIndexes")   # moto answers an empty list
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
        main(["--stage", "prod", "--deploy-dir", str(copy), "--layer-arn", LAYER])
        values = stage_secrets("prod", boto3.client("secretsmanager"))
        printed = capsys.readouterr().out
        assert not [value for value in values.values() if value in printed], "secrets printed"
        assert "TABLE_STREAM_ARN=arn:aws:dynamodb:" in printed and "--after-deploy" in printed
        assert (ROOT / ".chalice" / "config.json").read_text() == tracked
        assert path.stat().st_mode & 0o077 == 0, "readable by its owner only"
        config = json.loads(path.read_text())
        for name in ("api_handler", "staff_token", "staff_session", "tally"):
            variables = _chalice_environment(config, "prod", name)
            assert {v: variables.get(v) for v in values} == (values if name == "api_handler" else dict.fromkeys(values))
        assert config["stages"]["prod"]["layers"] == [LAYER]
        assert (copy / "app.py").is_file()
        assert (copy / "vendor" / "templates").resolve() == (copy / "templates").resolve()

        # a refresh keeps Chalice's record of what it deployed, and the same secrets
        record.parent.mkdir()
        record.write_text('{"resources": []}')
        main(["--stage", "prod", "--deploy-dir", str(copy), "--layer-arn", LAYER])
    assert record.read_text() == '{"resources": []}'
    assert {v: _chalice_environment(json.loads(path.read_text()), "prod", "api_handler")[v] for v in values} == values


def test_the_layer_is_the_one_aws_publishes_for_the_pinned_version_or_a_clear_refusal(aws_environment):
    class Published:
        class exceptions:
            class ParameterNotFound(Exception):
                pass

        def __init__(self, known):
            self.known = known

        def get_parameter(self, Name):
            if Name not in self.known:
                raise self.exceptions.ParameterNotFound(Name)
            return {"Parameter": {"Value": self.known[Name]}}

    pinned = layers.powertools_version()
    assert (ROOT / "requirements-dev.txt").read_text().count(f"aws-lambda-powertools=={pinned}") == 1
    assert "aws-lambda-powertools" not in (ROOT / "requirements.txt").read_text()
    assert layers.layer_parameter() == f"/aws/service/powertools/python/x86_64/python3.11/{pinned}"
    assert layer_arn(Published({layers.layer_parameter(): LAYER})) == LAYER
    with pytest.raises(SystemExit, match="--layer-arn"):
        layer_arn(Published({}))


def test_after_deploy_the_stream_mapping_gets_its_window_filter_retries_and_queue():
    class Lambda:
        def __init__(self):
            self.updated = None

        def list_event_source_mappings(self, FunctionName, EventSourceArn):
            assert FunctionName == "action-tally-dev-fold" and EventSourceArn == "arn:stream"
            return {"EventSourceMappings": [{"UUID": "u-1"}]}

        def update_event_source_mapping(self, **settings):
            self.updated = settings
            return {"UUID": settings["UUID"]}

    client = Lambda()
    configure_stream("dev", {"TABLE_STREAM_ARN": "arn:stream", "FOLD_FAILURES_ARN": "arn:queue"}, client)
    assert client.updated["TumblingWindowInSeconds"] == stream.TUMBLING_WINDOW_SECONDS
    assert client.updated["DestinationConfig"] == {"OnFailure": {"Destination": "arn:queue"}}
    assert client.updated["BisectBatchOnFunctionError"] and client.updated["MaximumRetryAttempts"] == stream.MAX_RETRIES
    assert client.updated["FilterCriteria"] == {"Filters": [{"Pattern": stream.FILTER_PATTERN}]}

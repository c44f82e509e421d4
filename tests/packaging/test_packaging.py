"""What `make package` ships, checked without AWS: the zip, the SAM template (with
cfn-lint) and the Terraform files, for both stages, packaged once for this module."""
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chalicelib.storage.schema import ARRIVAL_INDEX, STREAM_VIEW, TABLE_DEFINITION, TTL_ATTRIBUTE
from chalicelib.web.i18n import DOMAINS, LANGUAGES
from infra.package import package_stage
from infra import layers, stream, waf
from infra.stack import HOLDS_SECRETS, SECRETS, STAGES, StageNames, chalice_functions, sam_function_id
from tests.iam import allows, load_policy, policy_file, stage_arn
from tools.local_gateway import gateway_responses

ROOT = Path(__file__).resolve().parents[2]
MAX_ZIP_BYTES = 500 * 1024   # today about 340 KiB: Powertools comes from its Lambda layer (docs/dependencies.md)
DEV_ONLY = ("tests/", "tools/", "infra/", "campaigns/", ".chalice/", "boto3/", "botocore/", "moto/",
            "pytest/", "_pytest/", "hypothesis/", "cfnlint/", "sympy/", "networkx/", "s3transfer/",
            "werkzeug/", "click/")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return {stage: package_stage(stage, out) for stage in STAGES}


def sam(packaged, stage):
    return json.loads((packaged[stage]["sam"] / "sam.json").read_text())


def terraform(packaged, stage):
    """Every *.tf.json of the stage, merged the way Terraform reads a directory
    (``*_override.tf.json`` last, its top-level arguments replacing the base's, but
    ``required_providers`` merged provider by provider)."""
    files = sorted(packaged[stage]["terraform"].glob("*.tf.json"), key=lambda p: "_override" in p.name)
    merged = {}
    for path in files:
        override = "_override" in path.name
        for block, kinds in json.loads(path.read_text()).items():
            if block == "terraform":
                settings = merged.setdefault(block, {})
                for key, value in kinds.items():
                    if key == "required_providers":
                        settings.setdefault(key, {}).update(value)
                    else:
                        settings[key] = value
                continue
            if block != "resource":
                merged.setdefault(block, {}).update(kinds)
                continue
            for kind, resources in kinds.items():
                for name, arguments in resources.items():
                    existing = merged.setdefault("resource", {}).setdefault(kind, {})
                    assert (name in existing) == override, f"{path.name}: {kind}.{name}"
                    existing.setdefault(name, {}).update(arguments)
    return merged


def resources_of(template, kind):
    return {name: r for name, r in template["Resources"].items() if r.get("Type") == kind}


# -- the zip ------------------------------------------------------------------------

def test_the_zip_holds_code_templates_and_runtime_dependencies_only(packaged, report_figure):
    path = packaged["prod"]["sam"] / "deployment.zip"
    names = zipfile.ZipFile(path).namelist()
    templates = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file())
    locales = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "locales").rglob("*") if p.is_file())
    code = ["app.py"] + sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "chalicelib").rglob("*.py"))
    assert templates and all(name in names for name in code + templates + locales)
    assert "jinja2/__init__.py" in names
    assert not [n for n in names if n.startswith(("aws_lambda_powertools/", "jmespath/", "typing_extensions"))], \
        "Powertools comes from its Lambda layer"
    assert not [n for n in names if n.startswith(DEV_ONLY) or "/tests/" in n], "dev files in the zip"
    size = path.stat().st_size
    report_figure(f"deployment.zip: {size / 1024:.0f} KiB, {len(names)} files")
    assert size < MAX_ZIP_BYTES


def test_both_formats_ship_the_same_zip(packaged):
    for stage in STAGES:
        sam_zip = (packaged[stage]["sam"] / "deployment.zip").read_bytes()
        assert sam_zip == (packaged[stage]["terraform"] / "deployment.zip").read_bytes()


# -- SAM ------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", STAGES)
def test_cfn_lint_passes_on_the_sam_template(packaged, stage):
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), str(packaged[stage]["sam"] / "sam.json")],  # noqa: S603
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("stage", STAGES)
def test_the_sam_table_is_the_schema_table_with_recovery_encryption_and_ttl(packaged, stage):
    (table,) = resources_of(sam(packaged, stage), "AWS::DynamoDB::Table").values()
    properties = dict(table["Properties"])
    assert properties.pop("TableName") == StageNames(stage).table
    assert properties.pop("PointInTimeRecoverySpecification") == {"PointInTimeRecoveryEnabled": True}
    assert properties.pop("SSESpecification") == {"SSEEnabled": True, "SSEType": "KMS"}
    assert properties.pop("TimeToLiveSpecification") == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert properties.pop("DeletionProtectionEnabled") is (stage == "prod")
    assert properties.pop("StreamSpecification") == {"StreamViewType": STREAM_VIEW}
    assert properties == TABLE_DEFINITION
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def announces_totals(stage, name):
    """Whether function ``name``'s role may publish to the stage's totals topic."""
    policy = load_policy(policy_file(stage, name))
    return allows(policy, "sns:Publish", stage_arn(StageNames(stage), ("topic",)))


@pytest.mark.parametrize("stage", STAGES)
def test_every_sam_function_finds_the_stage_resources_through_env_vars_and_has_its_role_and_logs(packaged, stage):
    template, names = sam(packaged, stage), StageNames(stage)
    functions = resources_of(template, "AWS::Serverless::Function")
    by_handler = {handler: name for name, handler in chalice_functions().items()}
    assert sorted(f["Properties"]["Handler"] for f in functions.values()) == sorted(by_handler)
    for logical_id, function in functions.items():
        name = by_handler[function["Properties"]["Handler"]]
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["TABLE_NAME"] == {"Ref": "TallyTable"}, logical_id
        # told the topic exactly when its role may publish to it
        assert variables.get("TOTALS_TOPIC_ARN", False) == (announces_totals(stage, name) and {"Ref": "TotalsTopic"})
        assert variables["STAGE"] == stage and variables["MAX_COUNT_PER_ACTION"] == "50"
        policy = load_policy(policy_file(stage, name))
        role = template["Resources"][function["Properties"]["Role"]["Fn::GetAtt"][0]]
        assert role["Properties"]["Policies"][0]["PolicyDocument"] == policy, logical_id
        log_group = template["Resources"][function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]]
        assert log_group["Properties"]["RetentionInDays"] > 0
        assert log_group["Properties"]["LogGroupName"] == names.log_group(name)
        assert any(names.log_group(name) in r for s in policy["Statement"] for r in s["Resource"])
    assert announces_totals(stage, "tally") and not announces_totals(stage, "api_handler")
    (event,) = functions["Tally"]["Properties"]["Events"].values()
    assert event == {"Type": "Schedule", "Properties": {"Schedule": "rate(1 minute)"}}
    topics = resources_of(template, "AWS::SNS::Topic")
    assert topics["TotalsTopic"]["Properties"]["TopicName"] == names.totals_topic


def _alarm_metrics(alarm):
    """(namespace, metric, dimensions) watched by a SAM alarm, through metric math too."""
    properties = alarm["Properties"]
    if "Metrics" not in properties:
        return {(properties["Namespace"], properties["MetricName"],
                 json.dumps(properties["Dimensions"], sort_keys=True))}
    return {(q["MetricStat"]["Metric"]["Namespace"], q["MetricStat"]["Metric"]["MetricName"],
             json.dumps(q["MetricStat"]["Metric"]["Dimensions"], sort_keys=True))
            for q in properties["Metrics"] if "MetricStat" in q}


@pytest.mark.parametrize("stage", STAGES)
def test_sam_alarms_watch_5xx_throttles_and_the_scheduler_and_notify_the_alarm_topic(packaged, stage):
    template = sam(packaged, stage)
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    watched = {metric[:2]: json.loads(metric[2]) for alarm in alarms.values() for metric in _alarm_metrics(alarm)}
    api = template["Resources"]["RestAPI"]["Properties"]
    assert api["Name"] == api["DefinitionBody"]["info"]["title"] == StageNames(stage).api
    assert api["DefinitionBody"]["paths"], "the merge must keep Chalice's routes"
    assert watched[("AWS/ApiGateway", "5XXError")] == [{"Name": "ApiName", "Value": api["Name"]},
                                                       {"Name": "Stage", "Value": api["StageName"]}]
    for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
        assert watched[("AWS/DynamoDB", metric)] == [{"Name": "TableName", "Value": {"Ref": "TallyTable"}}]
    every = {(metric[:2], metric[2]) for alarm in alarms.values() for metric in _alarm_metrics(alarm)}
    tally = json.dumps([{"Name": "FunctionName", "Value": {"Ref": "Tally"}}], sort_keys=True)
    for metric in ("Errors", "Invocations"):
        assert (("AWS/Lambda", metric), tally) in every
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


@pytest.mark.parametrize("stage", STAGES)
def test_both_formats_put_the_gateway_responses_on_the_rest_api(packaged, stage):
    """The refusals `make run` and the tests emulate from .chalice/gateway-responses.json
    are the deployed API's own: SAM's GatewayResponses, and the same in Terraform's body."""
    responses = gateway_responses()
    assert {"UNAUTHORIZED", "AUTHORIZER_FAILURE"} <= set(responses)
    sam_responses = sam(packaged, stage)["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    assert sam_responses == {kind: {**response, "StatusCode": str(response["StatusCode"])}
                             for kind, response in responses.items()}

    config = terraform(packaged, stage)
    definition = json.loads(config["locals"]["chalice_api_swagger"])
    assert definition["paths"] and definition["securityDefinitions"], "the override must keep Chalice's API"
    assert definition["info"]["title"] == StageNames(stage).api
    in_terraform = definition["x-amazon-apigateway-gateway-responses"]
    assert set(in_terraform) == set(responses)
    for kind, response in responses.items():
        assert in_terraform[kind]["statusCode"] == str(response["StatusCode"])
        assert in_terraform[kind]["responseTemplates"] == response["ResponseTemplates"]
        assert in_terraform[kind]["responseParameters"] == {
            f"gatewayresponse.header.{name}": value
            for name, value in response["ResponseParameters"]["Headers"].items()}
        # Terraform would read these as its own template syntax inside the body
        assert "${" not in json.dumps(in_terraform[kind]) and "%{" not in json.dumps(in_terraform[kind])
    # a changed body is deployed: Chalice's deployment is keyed on the body the override replaces
    deployment = config["resource"]["aws_api_gateway_deployment"]["rest_api"]
    assert deployment["stage_description"] == "${md5(local.chalice_api_swagger)}"
    assert config["resource"]["aws_api_gateway_rest_api"]["rest_api"]["body"] == "${local.chalice_api_swagger}"


# -- Terraform --------------------------------------------------------------------------

@pytest.mark.parametrize("stage", STAGES)
def test_the_terraform_table_is_the_schema_table(packaged, stage):
    table = terraform(packaged, stage)["resource"]["aws_dynamodb_table"]["tally"]
    attributes = {a["name"]: a["type"] for a in table["attribute"]}

    def key_schema(hash_key, range_key=None):
        return [{"AttributeName": hash_key, "KeyType": "HASH"}] + (
            [{"AttributeName": range_key, "KeyType": "RANGE"}] if range_key else [])

    def projection(index):
        out = {"ProjectionType": index["projection_type"]}
        if "non_key_attributes" in index:
            out["NonKeyAttributes"] = index["non_key_attributes"]
        return out

    rebuilt = {
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "KeySchema": key_schema(table["hash_key"], table["range_key"]),
        "GlobalSecondaryIndexes": [{"IndexName": i["name"], "KeySchema": key_schema(i["hash_key"], i.get("range_key")),
                                    "Projection": projection(i)} for i in table["global_secondary_index"]],
        "BillingMode": table["billing_mode"],
    }
    assert rebuilt == TABLE_DEFINITION and table["local_secondary_index"] == []
    assert (table["stream_enabled"], table["stream_view_type"]) == (True, STREAM_VIEW)
    assert table["name"] == StageNames(stage).table
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"] == {"enabled": True}
    assert table["ttl"] == {"attribute_name": TTL_ATTRIBUTE, "enabled": True}


@pytest.mark.parametrize("stage", STAGES)
def test_terraform_has_the_same_resources_and_every_reference_resolves(packaged, stage):
    config, names = terraform(packaged, stage), StageNames(stage)
    resources = config["resource"]
    assert set(resources["aws_lambda_function"]) == set(chalice_functions())
    for name, function in resources["aws_lambda_function"].items():
        variables = function["environment"]["variables"]
        assert variables["TABLE_NAME"] == "${aws_dynamodb_table.tally.name}"
        assert variables.get("TOTALS_TOPIC_ARN", False) == (announces_totals(stage, name)
                                                            and "${aws_sns_topic.totals.arn}")
        assert variables["STAGE"] == stage
        role = function["role"].split(".")[1]
        assert json.loads(resources["aws_iam_role_policy"][role]["policy"]) == load_policy(policy_file(stage, name))
        log_group = resources["aws_cloudwatch_log_group"][name]
        assert log_group["name"] == f"/aws/lambda/{function['function_name']}" == names.log_group(name)
        assert log_group["retention_in_days"] > 0
    assert resources["aws_sns_topic"]["totals"]["name"] == StageNames(stage).totals_topic
    assert resources["aws_cloudwatch_event_rule"]["tally-event"]["schedule_expression"] == "rate(1 minute)"
    watched = {(a.get("namespace"), a.get("metric_name")) for a in resources["aws_cloudwatch_metric_alarm"].values()}
    watched |= {(q["metric"]["namespace"], q["metric"]["metric_name"])
                for a in resources["aws_cloudwatch_metric_alarm"].values()
                for q in a.get("metric_query", []) if "metric" in q}
    sam_watched = {metric[:2] for alarm in resources_of(sam(packaged, stage), "AWS::CloudWatch::Alarm").values()
                   for metric in _alarm_metrics(alarm)}
    assert sam_watched <= watched
    text = json.dumps(config)
    for kind, name in set(re.findall(r"\$\{((?:aws|random)_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.", text)):
        assert name in resources.get(kind, {}) or name in config.get("data", {}).get(kind, {}), f"{kind}.{name}"
    for variable in set(re.findall(r"\bvar\.([a-z_]+)", text)):
        assert variable in config["variable"]


# -- the stage's secrets ------------------------------------------------------------------

def _granted_actions(policy):
    return {action for statement in policy["Statement"] for action in
            (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])}


@pytest.mark.parametrize("stage", STAGES)
def test_sam_generates_the_secrets_and_resolves_them_into_the_api_handler_only(packaged, stage):
    template = sam(packaged, stage)
    made = resources_of(template, "AWS::SecretsManager::Secret")
    assert set(made) == {secret.sam_id for secret in SECRETS}
    for secret in made.values():
        generated = secret["Properties"]["GenerateSecretString"]
        assert generated["PasswordLength"] >= 48 and generated["ExcludePunctuation"] is True
        assert "SecretString" not in secret["Properties"] and "DeletionPolicy" not in secret
    functions = resources_of(template, "AWS::Serverless::Function")
    holders = {sam_function_id(name) for name in HOLDS_SECRETS}
    assert holders == {"APIHandler"} and holders < set(functions)
    for logical_id, function in functions.items():
        variables = function["Properties"]["Environment"]["Variables"]
        told = {secret.variable: variables.get(secret.variable) for secret in SECRETS}
        if logical_id not in holders:
            assert told == dict.fromkeys(told), logical_id
            continue
        # resolved by CloudFormation at deploy time, from the secret this stack made
        assert told == {secret.variable: {"Fn::Sub": "{{resolve:secretsmanager:${%s}:SecretString}}" % secret.sam_id}
                        for secret in SECRETS}
    for name in chalice_functions():    # so no role needs to read Secrets Manager
        granted = _granted_actions(load_policy(policy_file(stage, name)))
        assert not [action for action in granted if action.startswith("secretsmanager:")], name


@pytest.mark.parametrize("stage", STAGES)
def test_terraform_generates_the_secrets_and_gives_them_to_the_api_handler_only(packaged, stage):
    config = terraform(packaged, stage)
    resources = config["resource"]
    names = {secret.tf_name for secret in SECRETS}
    assert set(resources["random_password"]) == set(resources["aws_secretsmanager_secret"]) == names
    for name in names:
        password = resources["random_password"][name]
        assert password["length"] >= 48 and password["special"] is False
        assert resources["aws_secretsmanager_secret"][name]["name_prefix"].startswith(f"{StageNames(stage).api}-")
        version = resources["aws_secretsmanager_secret_version"][name]
        assert version == {"secret_id": f"${{aws_secretsmanager_secret.{name}.id}}",
                           "secret_string": f"${{random_password.{name}.result}}"}
    for name, function in resources["aws_lambda_function"].items():
        variables = function["environment"]["variables"]
        told = {secret.variable: variables.get(secret.variable) for secret in SECRETS}
        expected = {secret.variable: f"${{aws_secretsmanager_secret_version.{secret.tf_name}.secret_string}}"
                    for secret in SECRETS}
        assert told == (expected if name in HOLDS_SECRETS else dict.fromkeys(expected)), name
    providers = config["terraform"]["required_providers"]
    assert providers["random"]["source"] == "hashicorp/random"
    assert {"aws", "null"} <= set(providers), "the override must keep Chalice's providers"


ACCOUNT_WIDE_NAMES = ("TableName", "TopicName", "LogGroupName", "AlarmName", "Name")


def test_dev_and_prod_share_no_named_resource(packaged):
    """Names unique in an account and region; CloudFormation makes up the rest."""
    def names(stage):
        found = set()
        for resource in sam(packaged, stage)["Resources"].values():
            found |= {resource.get("Properties", {}).get(key) for key in ACCOUNT_WIDE_NAMES}
        for kind, resources in terraform(packaged, stage)["resource"].items():
            if kind == "aws_iam_role_policy":     # named within its role only
                continue
            for resource in resources.values():
                found |= {resource.get("alarm_name"), resource.get("function_name") if kind == "aws_lambda_function"
                          else resource.get("name")}
        return {name for name in found if isinstance(name, str) and not name.startswith("${")}

    dev, prod = names("dev"), names("prod")
    assert {StageNames("prod").table, "action-tally-prod-tally-schedule", "action-tally-prod"} <= prod
    assert not dev & prod, dev & prod


def test_translations_locale_data_and_static_files_reach_the_deployment_zip(packaged):
    names = set(zipfile.ZipFile(packaged["prod"]["sam"] / "deployment.zip").namelist())
    locales = {str(p.relative_to(ROOT)) for p in (ROOT / "locales").rglob("*")
               if p.suffix in (".mo", ".json")}
    expected = {f"locales/{code}/LC_MESSAGES/{domain}.mo" for domain, codes in DOMAINS.items() for code in codes}
    expected |= {f"locales/{code}/cldr.json" for code in LANGUAGES}
    static = {str(p.relative_to(ROOT)) for p in (ROOT / "static").iterdir()}
    assert locales == expected and locales <= names, (locales ^ expected, locales - names)
    assert {"static/embed.js", "static/page.js", "static/page.css"} <= static <= names
    # Babel is a build-time tool only: its 30 MB of locale data stay out of the Lambda.
    assert not [n for n in names if n.startswith(("babel/", "playwright/"))]


def test_importing_the_app_touches_no_aws_and_reads_no_settings():
    code = ("import app; from chalicelib.runtime import process; "
            "assert process._STORE is None and process._SETTINGS is None; print('lazy')")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603 - our own snippet
    assert result.returncode == 0 and "lazy" in result.stdout, result.stderr


# -- the stream, its mapping and its alarms; WAF; Powertools' layer -----------------------------

@pytest.mark.parametrize("stage", STAGES)
def test_sam_maps_the_table_s_stream_to_the_fold_with_its_shard_retries_and_failure_queue(packaged, stage):
    template = sam(packaged, stage)
    fold = template["Resources"][sam_function_id(stream.FOLD)]["Properties"]
    assert fold["Handler"] == "app.fold" and fold["Timeout"] == 60
    (event,) = fold["Events"].values()
    settings = event["Properties"]
    assert event["Type"] == "DynamoDB" and settings["Stream"] == {"Fn::GetAtt": ["TallyTable", "StreamArn"]}
    assert settings["StartingPosition"] == "TRIM_HORIZON" and settings["TumblingWindowInSeconds"] == 900
    assert settings["BisectBatchOnFunctionError"] is True and settings["MaximumRetryAttempts"] > 0
    assert 60 <= settings["MaximumRecordAgeInSeconds"] < 24 * 3600 and settings["ParallelizationFactor"] == 1
    assert json.loads(settings["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "REPORTS#"}]}}}}
    queue = settings["DestinationConfig"]["OnFailure"]
    assert queue["Type"] == "SQS" and queue["Destination"] == {"Fn::GetAtt": [stream.SAM_QUEUE, "Arn"]}
    assert template["Resources"][stream.SAM_QUEUE]["Properties"]["QueueName"] == StageNames(stage).fold_failures
    watched = {metric[:2] for alarm in resources_of(template, "AWS::CloudWatch::Alarm").values()
               for metric in _alarm_metrics(alarm)}
    assert {("AWS/Lambda", "IteratorAge"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible")} <= watched
    # the role may send to its own failure queue (Lambda sends with it) and no other
    policy = load_policy(policy_file(stage, stream.FOLD))
    assert allows(policy, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:123456789012:{StageNames(stage).fold_failures}")
    other = StageNames(next(s for s in STAGES if s != stage)).fold_failures
    assert not allows(policy, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:123456789012:{other}")


@pytest.mark.parametrize("stage", STAGES)
def test_terraform_maps_the_stream_alike(packaged, stage):
    resources = terraform(packaged, stage)["resource"]
    (mapping,) = resources["aws_lambda_event_source_mapping"].values()
    assert mapping["event_source_arn"] == "${aws_dynamodb_table.tally.stream_arn}"
    assert mapping["tumbling_window_in_seconds"] == 900 and mapping["bisect_batch_on_function_error"] is True
    assert mapping["destination_config"]["on_failure"]["destination_arn"] == "${aws_sqs_queue.fold_failed_batches.arn}"
    assert mapping["filter_criteria"]["filter"][0]["pattern"] == stream.FILTER_PATTERN
    assert resources["aws_sqs_queue"]["fold_failed_batches"]["name"] == StageNames(stage).fold_failures
    assert "fold_iterator_age" in resources["aws_cloudwatch_metric_alarm"]


@pytest.mark.parametrize("stage", STAGES)
def test_a_waf_rate_limit_guards_report_posts_and_answers_in_the_api_s_error_shape(packaged, stage):
    template = sam(packaged, stage)
    acl = template["Resources"]["WebACL"]["Properties"]
    (rule,) = acl["Rules"]
    limit = rule["Statement"]["RateBasedStatement"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    assert limit["Limit"] == waf.LIMIT_PER_MINUTE and limit["EvaluationWindowSec"] == 60
    assert limit["CustomKeys"][0] == {"IP": {}} and "UriPath" in limit["CustomKeys"][1]
    assert limit["Limit"] >= 2 * 120, "above the app's own allowance per container"
    block = rule["Action"]["Block"]["CustomResponse"]
    assert block["ResponseCode"] == 429 and block["ResponseHeaders"] == [{"Name": "Retry-After", "Value": "60"}]
    body = json.loads(acl["CustomResponseBodies"][block["CustomResponseBodyKey"]]["Content"])
    assert body["error"]["code"] == "rate_limited" and "nothing was recorded" in body["error"]["message"]
    association = template["Resources"]["WebACLAssociation"]
    assert association["DependsOn"] == "RestAPIapiStage"
    assert association["Properties"]["ResourceArn"]["Fn::Sub"].endswith("/restapis/${RestAPI}/stages/api")
    tf = terraform(packaged, stage)["resource"]
    tf_rule = tf["aws_wafv2_web_acl"]["api"]["rule"][0]
    assert tf_rule["statement"]["rate_based_statement"]["limit"] == waf.LIMIT_PER_MINUTE * 5
    assert tf["aws_wafv2_web_acl_association"]["api"]["web_acl_arn"] == "${aws_wafv2_web_acl.api.arn}"


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_runs_powertools_from_its_layer_in_both_formats(packaged, stage):
    template = sam(packaged, stage)
    parameter = template["Parameters"][layers.SAM_PARAMETER]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert parameter["Default"] == f"/aws/service/powertools/python/x86_64/python3.11/{layers.powertools_version()}"
    for function in resources_of(template, "AWS::Serverless::Function").values():
        assert function["Properties"]["Layers"] == [{"Ref": layers.SAM_PARAMETER}]
    config = terraform(packaged, stage)
    assert config["data"]["aws_ssm_parameter"][layers.TF_DATA]["name"] == parameter["Default"]
    for function in config["resource"]["aws_lambda_function"].values():
        assert function["layers"] == [f"${{data.aws_ssm_parameter.{layers.TF_DATA}.value}}"]


def test_a_stack_made_before_the_stream_fold_keeps_its_arrival_index(tmp_path):
    """CloudFormation and Terraform would replace the table to drop an LSI (docs/deploy.md, "Upgrading")."""
    from infra.stack import sam_merge_template, terraform_resources

    functions = chalice_functions()
    table = sam_merge_template("prod", functions, keep_arrival_index=True)["Resources"]["TallyTable"]["Properties"]
    assert [index["IndexName"] for index in table["LocalSecondaryIndexes"]] == [ARRIVAL_INDEX]
    tf = terraform_resources("prod", functions, keep_arrival_index=True)["resource"]["aws_dynamodb_table"]["tally"]
    assert [index["name"] for index in tf["local_secondary_index"]] == [ARRIVAL_INDEX]
    assert "LocalSecondaryIndexes" not in sam_merge_template("prod", functions)["Resources"]["TallyTable"][
        "Properties"]

"""What one stage of Action Tally needs besides Chalice's functions, API, schedule and
stream mapping: the table (with its stream), the totals topic, the secrets, log retention,
the alarms, the stream mapping's settings (infra/stream.py), the WAF rate limit
(infra/waf.py) and Powertools' layer (infra/layers.py), for SAM and for Terraform.

Both formats are built here from :data:`chalicelib.storage.schema.TABLE_DEFINITION`, so the
deployed table cannot drift from the one the tests and ``make run`` use. Names are
fixed per stage because the policies in ``.chalice/policy-<stage>*.json`` are hand-written
against them.
"""
import json
from dataclasses import dataclass
from pathlib import Path

from chalice.utils import to_cfn_resource_name

from chalicelib.storage.schema import STREAM_VIEW, TABLE_DEFINITION, TTL_ATTRIBUTE, with_arrival_index
from infra import layers, stream, waf

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("dev", "prod")
API_HANDLER = "api_handler"   # Chalice's one function for every route
API_STAGE = "api"           # api_gateway_stage in .chalice/config.json
LOG_RETENTION_DAYS = 30
ALARM_PERIOD = 300          # seconds
# API Gateway's answers when an authorizer refuses or fails, in the API's JSON error
# shape; SAM's GatewayResponses format, which `make run` and the tests emulate too.
GATEWAY_RESPONSES = ROOT / ".chalice" / "gateway-responses.json"


@dataclass(frozen=True)
class StageNames:
    stage: str

    @property
    def table(self):
        return f"action-tally-{self.stage}"

    @property
    def totals_topic(self):
        return f"action-tally-{self.stage}-totals"

    @property
    def alarm_topic(self):
        return f"action-tally-{self.stage}-alarms"

    @property
    def api(self):
        return f"action-tally-{self.stage}"

    @property
    def fold_failures(self):
        """The SQS queue told of the stream batches Lambda gave up on (infra/stream.py)."""
        return f"action-tally-{self.stage}-fold-failures"

    @property
    def web_acl(self):
        return f"action-tally-{self.stage}"

    def function(self, name: str) -> str:
        """The Lambda function Chalice makes of ``name`` (see :func:`chalice_functions`), as
        `chalice deploy` and Terraform name it; SAM lets CloudFormation name the functions,
        but their log groups get these names too, so that the policies can name them."""
        return f"action-tally-{self.stage}" if name == API_HANDLER else f"action-tally-{self.stage}-{name}"

    def log_group(self, name: str) -> str:
        return f"/aws/lambda/{self.function(name)}"


def chalice_functions(app=None) -> dict:
    """The Lambda functions Chalice makes of ``app`` (app.py's by default), ``{name: handler}``:
    one for every route, one per authorizer and one per scheduled job."""
    if app is None:
        from app import app  # importing the app touches no AWS and reads no settings
    functions = {API_HANDLER: "app.app"} if app.routes else {}
    functions.update({authorizer.name: authorizer.handler_string for authorizer in app.builtin_auth_handlers})
    functions.update({event.name: event.handler_string for event in app.event_sources})
    return functions


def sam_function_id(name: str) -> str:
    """The logical id `chalice package` gives function ``name`` in sam.json."""
    return "APIHandler" if name == API_HANDLER else to_cfn_resource_name(name)


def gateway_responses() -> dict:
    """``.chalice/gateway-responses.json``, as SAM's ``GatewayResponses`` takes it."""
    responses = json.loads(GATEWAY_RESPONSES.read_text(encoding="utf-8"))
    return {kind: {**response, "StatusCode": str(response["StatusCode"])} for kind, response in responses.items()}


TALLY = "tally"                    # the scheduled job in app.py
# Only the scheduled job announces final totals (the staff CLI too, with staff's own
# credentials): the other functions are not told the topic, and cannot publish to it.
ANNOUNCES_TOTALS = (TALLY,)


@dataclass(frozen=True)
class StageSecret:
    """A key generated once per stage and told to the functions in :data:`HOLDS_SECRETS`."""
    variable: str       # the environment variable the code reads
    purpose: str

    @property
    def sam_id(self) -> str:
        return "".join(word.title() for word in self.variable.split("_"))

    @property
    def tf_name(self) -> str:
        return self.variable.lower()

    def name(self, stage: str) -> str:
        """Its name in Secrets Manager on the direct route (the templates let AWS make one up)."""
        return f"action-tally-{stage}/{self.variable.lower().replace('_', '-')}"


SECRETS = (StageSecret("FORM_TOKEN_SECRET", "HMAC key of the supporter form's tokens"),)
SECRET_LENGTH = 64          # letters and digits: about 380 bits
# Only the API handler issues and checks form tokens; the authorizers, the scheduled job
# and the stream fold are not told the key.
HOLDS_SECRETS = (API_HANDLER,)


# -- SAM (CloudFormation), merged into Chalice's template ---------------------------

# The logical id Chalice gives the API in sam.json (see `chalice package` output).
SAM_REST_API = "RestAPI"


def table_definition(keep_arrival_index: bool = False) -> dict:
    """The table as the templates declare it; ``keep_arrival_index`` for a stack made before
    the stream fold, whose table has the arrival LSI (which only replacing the table drops)."""
    return with_arrival_index(TABLE_DEFINITION) if keep_arrival_index else TABLE_DEFINITION


def _sam_table(names: StageNames, keep_arrival_index: bool = False) -> dict:
    protected = names.stage == "prod"
    return {
        "Type": "AWS::DynamoDB::Table",
        # Reports are the product: deleting the stack must never delete them.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "TableName": names.table,
            **table_definition(keep_arrival_index),
            "StreamSpecification": {"StreamViewType": STREAM_VIEW},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
            "DeletionProtectionEnabled": protected,
        },
    }


def _sam_alarm(description, metric, threshold, comparison, **extra) -> dict:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": description,
        **metric,
        "Threshold": threshold,
        "ComparisonOperator": comparison,
        "EvaluationPeriods": extra.pop("EvaluationPeriods", 1),
        "TreatMissingData": extra.pop("TreatMissingData", "notBreaching"),
        "AlarmActions": [{"Ref": "AlarmTopic"}],
        "OKActions": [{"Ref": "AlarmTopic"}],
        **extra,
    }}


def _sam_metric(namespace, name, dimensions, statistic="Sum") -> dict:
    return {"Namespace": namespace, "MetricName": name, "Statistic": statistic,
            "Period": ALARM_PERIOD,
            "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()]}


def _sam_alarms(names: StageNames) -> dict:
    table_throttles = {"Metrics": [
        *({"Id": metric_id, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "AWS/DynamoDB", "MetricName": metric,
                       "Dimensions": [{"Name": "TableName", "Value": {"Ref": "TallyTable"}}]},
            "Period": ALARM_PERIOD, "Stat": "Sum"}}
          for metric_id, metric in (("reads", "ReadThrottleEvents"), ("writes", "WriteThrottleEvents"))),
        {"Id": "throttles", "Expression": "reads + writes", "Label": "Throttled requests",
         "ReturnData": True},
    ]}
    return {
        "ApiServerErrorsAlarm": _sam_alarm(
            f"{names.api}: the API answered 5xx (a bug, a timeout, or DynamoDB unavailable).",
            _sam_metric("AWS/ApiGateway", "5XXError", {"ApiName": names.api, "Stage": API_STAGE}),
            1, "GreaterThanOrEqualToThreshold"),
        "TableThrottlesAlarm": _sam_alarm(
            f"{names.table}: DynamoDB throttled requests (supporters may see 503).",
            table_throttles, 1, "GreaterThanOrEqualToThreshold"),
        "TallyErrorsAlarm": _sam_alarm(
            f"{names.function(TALLY)}: the scheduled count failed in 2 of the last 3 windows; "
            "campaigns may not close on time.",
            _sam_metric("AWS/Lambda", "Errors", {"FunctionName": {"Ref": sam_function_id(TALLY)}}),
            1, "GreaterThanOrEqualToThreshold", EvaluationPeriods=3, DatapointsToAlarm=2),
        "TallyNotRunningAlarm": _sam_alarm(
            f"{names.function(TALLY)}: the schedule has not run for 15 minutes.",
            _sam_metric("AWS/Lambda", "Invocations", {"FunctionName": {"Ref": sam_function_id(TALLY)}}),
            1, "LessThanThreshold", EvaluationPeriods=3, TreatMissingData="breaching"),
    }


def _environment(name: str, table, topic, secret_value) -> dict:
    """What function ``name`` is told about the stage's resources, besides .chalice/config.json;
    ``secret_value(secret)`` is how the template names a :data:`SECRETS` value."""
    return {"TABLE_NAME": table, **({"TOTALS_TOPIC_ARN": topic} if name in ANNOUNCES_TOTALS else {}),
            **({secret.variable: secret_value(secret) for secret in SECRETS} if name in HOLDS_SECRETS else {})}


def _sam_secret(names: StageNames, secret: StageSecret) -> dict:
    # Deleted with the stack, on prod too: nothing stored depends on either key (a form
    # token lives 24 hours; rate limits would merely start afresh), a new stack makes new
    # ones, and a retained copy would be a live key that nothing uses. No name, so that a
    # new stack never collides with an old secret still in its recovery window.
    return {"Type": "AWS::SecretsManager::Secret", "Properties": {
        "Description": f"{names.api}: {secret.variable}, the {secret.purpose}",
        "GenerateSecretString": {"PasswordLength": SECRET_LENGTH, "ExcludePunctuation": True},
        "Tags": [{"Key": "stage", "Value": names.stage}]}}


def _sam_secret_value(secret: StageSecret) -> dict:
    # Resolved by CloudFormation at deploy time: the role never reads Secrets Manager.
    return {"Fn::Sub": f"{{{{resolve:secretsmanager:${{{secret.sam_id}}}:SecretString}}}}"}


def sam_merge_template(stage: str, functions: dict, keep_arrival_index: bool = False) -> dict:
    """The template `chalice package --merge-template` deep-merges into Chalice's sam.json,
    for the :func:`chalice_functions` ``functions``."""
    names = StageNames(stage)
    resources = {
        "TallyTable": _sam_table(names, keep_arrival_index),
        "TotalsTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": names.totals_topic}},
        "AlarmTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": names.alarm_topic}},
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription", "Condition": "HasAlarmEmail",
            "Properties": {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email",
                           "Endpoint": {"Ref": "AlarmEmail"}}},
        # Chalice names the API after the app in every stage; the 5xx alarm needs it per stage.
        # SAM writes the gateway responses into the OpenAPI body, so they survive redeploys.
        SAM_REST_API: {"Properties": {"Name": names.api, "DefinitionBody": {"info": {"title": names.api}},
                                      "GatewayResponses": gateway_responses()}},
        **_sam_alarms(names),
        **{secret.sam_id: _sam_secret(names, secret) for secret in SECRETS},
        **waf.sam_resources(names, f"{SAM_REST_API}{API_STAGE}Stage", API_STAGE),
    }
    for name in functions:
        logical_id = sam_function_id(name)
        resources[f"{logical_id}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": names.log_group(name), "RetentionInDays": LOG_RETENTION_DAYS}}
        resources[logical_id] = {"Properties": {
            "Environment": {"Variables": _environment(name, {"Ref": "TallyTable"}, {"Ref": "TotalsTopic"},
                                                      _sam_secret_value)},
            "Layers": layers.sam_layers(),
            "LoggingConfig": {"LogGroup": {"Ref": f"{logical_id}LogGroup"}, "LogFormat": "Text"}}}
    if stream.FOLD in functions:
        fold_id = sam_function_id(stream.FOLD)
        resources[fold_id]["Properties"]["Events"] = {
            f"{fold_id}DynamodbEventSource": {"Properties": stream.sam_event_properties()}}
        resources.update(stream.sam_resources(names, fold_id))
    return {
        "Parameters": {"AlarmEmail": {
            "Type": "String", "Default": "",
            "Description": "Where alarm notifications go (confirm the subscription e-mail); empty for none."},
            **layers.sam_parameter()},
        "Conditions": {"HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}},
        "Resources": resources,
        "Outputs": {
            "TableName": {"Value": {"Ref": "TallyTable"}},
            "TotalsTopicArn": {"Value": {"Ref": "TotalsTopic"}},
            "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}},
            "FailedStreamBatchesQueue": {"Value": {"Ref": stream.SAM_QUEUE}},
        },
    }


# -- Terraform (JSON), written beside Chalice's chalice.tf.json ---------------------

# Resource names in Chalice's chalice.tf.json (its functions keep their Chalice names).
TF_SCHEDULE_RULE = f"{TALLY}-event"
TF_REST_API = "rest_api"


def _tf_table(names: StageNames, keep_arrival_index: bool = False) -> dict:
    definition = table_definition(keep_arrival_index)
    keys = {k["KeyType"]: k["AttributeName"] for k in definition["KeySchema"]}

    def projection(index):
        spec = index["Projection"]
        out = {"projection_type": spec["ProjectionType"]}
        if spec.get("NonKeyAttributes"):
            out["non_key_attributes"] = list(spec["NonKeyAttributes"])
        return out

    def index_keys(index):
        return {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}

    def global_index_keys(index):   # a global index may have a hash key only
        keys = index_keys(index)
        return {"hash_key": keys["HASH"], **({"range_key": keys["RANGE"]} if "RANGE" in keys else {})}

    return {
        "name": names.table,
        "billing_mode": definition["BillingMode"],
        "hash_key": keys["HASH"],
        "range_key": keys["RANGE"],
        "attribute": [{"name": a["AttributeName"], "type": a["AttributeType"]}
                      for a in definition["AttributeDefinitions"]],
        "local_secondary_index": [
            {"name": index["IndexName"], "range_key": index_keys(index)["RANGE"], **projection(index)}
            for index in definition.get("LocalSecondaryIndexes", [])],
        "global_secondary_index": [
            {"name": index["IndexName"], **global_index_keys(index), **projection(index)}
            for index in definition.get("GlobalSecondaryIndexes", [])],
        "stream_enabled": True,
        "stream_view_type": STREAM_VIEW,
        "point_in_time_recovery": {"enabled": True},
        "server_side_encryption": {"enabled": True},
        "ttl": {"attribute_name": TTL_ATTRIBUTE, "enabled": True},
        "deletion_protection_enabled": names.stage == "prod",
        "lifecycle": {"prevent_destroy": True},
    }


def _tf_alarm(name, description, threshold, comparison, **metric) -> dict:
    return {"alarm_name": name, "alarm_description": description, "threshold": threshold,
            "comparison_operator": comparison,
            "evaluation_periods": metric.pop("evaluation_periods", 1),
            "treat_missing_data": metric.pop("treat_missing_data", "notBreaching"),
            "alarm_actions": ["${aws_sns_topic.alarms.arn}"],
            "ok_actions": ["${aws_sns_topic.alarms.arn}"],
            **metric}


def _tf_metric(namespace, name, dimensions) -> dict:
    return {"namespace": namespace, "metric_name": name, "statistic": "Sum",
            "period": ALARM_PERIOD, "dimensions": dimensions}


def _tf_alarms(names: StageNames) -> dict:
    throttle_queries = [
        {"id": metric_id, "return_data": False, "metric": {
            "namespace": "AWS/DynamoDB", "metric_name": metric, "period": ALARM_PERIOD, "stat": "Sum",
            "dimensions": {"TableName": "${aws_dynamodb_table.tally.name}"}}}
        for metric_id, metric in (("reads", "ReadThrottleEvents"), ("writes", "WriteThrottleEvents"))
    ] + [{"id": "throttles", "expression": "reads + writes", "label": "Throttled requests",
          "return_data": True}]
    tally = {"FunctionName": f"${{aws_lambda_function.{TALLY}.function_name}}"}
    return {
        "api_server_errors": _tf_alarm(
            f"{names.api}-api-5xx", "The API answered 5xx.", 1, "GreaterThanOrEqualToThreshold",
            **_tf_metric("AWS/ApiGateway", "5XXError", {"ApiName": names.api, "Stage": API_STAGE})),
        "table_throttles": _tf_alarm(
            f"{names.table}-throttles", "DynamoDB throttled requests.", 1,
            "GreaterThanOrEqualToThreshold", metric_query=throttle_queries),
        "tally_errors": _tf_alarm(
            f"{names.function(TALLY)}-errors", "The scheduled count failed in 2 of 3 windows.", 1,
            "GreaterThanOrEqualToThreshold", evaluation_periods=3, datapoints_to_alarm=2,
            **_tf_metric("AWS/Lambda", "Errors", tally)),
        "tally_not_running": _tf_alarm(
            f"{names.function(TALLY)}-not-running", "The schedule has not run for 15 minutes.", 1,
            "LessThanThreshold", evaluation_periods=3, treat_missing_data="breaching",
            **_tf_metric("AWS/Lambda", "Invocations", tally)),
    }


# hashicorp/random makes the secrets' values; declared in the override file, because a
# module may have one required_providers block only and Chalice's chalice.tf.json has it.
TF_RANDOM_PROVIDER = {"source": "hashicorp/random", "version": ">= 3.1, < 4"}


def _tf_secrets(names: StageNames) -> dict:
    """The :data:`SECRETS`, as in SAM (see :func:`_sam_secret`); a name prefix, not a name,
    so that an apply after a destroy never collides with the old secret."""
    return {
        "random_password": {secret.tf_name: {"length": SECRET_LENGTH, "special": False} for secret in SECRETS},
        "aws_secretsmanager_secret": {secret.tf_name: {
            "name_prefix": f"{names.api}-{secret.tf_name.replace('_', '-')}-",
            "description": f"{names.api}: {secret.variable}, the {secret.purpose}",
            "tags": {"stage": names.stage}} for secret in SECRETS},
        "aws_secretsmanager_secret_version": {secret.tf_name: {
            "secret_id": f"${{aws_secretsmanager_secret.{secret.tf_name}.id}}",
            "secret_string": f"${{random_password.{secret.tf_name}.result}}"} for secret in SECRETS},
    }


def _tf_secret_value(secret: StageSecret) -> str:
    return f"${{aws_secretsmanager_secret_version.{secret.tf_name}.secret_string}}"


def terraform_resources(stage: str, functions: dict, keep_arrival_index: bool = False) -> dict:
    """``action-tally.tf.json``: the stage's table, topics, secrets, log groups (one for each
    of the :func:`chalice_functions` ``functions``), alarms, the failed-batch queue, the WAF
    rate limit and Powertools' layer."""
    names = StageNames(stage)
    folded = stream.tf_resources(names) if stream.FOLD in functions else {}
    return {
        "variable": {"alarm_email": {"type": "string", "default": "",
                                     "description": "Where alarm notifications go; empty for none."}},
        "data": layers.tf_data(),
        "resource": {
            "aws_dynamodb_table": {"tally": _tf_table(names, keep_arrival_index)},
            "aws_sns_topic": {"totals": {"name": names.totals_topic},
                              "alarms": {"name": names.alarm_topic}},
            "aws_sns_topic_subscription": {"alarm_email": {
                "count": '${var.alarm_email == "" ? 0 : 1}',
                "topic_arn": "${aws_sns_topic.alarms.arn}", "protocol": "email",
                "endpoint": "${var.alarm_email}"}},
            "aws_cloudwatch_log_group": {
                name: {"name": names.log_group(name), "retention_in_days": LOG_RETENTION_DAYS}
                for name in functions},
            "aws_cloudwatch_metric_alarm": {**_tf_alarms(names), **folded.get("aws_cloudwatch_metric_alarm", {})},
            **{kind: resources for kind, resources in folded.items() if kind != "aws_cloudwatch_metric_alarm"},
            **_tf_secrets(names),
            **waf.tf_resources(names, API_STAGE),
        },
        "output": {
            "TableName": {"value": "${aws_dynamodb_table.tally.name}"},
            "TotalsTopicArn": {"value": "${aws_sns_topic.totals.arn}"},
            "AlarmTopicArn": {"value": "${aws_sns_topic.alarms.arn}"},
        },
    }


_PARAMETER_SOURCES = {"Headers": "header", "Paths": "path", "QueryStrings": "querystring"}


def openapi_gateway_responses(responses: dict) -> dict:
    """SAM's ``GatewayResponses`` as API Gateway's OpenAPI extension, the way SAM writes them."""
    return {kind: {"statusCode": response["StatusCode"],
                   "responseParameters": {f"gatewayresponse.{_PARAMETER_SOURCES[source]}.{name}": value
                                          for source, values in response.get("ResponseParameters", {}).items()
                                          for name, value in values.items()},
                   "responseTemplates": response.get("ResponseTemplates", {})}
            for kind, response in responses.items()}


def _tf_api_definition(names: StageNames, chalice_tf: dict) -> str:
    """Chalice's OpenAPI body with the stage's title and the gateway responses.

    In the body rather than as aws_api_gateway_gateway_response resources: Terraform
    imports the body in "overwrite" mode, which drops gateway responses made beside it,
    and the deployment is redone whenever this body changes.
    """
    definition = json.loads(chalice_tf["locals"]["chalice_api_swagger"])
    definition["info"]["title"] = names.api
    definition["x-amazon-apigateway-gateway-responses"] = openapi_gateway_responses(gateway_responses())
    return json.dumps(definition)


def terraform_overrides(stage: str, chalice_tf: dict) -> dict:
    """``chalice_override.tf.json``: Terraform's override file for Chalice's resources.

    Stage-specific names for the schedule rule and the API (Chalice gives both stages
    the same ones), the gateway responses in the API's definition, and every function's
    environment pointing at this stage's resources (and the API handler's at its secrets).
    An override replaces a nested block whole, so each ``environment`` is restated.
    """
    names = StageNames(stage)
    overrides = {}
    for name, function in chalice_tf["resource"]["aws_lambda_function"].items():
        variables = dict(function["environment"]["variables"])
        variables.update(_environment(name, "${aws_dynamodb_table.tally.name}", "${aws_sns_topic.totals.arn}",
                                      _tf_secret_value))
        overrides[name] = {"environment": {"variables": variables}, "layers": layers.tf_layers()}
    mappings = chalice_tf["resource"].get("aws_lambda_event_source_mapping", {})
    resources = {"aws_lambda_event_source_mapping": {stream.TF_MAPPING: stream.tf_mapping_overrides()}} \
        if stream.TF_MAPPING in mappings else {}
    return {
        # Terraform merges required_providers entry by entry: Chalice's aws and null stay.
        "terraform": {"required_providers": {"random": TF_RANDOM_PROVIDER}},
        "locals": {"chalice_api_swagger": _tf_api_definition(names, chalice_tf)}, "resource": {
        "aws_lambda_function": overrides,
        **resources,
        "aws_cloudwatch_event_rule": {TF_SCHEDULE_RULE: {"name": f"{names.function(TALLY)}-schedule"}},
        "aws_api_gateway_rest_api": {TF_REST_API: {"name": names.api}},
    }}

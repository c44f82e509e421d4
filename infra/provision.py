"""`make resources STAGE=<stage>`: the stage's table (with its stream), totals topic, failed
stream batches queue and secrets, for `chalice deploy`; and, after it, the stream mapping's
settings Chalice cannot give it.

`chalice deploy` creates functions, API, schedule and the stream's event source mapping but
no table, topic, queue, secrets, alarms or WAF; the packaged route (`make package`, then
`sam deploy`) creates everything and is the one to use for production. This makes what the
code cannot run without, settings included (point-in-time recovery, KMS encryption, TTL, the
stream), and is safe to run again: the secrets are generated once and read back afterwards.
Powertools' layer ARN is looked up for the region (infra/layers.py) and written into the
deploy copy's config. After `chalice deploy`, ``--after-deploy`` gives the stream mapping
its tumbling window, filter, retries and failed-batch queue (infra/stream.py).
"""
import argparse
import io
import json
import os
import secrets
import shutil
import string
import subprocess
import tarfile
from pathlib import Path

import boto3

from chalicelib.storage.schema import TTL_ATTRIBUTE, create_table, stream_arn
from infra import layers, stream
from infra.stack import ANNOUNCES_TOTALS, HOLDS_SECRETS, ROOT, SECRET_LENGTH, SECRETS, STAGES, StageNames

_KMS = {"Enabled": True, "SSEType": "KMS"}   # the AWS managed key: no key to look after
_SECRET_ALPHABET = string.ascii_letters + string.digits   # as GenerateSecretString without punctuation


def provision(stage: str, dynamodb=None, sns=None, sqs=None) -> dict:
    """Create (or complete) the stage's table, totals topic and failed-batch queue; returns
    their names (and the table's stream)."""
    names = StageNames(stage)
    dynamodb = dynamodb or boto3.client("dynamodb")
    sns = sns or boto3.client("sns")
    sqs = sqs or boto3.client("sqs")
    create_table(dynamodb, names.table, SSESpecification=_KMS)
    dynamodb.update_continuous_backups(
        TableName=names.table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    ttl = dynamodb.describe_time_to_live(TableName=names.table)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        dynamodb.update_time_to_live(TableName=names.table, TimeToLiveSpecification={
            "AttributeName": TTL_ATTRIBUTE, "Enabled": True})
    sse = dynamodb.describe_table(TableName=names.table)["Table"].get("SSEDescription", {})
    if sse.get("SSEType") != "KMS":   # a table made before, by hand or by an older version
        dynamodb.update_table(TableName=names.table, SSESpecification=_KMS)
    topic_arn = sns.create_topic(Name=names.totals_topic)["TopicArn"]   # idempotent by name
    queue = sqs.create_queue(QueueName=names.fold_failures, Attributes={   # idempotent with the same attributes
        "MessageRetentionPeriod": str(stream.FAILED_BATCHES_RETENTION), "SqsManagedSseEnabled": "true"})
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue["QueueUrl"], AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    return {"TABLE_NAME": names.table, "TOTALS_TOPIC_ARN": topic_arn,
            "TABLE_STREAM_ARN": stream_arn(dynamodb, names.table), "FOLD_FAILURES_ARN": queue_arn}


def layer_arn(ssm=None) -> str:
    """Powertools' layer in the deployer's region, as AWS publishes it (infra/layers.py)."""
    ssm = ssm or boto3.client("ssm")
    try:
        return layers.resolve(ssm)
    except ssm.exceptions.ParameterNotFound:
        raise SystemExit(f"AWS publishes no {layers.layer_parameter()} in this region: give the layer's ARN "
                         "with --layer-arn (see docs/deploy.md, \"Powertools\")") from None


def configure_stream(stage: str, created: dict, lambda_client=None) -> dict:
    """After `chalice deploy`: the fold's event source mapping gets the settings Chalice's
    decorator has no words for (infra/stream.py); returns the mapping as updated."""
    lambda_client = lambda_client or boto3.client("lambda")
    mappings = lambda_client.list_event_source_mappings(FunctionName=StageNames(stage).function(stream.FOLD),
                                                        EventSourceArn=created["TABLE_STREAM_ARN"])
    (mapping,) = mappings["EventSourceMappings"]
    return lambda_client.update_event_source_mapping(
        UUID=mapping["UUID"], TumblingWindowInSeconds=stream.TUMBLING_WINDOW_SECONDS,
        FilterCriteria={"Filters": [{"Pattern": stream.FILTER_PATTERN}]}, BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=stream.MAX_RETRIES, MaximumRecordAgeInSeconds=stream.MAX_RECORD_AGE,
        ParallelizationFactor=1, DestinationConfig={"OnFailure": {"Destination": created["FOLD_FAILURES_ARN"]}})


def stage_secrets(stage: str, secretsmanager=None) -> dict:
    """The stage's secrets as ``{variable: value}``, made in Secrets Manager on the first run
    and read back on every run (so a second run, or two at once, give the same values)."""
    client = secretsmanager or boto3.client("secretsmanager")
    values = {}
    for secret in SECRETS:
        name = secret.name(stage)
        try:
            client.create_secret(
                Name=name, Description=f"{StageNames(stage).api}: {secret.variable}, the {secret.purpose}",
                SecretString="".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH)),
                Tags=[{"Key": "stage", "Value": stage}])
        except client.exceptions.ResourceExistsException:
            pass
        values[secret.variable] = client.get_secret_value(SecretId=name)["SecretString"]
    return values


def function_settings(created: dict, secret_values: dict) -> dict:
    """What `.chalice/config.json` must add under ``stages.<stage>.lambda_functions``:
    the topic for the announcing function, the secrets for the API handler, nothing else
    (``TABLE_NAME`` is in the config already)."""
    settings = {}
    for name in ANNOUNCES_TOTALS:
        settings.setdefault(name, {}).setdefault("environment_variables", {})[
            "TOTALS_TOPIC_ARN"] = created["TOTALS_TOPIC_ARN"]
    for name in HOLDS_SECRETS:
        settings.setdefault(name, {}).setdefault("environment_variables", {}).update(secret_values)
    return settings


def write_deploy_copy(directory: Path, stage: str, settings: dict, layer: str | None = None) -> Path:
    """The committed project (``git archive HEAD``) in ``directory``, its ``.chalice/config.json``
    holding ``settings`` (and Powertools' ``layer`` for the stage), to `chalice deploy` from;
    returns the config's path.

    Chalice's record of what it deployed (``.chalice/deployed/``) survives a refresh:
    without it the next deploy would make a second API.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.iterdir():
        if entry.name != ".chalice":
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    archive = subprocess.run(["git", "archive", "HEAD"],  # noqa: S607 - the developer's own git, fixed arguments
                             cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    path = directory / ".chalice" / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    if layer:
        config["stages"][stage]["layers"] = [layer]
    functions = config["stages"][stage].setdefault("lambda_functions", {})
    for name, extra in settings.items():
        functions.setdefault(name, {}).setdefault("environment_variables", {}).update(
            extra["environment_variables"])
    path.unlink()   # written anew, readable by its owner only
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as out:
        json.dump(config, out, indent=2)
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True, choices=STAGES)
    parser.add_argument("--deploy-dir", type=Path, help="write an untracked copy of the committed project "
                        "here, its .chalice/config.json holding the settings, secrets included; "
                        "without it they are printed")
    parser.add_argument("--layer-arn", help="Powertools' layer ARN, where AWS publishes none for the region")
    parser.add_argument("--after-deploy", action="store_true",
                        help="after `chalice deploy`: give the stream mapping its window, filter, retries and queue")
    args = parser.parse_args(argv)
    stage = args.stage
    created = provision(stage)
    if args.after_deploy:
        mapping = configure_stream(stage, created)
        print(f"Stage {stage}: the stream mapping {mapping['UUID']} has its tumbling window, filter, retries and "
              f"failed-batch queue.")
        return
    settings = function_settings(created, stage_secrets(stage))
    deploy = (f"TABLE_STREAM_ARN={created['TABLE_STREAM_ARN']} .venv/bin/chalice --project-dir "
              f"{args.deploy_dir} deploy --stage {stage}\n  .venv/bin/python -m infra.provision --stage {stage} "
              "--after-deploy")
    if args.deploy_dir:
        config = write_deploy_copy(args.deploy_dir, stage, settings, args.layer_arn or layer_arn())
        print(f"Stage {stage} is ready: table {created['TABLE_NAME']}. {config} holds its settings, secrets "
              f"included (never commit them); deploy with\n  {deploy}")
        return
    print(f"Stage {stage} is ready: table {created['TABLE_NAME']}. Merge this into .chalice/config.json "
          f"under stages.{stage}.lambda_functions in an untracked copy of the project (it holds secrets: "
          f"never commit them), and stages.{stage}.layers = [Powertools' layer ARN: "
          f"aws ssm get-parameter --name {layers.layer_parameter()}], then deploy from there with "
          f"TABLE_STREAM_ARN={created['TABLE_STREAM_ARN']} chalice deploy --stage {stage}, then "
          f"`python -m infra.provision --stage {stage} --after-deploy`:")
    print(json.dumps(settings, indent=2))


if __name__ == "__main__":
    main()

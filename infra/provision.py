"""`make resources STAGE=<stage>`: the stage's table, totals topic and secrets, for `chalice deploy`.

`chalice deploy` creates functions, API and schedule but no table, topic, secrets or
alarms; the packaged route (`make package`, then `sam deploy`) creates everything and is
the one to use for production. This makes what the code cannot run without, settings
included (point-in-time recovery, KMS encryption, TTL), and is safe to run again: the
secrets are generated once and read back afterwards.
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

from chalicelib.storage.schema import TTL_ATTRIBUTE, create_table
from infra.stack import ANNOUNCES_TOTALS, HOLDS_SECRETS, ROOT, SECRET_LENGTH, SECRETS, STAGES, StageNames

_KMS = {"Enabled": True, "SSEType": "KMS"}   # the AWS managed key: no key to look after
_SECRET_ALPHABET = string.ascii_letters + string.digits   # as GenerateSecretString without punctuation


def provision(stage: str, dynamodb=None, sns=None) -> dict:
    """Create (or complete) the stage's table and totals topic; returns their names."""
    names = StageNames(stage)
    dynamodb = dynamodb or boto3.client("dynamodb")
    sns = sns or boto3.client("sns")
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
    return {"TABLE_NAME": names.table, "TOTALS_TOPIC_ARN": topic_arn}


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


def write_deploy_copy(directory: Path, stage: str, settings: dict) -> Path:
    """The committed project (``git archive HEAD``) in ``directory``, its ``.chalice/config.json``
    holding ``settings``, to `chalice deploy` from; returns the config's path.

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
    args = parser.parse_args(argv)
    stage = args.stage
    created = provision(stage)
    settings = function_settings(created, stage_secrets(stage))
    if args.deploy_dir:
        config = write_deploy_copy(args.deploy_dir, stage, settings)
        print(f"Stage {stage} is ready: table {created['TABLE_NAME']}. {config} holds its settings, secrets "
              f"included (never commit them); deploy with\n"
              f"  .venv/bin/chalice --project-dir {args.deploy_dir} deploy --stage {stage}")
        return
    print(f"Stage {stage} is ready: table {created['TABLE_NAME']}. Merge this into .chalice/config.json "
          f"under stages.{stage}.lambda_functions in an untracked copy of the project (it holds secrets: "
          f"never commit them), then `chalice deploy --stage {stage}` from there:")
    print(json.dumps(settings, indent=2))


if __name__ == "__main__":
    main()

"""`make resources STAGE=<stage>`: the stage's table and totals topic, for `chalice deploy`.

`chalice deploy` creates functions, API and schedule but no table, topic or alarms;
the packaged route (`make package`, then `sam deploy`) creates everything and is the
one to use for production. This makes what the code cannot run without, settings
included (point-in-time recovery, KMS encryption, TTL), and is safe to run again.
"""
import argparse
import json

import boto3

from chalicelib.schema import TTL_ATTRIBUTE, create_table
from infra.stack import ANNOUNCES_TOTALS, STAGES, StageNames

_KMS = {"Enabled": True, "SSEType": "KMS"}   # the AWS managed key: no key to look after


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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True, choices=STAGES)
    stage = parser.parse_args(argv).stage
    created = provision(stage)
    # TABLE_NAME is in .chalice/config.json already; only the announcing functions get the topic.
    settings = {name: {"environment_variables": {"TOTALS_TOPIC_ARN": created["TOTALS_TOPIC_ARN"]}}
                for name in ANNOUNCES_TOTALS}
    print(f"Stage {stage} is ready: table {created['TABLE_NAME']}. Merge this into .chalice/config.json "
          f"under stages.{stage}.lambda_functions, then run `.venv/bin/chalice deploy --stage {stage}`:")
    print(json.dumps(settings, indent=2))


if __name__ == "__main__":
    main()

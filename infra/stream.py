"""The table's stream to the fold function (chalicelib.counting.folding): how Lambda's event
source mapping reads it, where a batch it gives up on is reported, and the alarms.

Chalice's ``@app.on_dynamodb_record`` names the stream, the batch size, the batching
window and the starting position; the rest is here, for SAM and for Terraform alike:

* a **tumbling window** (900 s, the longest): the fold keeps its state in DynamoDB, but
  only with a window does Lambda name the batch's stream shard (``shardId``), which the
  fold's marks are kept by;
* a **filter**: only report items' records reach the function (the fold's own writes to
  the totals item, campaigns, tokens... never invoke it);
* **one batch per shard at a time** (``ParallelizationFactor`` 1): the marks rely on a
  shard's records being folded in order the first time; more batches of a shard at once
  would keep the order of each item only. At 512 MB a batch of 1,000 records takes well
  under a second (``python -m bench.scale_sim``); the iterator-age alarm says otherwise;
* **retries**: a failing batch is split in two (to isolate a record that breaks it) and
  retried up to ``MAX_RETRIES`` times or ``MAX_RECORD_AGE`` seconds; the iterator-age
  alarm fires long before. Then Lambda gives up on it and says so, with the batch's shard
  and sequence numbers (never its records), on the **failed-batch queue**, which is
  alarmed too: the provisional totals then lack it until `action-tally campaign
  rebuild-totals`; the final totals never do (the close recounts the table).
"""
import json

FOLD = "fold"                          # the stream function in app.py
TUMBLING_WINDOW_SECONDS = 900
MAX_RETRIES = 100
MAX_RECORD_AGE = 6 * 3600              # of the stream's 24 hours
ITERATOR_AGE_ALARM_MS = 5 * 60 * 1000  # five minutes behind the table
FAILED_BATCHES_RETENTION = 14 * 24 * 3600
FILTER_PATTERN = json.dumps({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "REPORTS#"}]}}}})
SAM_QUEUE = "FoldFailedBatches"
TF_QUEUE = "fold_failed_batches"


def sam_event_properties() -> dict:
    """What the merge template adds to the fold function's DynamoDB event (Chalice's own: the
    batch size, window and starting position)."""
    return {"Stream": {"Fn::GetAtt": ["TallyTable", "StreamArn"]},
            "TumblingWindowInSeconds": TUMBLING_WINDOW_SECONDS,
            "FilterCriteria": {"Filters": [{"Pattern": FILTER_PATTERN}]},
            "BisectBatchOnFunctionError": True, "MaximumRetryAttempts": MAX_RETRIES,
            "MaximumRecordAgeInSeconds": MAX_RECORD_AGE, "ParallelizationFactor": 1,
            "DestinationConfig": {"OnFailure": {"Type": "SQS",
                                                "Destination": {"Fn::GetAtt": [SAM_QUEUE, "Arn"]}}}}


def sam_resources(names, function_id: str) -> dict:
    """The failed-batch queue and the fold's alarms (``names``: the stage's ``StageNames``;
    ``function_id``: the fold function's logical id)."""
    function = {"Name": "FunctionName", "Value": {"Ref": function_id}}
    return {
        SAM_QUEUE: {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": names.fold_failures, "MessageRetentionPeriod": FAILED_BATCHES_RETENTION,
            "SqsManagedSseEnabled": True}},
        "FoldIteratorAgeAlarm": _sam_alarm(
            f"{names.function(FOLD)}: the stream fold is more than 5 minutes behind the table (a batch keeps "
            "failing, or the function is throttled); provisional totals lag.",
            "AWS/Lambda", "IteratorAge", [function], "Maximum", ITERATOR_AGE_ALARM_MS),
        "FoldErrorsAlarm": _sam_alarm(
            f"{names.function(FOLD)}: the stream fold failed in 2 of the last 3 windows (Lambda retries the "
            "batch).", "AWS/Lambda", "Errors", [function], "Sum", 1, EvaluationPeriods=3, DatapointsToAlarm=2),
        "FoldFailedBatchesAlarm": _sam_alarm(
            f"{names.fold_failures}: Lambda gave up on a stream batch; the provisional totals miss it until "
            "`action-tally campaign rebuild-totals` (final totals are unaffected).", "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            [{"Name": "QueueName", "Value": {"Fn::GetAtt": [SAM_QUEUE, "QueueName"]}}], "Maximum", 1),
    }


def _sam_alarm(description, namespace, metric, dimensions, statistic, threshold, **extra):
    from infra.stack import ALARM_PERIOD

    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": description, "Namespace": namespace, "MetricName": metric, "Statistic": statistic,
        "Period": ALARM_PERIOD, "Dimensions": dimensions, "Threshold": threshold,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "EvaluationPeriods": extra.pop("EvaluationPeriods", 1), "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": "AlarmTopic"}], "OKActions": [{"Ref": "AlarmTopic"}], **extra}}


# -- Terraform ------------------------------------------------------------------------

TF_MAPPING = f"{FOLD}-dynamodb-event-source"   # Chalice's name for the event source mapping


def tf_mapping_overrides() -> dict:
    """Arguments the override file gives Chalice's event source mapping."""
    return {"event_source_arn": "${aws_dynamodb_table.tally.stream_arn}",
            "tumbling_window_in_seconds": TUMBLING_WINDOW_SECONDS,
            "filter_criteria": {"filter": [{"pattern": FILTER_PATTERN}]},
            "bisect_batch_on_function_error": True, "maximum_retry_attempts": MAX_RETRIES,
            "maximum_record_age_in_seconds": MAX_RECORD_AGE, "parallelization_factor": 1,
            "destination_config": {"on_failure": {"destination_arn": f"${{aws_sqs_queue.{TF_QUEUE}.arn}}"}}}


def tf_resources(names) -> dict:
    """The failed-batch queue and the fold's alarms, by Terraform resource type."""
    from infra.stack import _tf_alarm, _tf_metric

    function = {"FunctionName": f"${{aws_lambda_function.{FOLD}.function_name}}"}
    iterator_age = {**_tf_metric("AWS/Lambda", "IteratorAge", function), "statistic": "Maximum"}
    depth = {**_tf_metric("AWS/SQS", "ApproximateNumberOfMessagesVisible",
                          {"QueueName": f"${{aws_sqs_queue.{TF_QUEUE}.name}}"}), "statistic": "Maximum"}
    return {
        "aws_sqs_queue": {TF_QUEUE: {"name": names.fold_failures,
                                     "message_retention_seconds": FAILED_BATCHES_RETENTION,
                                     "sqs_managed_sse_enabled": True}},
        "aws_cloudwatch_metric_alarm": {
            "fold_iterator_age": _tf_alarm(f"{names.function(FOLD)}-iterator-age",
                                           "The stream fold is more than 5 minutes behind the table.",
                                           ITERATOR_AGE_ALARM_MS, "GreaterThanOrEqualToThreshold", **iterator_age),
            "fold_errors": _tf_alarm(f"{names.function(FOLD)}-errors", "The stream fold failed in 2 of 3 windows.",
                                     1, "GreaterThanOrEqualToThreshold", evaluation_periods=3,
                                     datapoints_to_alarm=2, **_tf_metric("AWS/Lambda", "Errors", function)),
            "fold_failed_batches": _tf_alarm(f"{names.fold_failures}-not-empty",
                                             "Lambda gave up on a stream batch: rebuild the provisional totals.",
                                             1, "GreaterThanOrEqualToThreshold", **depth),
        },
    }

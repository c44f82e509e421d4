"""AWS WAF in front of the API: a rate-based rule on report posts, the limit across every
Lambda container (the app's own limit counts per container: chalicelib.counting.rate_limit).

A client over ``LIMIT_PER_MINUTE`` posts to one campaign's reports in a minute is answered
429 by WAF itself, in the API's error shape, with ``Retry-After``, until its rate falls
back: twice the app's own allowance, so that a client the app refuses politely (and which
waits as told) never meets it, while a flood from one address is stopped before Lambda
runs. WAF cannot tell a replay from a new report, so past this limit replays are refused
too (docs/abuse-limits.md says what each deployment guarantees).

SAM keys the rule on the client's address and the request path (so per campaign) over a
60-second window. Terraform, held to the AWS provider 4.x by Chalice, can key it on the
address only and counts over WAF's default 5 minutes: five minutes' worth of the same
limit, across the client's campaigns.
"""
import json

from chalicelib.domain.errors import TooManyReports

LIMIT_PER_MINUTE = 240
WINDOW_SECONDS = 60
TF_WINDOW_SECONDS = 300                 # the provider 4.x cannot set another window
RETRY_AFTER = str(WINDOW_SECONDS)
RULE = "report-posts-per-client-and-campaign"
BODY_KEY = "rate_limited"


def _error_body(seconds: int = WINDOW_SECONDS) -> str:
    return json.dumps(TooManyReports(seconds).body())


def _visibility(name: str) -> dict:
    return {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": True, "MetricName": name}


def _report_posts() -> dict:
    """A scope-down: POST to a path ending in /reports."""
    return {"AndStatement": {"Statements": [
        {"ByteMatchStatement": {"FieldToMatch": {"Method": {}}, "PositionalConstraint": "EXACTLY",
                                "SearchString": "POST", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
        {"ByteMatchStatement": {"FieldToMatch": {"UriPath": {}}, "PositionalConstraint": "ENDS_WITH",
                                "SearchString": "/reports",
                                "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}]}}


def sam_resources(names, stage_resource: str, api_stage: str) -> dict:
    """The web ACL and its association with the API's stage (``stage_resource``: the logical id
    SAM gives the stage, which must exist first)."""
    rule = {
        "Name": RULE, "Priority": 0,
        "Statement": {"RateBasedStatement": {
            "Limit": LIMIT_PER_MINUTE, "EvaluationWindowSec": WINDOW_SECONDS, "AggregateKeyType": "CUSTOM_KEYS",
            "CustomKeys": [{"IP": {}}, {"UriPath": {"TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}],
            "ScopeDownStatement": _report_posts()}},
        "Action": {"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": BODY_KEY,
                                                "ResponseHeaders": [{"Name": "Retry-After", "Value": RETRY_AFTER}]}}},
        "VisibilityConfig": _visibility("ReportPostsRateLimited"),
    }
    return {
        "WebACL": {"Type": "AWS::WAFv2::WebACL", "Properties": {
            "Name": names.web_acl, "Scope": "REGIONAL", "DefaultAction": {"Allow": {}}, "Rules": [rule],
            "CustomResponseBodies": {BODY_KEY: {"ContentType": "APPLICATION_JSON", "Content": _error_body()}},
            "VisibilityConfig": _visibility(names.web_acl)}},
        "WebACLAssociation": {"Type": "AWS::WAFv2::WebACLAssociation", "DependsOn": stage_resource, "Properties": {
            "ResourceArn": {"Fn::Sub": f"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/"
                                       f"${{RestAPI}}/stages/{api_stage}"},
            "WebACLArn": {"Fn::GetAtt": ["WebACL", "Arn"]}}},
    }


def tf_resources(names, api_stage: str) -> dict:
    """The same for Terraform (the address alone, over 5 minutes: see the module docstring)."""
    text = [{"priority": 0, "type": "NONE"}]
    posts = {"and_statement": {"statement": [
        {"byte_match_statement": {"field_to_match": {"method": {}}, "positional_constraint": "EXACTLY",
                                  "search_string": "POST", "text_transformation": text}},
        {"byte_match_statement": {"field_to_match": {"uri_path": {}}, "positional_constraint": "ENDS_WITH",
                                  "search_string": "/reports", "text_transformation": text}}]}}

    def visibility(name):
        return {"sampled_requests_enabled": False, "cloudwatch_metrics_enabled": True, "metric_name": name}

    return {
        "aws_wafv2_web_acl": {"api": {
            "name": names.web_acl, "scope": "REGIONAL", "default_action": {"allow": {}},
            "custom_response_body": [{"key": BODY_KEY, "content_type": "APPLICATION_JSON",
                                      "content": _error_body(TF_WINDOW_SECONDS)}],
            "rule": [{"name": RULE, "priority": 0,
                      "action": {"block": {"custom_response": {
                          "response_code": 429, "custom_response_body_key": BODY_KEY,
                          "response_header": [{"name": "Retry-After", "value": str(TF_WINDOW_SECONDS)}]}}},
                      "statement": {"rate_based_statement": {
                          "limit": LIMIT_PER_MINUTE * TF_WINDOW_SECONDS // 60, "aggregate_key_type": "IP",
                          "scope_down_statement": posts}},
                      "visibility_config": visibility("ReportPostsRateLimited")}],
            "visibility_config": visibility(names.web_acl)}},
        "aws_wafv2_web_acl_association": {"api": {
            "resource_arn": ("arn:${data.aws_partition.chalice.partition}:apigateway:"
                             "${data.aws_region.chalice.name}::/restapis/${aws_api_gateway_rest_api.rest_api.id}"
                             f"/stages/{api_stage}"),
            "web_acl_arn": "${aws_wafv2_web_acl.api.arn}",
            "depends_on": ["aws_api_gateway_deployment.rest_api"]}},
    }

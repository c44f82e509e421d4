"""The floor for intake: a Chalice route that parses the JSON body and does one PutItem.

It writes to the same table, with the same boto3 configuration as the app, so
that the app's whole path can be compared with the least any route could do.
"""
import os

import boto3
from chalice import Chalice, Response

from chalicelib.runtime.process import BOTO_CONFIG

bare = Chalice(app_name="bare-put")
_TABLE = None


def _table():
    global _TABLE
    if _TABLE is None:
        resource = boto3.resource("dynamodb", region_name=os.environ["AWS_DEFAULT_REGION"], config=BOTO_CONFIG,
                                  endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None)
        _TABLE = resource.Table(os.environ["TABLE_NAME"])
    return _TABLE


def reset():
    global _TABLE
    _TABLE = None


@bare.route("/campaigns/{campaign_id}/reports", methods=["POST"])
def put_report(campaign_id):
    body = bare.current_request.json_body
    _table().put_item(Item={**body, "pk": f"BARE#{campaign_id}", "sk": body["submission_id"]})
    return Response(body={"status": "recorded"}, status_code=201)

"""AWS list prices (us-east-1, USD) for the cost section, with where and when they come from.

This machine cannot browse. These are the public list prices as published on
the AWS pricing pages (aws.amazon.com/api-gateway/pricing, /lambda/pricing,
/dynamodb/pricing/on-demand) and in AWS's "How AWS Pricing Works" and API
Gateway private-integration whitepapers, read from stored copies of those pages
on the date below. DynamoDB's on-demand request prices are those in force since
its 50% cut of 1 November 2024. Free tiers are left out. RE-CHECK before quoting.
"""

AS_OF = "2026-11-28"
REGION = "us-east-1"
SOURCES = ("aws.amazon.com/api-gateway/pricing (REST: first 333 million requests a month; "
           "HTTP API: first 300 million)",
           "aws.amazon.com/lambda/pricing (x86, first 6 billion GB-seconds a month; 1 ms billing)",
           "aws.amazon.com/dynamodb/pricing/on-demand (standard table class, since 2024-11-01)",
           "aws.amazon.com/ec2/pricing/on-demand (data transfer out to the internet, after the first 100 GB)",
           "aws.amazon.com/cloudwatch/pricing (Logs, standard class, ingestion)",
           "aws.amazon.com/waf/pricing (requests inspected by a web ACL; $5 a month for it, $1 per rule)")

PRICES = {
    "api_gateway_rest_per_million_requests": 3.50,
    "api_gateway_http_per_million_requests": 1.00,
    "lambda_per_million_requests": 0.20,
    "lambda_per_gb_second": 0.0000166667,
    "dynamodb_per_million_wru": 0.625,
    "dynamodb_per_million_rru": 0.125,
    "dynamodb_per_gb_month": 0.25,
    "data_transfer_out_per_gb": 0.09,
    "cloudwatch_logs_per_gb_ingested": 0.50,
    "waf_per_million_requests": 0.60,
}

# Assumptions the measured figures cannot give, stated where they are used.
LAMBDA_MEMORY_MB = 512              # .chalice/config.json, api_handler and tally
FULL_VCPU_MB = 1769                 # Lambda gives one full vCPU at 1,769 MB, a share below it
DYNAMODB_ROUND_TRIP_MS = 5.0        # one in-region DynamoDB call seen from Lambda (typical single digits)

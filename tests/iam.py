"""Just enough of IAM's policy evaluation to check the hand-written stage policies:
Allow/Deny statements with ``Action`` and ``Resource`` lists and ``*``/``?`` wildcards;
and which policy file Chalice gives each Lambda function's role."""
import json
import re
from pathlib import Path

from chalice.config import Config

ROOT = Path(__file__).resolve().parent.parent
REGION, ACCOUNT = "us-east-1", "123456789012"


def policy_file(stage: str, function: str) -> str:
    """The file in ``.chalice/`` whose policy Chalice gives ``function``'s role in ``stage``
    (its ``lambda_functions`` entry, else the stage's, else ``policy-<stage>.json``)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    scoped = Config(chalice_stage=stage, function_name=function, config_from_disk=config)
    return scoped.iam_policy_file or f"policy-{stage}.json"


def load_policy(filename: str) -> dict:
    return json.loads((ROOT / ".chalice" / filename).read_text())


def _listed(value):
    return value if isinstance(value, list) else [value]


def _matches(pattern: str, value: str, ignore_case=False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def statements(policy: dict) -> list[dict]:
    found = _listed(policy["Statement"])
    unsupported = [s.get("Sid") for s in found if {"NotAction", "NotResource", "Condition"} & set(s)]
    assert not unsupported, f"statements {unsupported} use features this checker does not evaluate"
    return found


def allows(policy: dict, action: str, resource_arn: str) -> bool:
    """True if ``policy`` allows ``action`` on ``resource_arn`` (an explicit Deny wins)."""
    def applies(statement):
        return (any(_matches(p, action, ignore_case=True) for p in _listed(statement["Action"]))
                and any(_matches(p, resource_arn) for p in _listed(statement["Resource"])))

    matching = [s["Effect"] for s in statements(policy) if applies(s)]
    return "Allow" in matching and "Deny" not in matching


def stage_arn(names, resource: tuple) -> str:
    """The ARN a recorded resource kind stands for in ``names``' stage."""
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{names.table}"
    kind = resource[0]
    if kind == "table":
        return table
    if kind == "index":
        return f"{table}/index/{resource[1]}"
    if kind == "topic":
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{names.totals_topic}"
    return "*"


def missing_permissions(policy: dict, names, calls: dict) -> list[str]:
    """One line per recorded call ``policy`` does not allow, naming the action and the caller."""
    return [f"{request.action} on {stage_arn(names, request.resource)} (first called at {caller})"
            for request, caller in sorted(calls.items())
            if not allows(policy, request.action, stage_arn(names, request.resource))]


def granted_actions(policy: dict, skip_sids=()) -> set[str]:
    return {action for statement in statements(policy) if statement["Effect"] == "Allow"
            and statement.get("Sid") not in skip_sids for action in _listed(statement["Action"])}

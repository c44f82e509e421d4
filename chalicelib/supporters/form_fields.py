"""The HTML form's fields, turned into the JSON report shape that intake checks.

The form asks what was sent to each official: ``count.<target id>.<action>`` (v2's
``per_target``), and for how many people (``participants``). A post of v1's fields
(``action_<action>``, ``target``), as an older page sends, is read as v1's shape; both at
once reach intake as both, which refuses them.
"""
import re

_COUNT = re.compile(r"\s*(\d{1,6})\s*")
COUNT_PREFIX = "count."


def report_from_form(form: dict) -> dict:
    """Turn the HTML form's fields into the JSON report shape.

    Forgiving where a person typed: blank counts are 0, a blank number of people is one,
    and spaces are ignored.
    """
    def first(name):
        return (form.get(name) or [""])[0]

    data = {"submission_id": first("submission_id"), "form_token": first("form_token"),
            "website": first("website"), "country": first("country").strip(),
            "consent": first("consent").lower() in ("yes", "on", "true", "1")}
    if "late_form" in form:   # the form past the deadline, which asks whether the actions came before it
        data["acted_before_deadline"] = first("acted_before_deadline").lower() in ("yes", "on", "true", "1")
    per_target, actions = {}, {}
    for key, values in form.items():
        if key.startswith(COUNT_PREFIX):
            target, _, action = key[len(COUNT_PREFIX):].rpartition(".")
            per_target.setdefault(target, {})[action] = _typed(values[0])
        elif key.startswith("action_"):
            actions[key[len("action_"):]] = _typed(values[0])
    if per_target:
        data["per_target"] = per_target
    if actions or "target" in form or not per_target:
        data.update(actions=actions, targets=form.get("target", []))
    if first("participants").strip():
        data["participants"] = _typed(first("participants"))
    for optional in ("name", "contact_email"):
        if first(optional).strip():
            data[optional] = first(optional)
    return data


def typed_counts(form: dict) -> dict:
    """``{target: {action: what was typed}}``, to show a form again as it was sent."""
    typed = {}
    for key, values in form.items():
        if key.startswith(COUNT_PREFIX):
            target, _, action = key[len(COUNT_PREFIX):].rpartition(".")
            typed.setdefault(target, {})[action] = values[0]
    return typed


def _typed(value: str):
    match = _COUNT.fullmatch(value)
    return int(match.group(1)) if match else (value.strip() or 0)

"""The HTML form's fields, turned into the JSON report shape that intake checks."""
import re

_COUNT = re.compile(r"\s*(\d{1,6})\s*")


def report_from_form(form: dict) -> dict:
    """Turn the HTML form's fields into the JSON report shape.

    Forgiving where a person typed: blank counts are 0 and spaces are ignored.
    """
    def first(name):
        return (form.get(name) or [""])[0]

    actions = {}
    for key, values in form.items():
        if key.startswith("action_"):
            match = _COUNT.fullmatch(values[0])
            actions[key[len("action_"):]] = int(match.group(1)) if match else (values[0].strip() or 0)
    data = {"submission_id": first("submission_id"), "form_token": first("form_token"),
            "website": first("website"), "actions": actions,
            "targets": form.get("target", []), "country": first("country").strip(),
            "consent": first("consent").lower() in ("yes", "on", "true", "1")}
    for optional in ("name", "contact_email"):
        if first(optional).strip():
            data[optional] = first(optional)
    return data

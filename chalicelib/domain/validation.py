"""Small checks shared by campaign and report parsing, collecting every
problem at once so that a client can fix them all in one go."""
import re

from chalicelib.domain.errors import ValidationFailed

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FieldErrors:
    """Collects ``field -> message``; :meth:`raise_if_any` ends the parse."""

    def __init__(self):
        self.errors = {}

    def add(self, field, message):
        self.errors.setdefault(field, message)

    def __contains__(self, field):
        return field in self.errors

    def raise_if_any(self):
        if self.errors:
            raise ValidationFailed(self.errors)


def text(errors, data, field, *, max_length, required=True, multiline=False):
    """A stripped string of at most ``max_length`` characters, or None."""
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, "is required")
        return None
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return None
    value = value.strip()
    if len(value) > max_length:
        errors.add(field, f"must be at most {max_length} characters")
        return None
    if _CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value)):
        errors.add(field, "must not contain control characters")
        return None
    return value


def string_list(errors, data, field, *, max_items, min_items=1):
    """A list of strings without duplicates, or None."""
    value = data.get(field)
    if value is None:
        if min_items:
            errors.add(field, "is required")
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.add(field, "must be a list of strings")
        return None
    if not min_items <= len(value) <= max_items:
        errors.add(field, f"must have between {min_items} and {max_items} items")
        return None
    if len(set(value)) != len(value):
        errors.add(field, "must not repeat an item")
        return None
    return value


def reject_unknown(errors, data, allowed):
    for field in sorted(set(data) - set(allowed)):
        errors.add(field, "is not a known field")


def object_list(errors, value, field, parse_item, *, shape):
    """Each object of the list ``value`` parsed by ``parse_item(item_errors, item)`` (None when
    it is not valid); an item's errors are named ``field[i].sub``, a non-object ``field[i]``."""
    parsed = []
    for index, item in enumerate(value):
        name = f"{field}[{index}]"
        if not isinstance(item, dict):
            errors.add(name, f"must be an object with {shape}")
            continue
        item_errors = FieldErrors()
        result = parse_item(item_errors, item)
        for sub, message in item_errors.errors.items():
            errors.add(f"{name}.{sub}", message)
        if result is not None and not item_errors.errors:
            parsed.append(result)
    return parsed

"""Warnings: what the importer could not find, or found in a doubtful form, each naming the
draft's field (``targets[1].social[0]``) and the line of the text it came from."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Warning:
    field: str
    message: str
    line: int | None = None

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message, "line": self.line}


class Notes:
    """Collects warnings in the order they were found."""

    def __init__(self):
        self.warnings: list[Warning] = []

    def warn(self, field: str, message: str, line: int | None = None) -> None:
        self.warnings.append(Warning(field, message, line))

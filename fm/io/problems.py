"""What is wrong with a file: one :class:`Problem` per bad value, gathered into one :class:`Rejected`."""

from __future__ import annotations

from dataclasses import dataclass

from fm.errors import ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (row and header), the value, and what is wrong."""

    row: str
    field: str
    value: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.row, self.field) if part)
        shown = f" {self.value!r}" if self.value else ""
        return f"{where}:{shown} {self.message}" if where else self.message


class Rejected(ValidationError):
    """The file breaks rules; nothing was written. ``details`` holds the problems as records."""

    def __init__(self, source: str, details: list[Problem]) -> None:
        self.details = details
        super().__init__([str(p) for p in details])
        self.source = source

    def __str__(self) -> str:
        return f"{self.source}: {len(self.details)} problem(s), nothing imported:\n" + "\n".join(self.problems)

"""Policy problems as values: where each one is and what was expected.

An :class:`Issue` prints as ``file:line:col: key.path[2].name: message``, the
form editors and CI logs turn into clickable links. :class:`PolicyError` carries
every issue found in one pass, so a user fixes a file in one round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onwatch.errors import OnwatchError

PathPart = str | int


def format_path(path: Sequence[PathPart]) -> str:
    """``("monitors", 2, "interval")`` → ``monitors[2].interval``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in a policy file, at a 1-based line and column."""

    filename: str
    line: int
    col: int
    path: tuple[PathPart, ...]
    message: str

    def __str__(self) -> str:
        where = f"{self.filename}:{self.line}:{self.col}"
        key = format_path(self.path)
        return f"{where}: {key}: {self.message}" if key else f"{where}: {self.message}"


class PolicyError(OnwatchError):
    """The policy file is not valid; :attr:`issues` lists every problem found."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = sorted(set(issues), key=lambda i: (i.filename, i.line, i.col, i.message))
        super().__init__("\n".join(str(issue) for issue in self.issues))

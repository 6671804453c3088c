"""The one error hierarchy of kb: every user-facing failure is a KbError.

The CLI catches ``KbError`` and prints ``Error: <message>`` with its exit code;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class KbError(Exception):
    """A problem the user can fix; ``exit_code`` is what the CLI exits with."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class BadInput(KbError):
    """Bad usage or bad input (exit code 2)."""


class KnowledgeBaseNotFound(BadInput):
    """The directory given is not a knowledge base."""


class InvalidKnowledgeBase(BadInput):
    """Files of the knowledge base cannot be read; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s); run 'kb verify' to list them)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}")


class UnknownClaim(BadInput):
    """A claim id that the knowledge base does not hold."""


class UnknownSource(BadInput):
    """A source key that the bibliography does not hold."""


class NothingFound(KbError):
    """A search or selection matched nothing (exit code 1)."""

    exit_code = 1


class WriteError(KbError):
    """A file could not be written (read-only directory, missing directory...)."""


FATAL_CHECKS = frozenset({
    "yaml-syntax", "yaml-read", "claim-file-shape", "claim-schema", "duplicate-id",
    "bibtex-read", "bibtex-syntax", "bibtex-duplicate-key", "bibtex-type", "bibtex-schema",
    "vocabulary-file",
})
"""Checks whose problems keep a knowledge base from being read (exit 2)."""


@dataclass(frozen=True)
class Problem:
    """One problem found while loading or checking a knowledge base."""

    path: Path | None
    line: int | None
    subject: str | None
    """The claim id or source key concerned, when there is one."""
    check: str
    """A short stable name for the kind of problem, e.g. ``yaml-syntax``."""
    message: str
    hint: str = ""

    @property
    def fatal(self) -> bool:
        """Whether the base cannot be read while this problem stands."""
        return self.check in FATAL_CHECKS

    def where(self) -> str:
        parts = []
        if self.path is not None:
            parts.append(f"{self.path}:{self.line}" if self.line else str(self.path))
        if self.subject:
            parts.append(self.subject)
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{self.message}, {where}" if where else self.message
        return f"{text}; {self.hint}" if self.hint else text

    def to_dict(self) -> dict[str, object]:
        return {
            "check": self.check,
            "file": str(self.path) if self.path else None,
            "line": self.line,
            "subject": self.subject,
            "message": self.message,
            "hint": self.hint,
        }

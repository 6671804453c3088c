"""The export formats: one module per format, each exposing ``export(job) -> ExportResult``.

Formats are found by name (``get_exporter("csl-json")``); the module is imported
only when its format is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import BadInput

if TYPE_CHECKING:
    from kb.model.schema import Claim
    from kb.store.loader import KnowledgeBase


@dataclass
class ExportJob:
    """What an exporter is given."""

    kb: KnowledgeBase
    claims: list[Claim]
    style: str
    """A CSL style name or path (used by the formats that format citations)."""
    output: Path | None = None
    """Where the main output will be written (None: stdout); companions go beside it."""


@dataclass
class ExportResult:
    """What an exporter returns: the main text and any files that go beside it."""

    text: str
    companions: dict[Path, str] = field(default_factory=dict)


# format name -> module in this package
FORMATS = {
    "json": "json",
    "jsonl": "jsonl",
    "csv": "csv",
    "markdown": "markdown",
    "pandoc": "pandoc",
    "html": "html",
    "bibtex": "bibtex",
    "csl-json": "csl_json",
    "ris": "ris",
}


def format_names() -> list[str]:
    return list(FORMATS)


def get_exporter(name: str) -> Callable[[ExportJob], ExportResult]:
    """The export function of format ``name``; BadInput listing the known formats otherwise."""
    module_name = FORMATS.get(name.lower())
    if module_name is None:
        raise BadInput(f"unknown export format '{name}'", hint=f"use one of {', '.join(FORMATS)}")
    module = import_module(f"{__name__}.{module_name}")
    return module.export

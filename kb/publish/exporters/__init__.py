"""The export formats: one module per format, each exposing ``export(job) -> ExportResult``.

Formats are found by name (``get_exporter("csl-json")``); the module is imported
only when its format is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import BadInput

if TYPE_CHECKING:
    from kb.model.schema import Claim
    from kb.provenance.links import LinkGraph
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
    credit: str | None = None
    """Override of the style's secondary-citation rule: both, read or cited (kb/cite/secondary.py)."""
    title: str = ""
    """The document's title (pandoc, html, docx, odt)."""
    quotes: bool = False
    """Each claim as its verbatim quote (block quote) rather than its statement."""

    @cached_property
    def graph(self) -> LinkGraph:
        """The base's links, built once per export (incoming links come from every claims file)."""
        from kb.provenance.links import LinkGraph

        return LinkGraph.of(self.kb)

    @cached_property
    def exported_ids(self) -> frozenset[str]:
        """The ids of the claims in this export (a link to one of them is a link within the file);
    only ids of the claim id pattern, so an id is always safe as an anchor."""
        from kb.model.schema import CLAIM_ID

        return frozenset(claim.id for claim in self.claims if CLAIM_ID.fullmatch(claim.id))


@dataclass
class ExportResult:
    """What an exporter returns: the main text and any files that go beside it."""

    text: str | bytes
    companions: dict[Path, str] = field(default_factory=dict)
    works: int | None = None
    """How many works the file lists (bibliographies and reference lists), for the message."""


# format name -> module in this package
FORMATS = {
    "json": "json",
    "jsonl": "jsonl",
    "csv": "csv",
    "markdown": "markdown",
    "pandoc": "pandoc",
    "html": "html",
    "bibtex": "bibtex",
    "biblatex": "biblatex",
    "csl-json": "csl_json",
    "ris": "ris",
    "docx": "docx",
    "odt": "odt",
}
BINARY = {"docx", "odt"}
"""Formats whose output is a file, never printed to a terminal."""


def format_names() -> list[str]:
    return list(FORMATS)


ALIASES = {"md": "markdown", "csljson": "csl-json", "csl": "csl-json", "bib": "bibtex", "word": "docx",
           "htm": "html", "ndjson": "jsonl"}


def normal_format(name: str) -> str:
    """A format name as the registry spells it: case-insensitive, '_' as '-', common aliases."""
    value = name.strip().lower().replace("_", "-")
    return ALIASES.get(value, value)


def get_exporter(name: str) -> Callable[[ExportJob], ExportResult]:
    """The export function of format ``name``; BadInput listing the known formats otherwise."""
    module_name = FORMATS.get(normal_format(name))
    if module_name is None:
        import difflib

        close = difflib.get_close_matches(normal_format(name), list(FORMATS), n=3, cutoff=0.5)
        hint = (f"did you mean {' or '.join(close)}? " if close else "") + f"formats: {', '.join(FORMATS)}"
        raise BadInput(f"unknown export format '{name}'", hint=hint)
    module = import_module(f"{__name__}.{module_name}")
    return module.export


# --- shared by the formats that quote -----------------------------------------------

QUOTE_JOIN = " ... "


def quoted(claim: Claim) -> str:
    """The claim's verbatim quote, its fragments joined with ' ... '."""
    return QUOTE_JOIN.join(" ".join(f.split()) for f in claim.fragments)


def document_manifest(kb: KnowledgeBase, key: str):
    """The document's manifest (kb/store/manifest.py), or None when it has none or it cannot be read."""
    from kb.store.loader import read_yaml
    from kb.store.manifest import manifest_from_dict, manifest_path

    path = manifest_path(kb.documents_dir, key)
    if not path.is_file():
        return None
    data, problem = read_yaml(path)
    if problem is not None:
        return None
    try:
        return manifest_from_dict(path, data)
    except ValueError:
        return None


def quote_pages(kb: KnowledgeBase, claims: list[Claim]) -> dict[str, str]:
    """Claim id -> 'p. 12' (or 'pp. 12-13') where its quote sits, from its document's page map.

    A claim whose document has no page map, or whose quote is not found, gets none.
    """
    manifests: dict[str, object] = {}
    pages: dict[str, str] = {}
    for claim in claims:
        if claim.document not in manifests:
            manifests[claim.document] = document_manifest(kb, claim.document)
        manifest = manifests[claim.document]
        if manifest is None or not manifest.pages:
            continue
        document = kb.document(claim.document)
        if document is None:
            continue
        anchors = [a for a in document.anchor_fragments(claim.fragments) if a is not None]
        if not anchors:
            continue
        span = manifest.pages_of(anchors[0].start, anchors[-1].end)
        if span:
            pages[claim.id] = f"pp. {span}" if "-" in span else f"p. {span}"
    return pages


# --- shared by the formats that show links between claims ----------------------------


@dataclass(frozen=True)
class LinkLine:
    """One link as a reader sees it under a claim: "Repeats ctf-0302", "Contradicted by ctf-0100"."""

    phrase: str
    """"Repeats", "Contradicted by"... (kb.provenance.links.OUTGOING / INCOMING)."""
    id: str
    """The other claim."""
    note: str
    here: bool
    """The other claim is in this export: its id links to it (``#ctf-0302``)."""


def link_lines(job: ExportJob, claim: Claim) -> list[LinkLine]:
    """The claim's links, its own first, then those other claims of the base hold to it."""
    return graph_link_lines(job.graph, claim.id, job.exported_ids)


def graph_link_lines(graph: Any, claim_id: str, exported_ids: set[str] | frozenset[str]) -> list[LinkLine]:
    """:func:`link_lines` from a ``LinkGraph`` and the ids of the claims exported together."""
    from kb.provenance.links import INCOMING, OUTGOING

    lines = [LinkLine(OUTGOING[e.rel], e.target, e.note, e.target in exported_ids)
             for e in graph.outgoing(claim_id)]
    lines += [LinkLine(INCOMING[e.rel], e.source, e.note, e.source in exported_ids)
              for e in graph.incoming(claim_id) if e.source != claim_id]
    return lines


def anchored(job: ExportJob, claim: Claim, lines: list[LinkLine]) -> bool:
    """Whether the claim needs an anchor: another claim of the export links to it, or it to one."""
    return claim.id in job.exported_ids and any(line.here for line in lines)


def claim_text(job: ExportJob, claim: Claim) -> str:
    """What a claim exports as: its statement, or with --quotes its verbatim quote."""
    return quoted(claim) if job.quotes else claim.statement


def json_text(value: object, what: str, *, indent: int | None = None) -> str:
    """JSON that every reader accepts: NaN and Infinity are never written (BadInput naming ``what``)."""
    import json

    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent)
    except ValueError:
        raise BadInput(f"{what} holds a number that is not finite (NaN or infinity), which JSON cannot carry",
                       hint="fix the value in the claim file ('kb verify' shows where)") from None

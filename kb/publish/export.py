"""Exporting claims: choosing them, running a format's exporter, writing the files.

The formats themselves live in ``kb/publish/exporters/`` (one module each, found by name);
this module owns what every format shares: the selection (a search query,
``--id``s or everything, optionally only reviewed claims), the job handed to an
exporter, and writing its output atomically, companions included.
"""

from __future__ import annotations

from pathlib import Path

from kb.errors import BadInput, KbError, NothingFound
from kb.model.schema import Claim
from kb.model.statuses import check_status
from kb.publish.exporters import ExportJob, ExportResult
from kb.store.fileio import atomic_write_text
from kb.store.loader import KnowledgeBase


def _search_ids(kb: KnowledgeBase, query: str) -> list[str]:
    """Claim ids matching ``query`` in rank order (Whoosh is imported only when asked)."""
    from kb.search.searcher import search_ids

    return search_ids(kb.root, query, index_dir=kb.index_dir)


def select_claims(kb: KnowledgeBase, query: str | None = None, ids: list[str] | tuple[str, ...] = (),
                  status: str | None = None) -> list[Claim]:
    """The claims to export: a search query (rank order), the given ids (in order) or all (file order).

    ``status`` keeps only claims whose review status (``Claim.status``) is that one.
    NothingFound when nothing is left.
    """
    if status is not None:
        check_status(status)
    if query is not None and ids:
        raise BadInput("give a search query or --id, not both", hint="e.g. kb export --id tst-0001 --format csv")
    if query is not None and not query.strip():
        raise BadInput("the search query is empty", hint="give words to search for, or leave the query out")
    if ids:
        claims = [kb.claim(claim_id) for claim_id in dict.fromkeys(ids)]
        what = "the claims given"
    elif query is not None:
        claims = [kb.claims[i] for i in dict.fromkeys(_search_ids(kb, query)) if i in kb.claims]
        what = f"the query '{query}'"
    else:
        claims = list(kb.claims.values())
        what = f"the knowledge base {kb.root}"
    if not claims:
        raise NothingFound(f"no claims match {what}", hint="try other words, or 'kb stats' to see what the base holds")
    if status is not None:
        claims = [c for c in claims if c.status == status]
        if not claims:
            raise NothingFound(f"none of the claims from {what} has review status '{status}'",
                               hint="drop --status, or review claims with 'kb review'")
    return claims


def write_export(result: ExportResult, output: Path) -> list[Path]:
    """Write the output and its companions atomically; on failure remove the ones this call created."""
    created: list[Path] = []
    written: list[Path] = []
    try:
        for path, text in [*result.companions.items(), (output, result.text)]:
            existed = path.exists()
            atomic_write_text(path, text)
            written.append(path)
            if not existed:
                created.append(path)
    except KbError:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return written


def export(kb: KnowledgeBase, claims: list[Claim], fmt: str, *, style: str, output: Path | None = None) -> ExportResult:
    """Run the exporter named ``fmt`` over ``claims``; BadInput for an unknown format."""
    from kb.publish.exporters import get_exporter

    exporter = get_exporter(fmt)
    if output is not None and output.is_dir():
        raise BadInput(f"the output {output} is a directory", hint="give a file name, e.g. -o facts.md")
    return exporter(ExportJob(kb=kb, claims=claims, style=style, output=output))

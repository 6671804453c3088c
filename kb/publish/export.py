"""Exporting claims: choosing them, running a format's exporter, writing the files.

The formats themselves live in ``kb/publish/exporters/`` (one module each, found by name);
this module owns what every format shares: the selection (a search query,
``--id``s or everything, optionally only reviewed claims; its order and limit),
the job handed to an exporter, and writing its output (``write_output``: a symlink
written through, a FIFO or device written into, ``-`` for stdout) and companions.
"""

from __future__ import annotations

import re
from pathlib import Path

from kb.errors import BadInput, KbError, NothingFound
from kb.model.schema import Claim
from kb.model.statuses import check_status
from kb.publish.exporters import ExportJob, ExportResult
from kb.store.fileio import atomic_write_text, is_stdout, write_output
from kb.store.loader import KnowledgeBase


ORDERS = ("rank", "document", "id")


def has_free_words(query: str) -> bool:
    """True when the query has words to rank by, beyond field:value filters and phrases' quotes."""
    free = re.sub(r"\S+:\S+", " ", query)
    return bool(re.search(r"\w", free))


def split_ids(ids: list[str] | tuple[str, ...]) -> list[str]:
    """``--id a,b --id c`` -> [a, b, c], blanks dropped, first occurrence kept."""
    out = [part.strip() for value in ids for part in str(value).split(",")]
    return list(dict.fromkeys(p for p in out if p))


def _search_ids(kb: KnowledgeBase, query: str) -> list[str]:
    """Claim ids matching ``query`` in rank order (Whoosh is imported only when asked)."""
    from kb.search.searcher import search_ids

    return search_ids(kb.root, query, index_dir=kb.index_dir)


def anchor_offset(kb: KnowledgeBase, claim: Claim) -> int | None:
    """Where the claim's quote starts in its document (None when the document or quote is not found)."""
    document = kb.document(claim.document)
    if document is None:
        return None
    anchors = document.anchor_fragments(claim.fragments)
    return anchors[0].start if anchors and anchors[0] is not None else None


def in_document_order(kb: KnowledgeBase, claims: list[Claim]) -> list[Claim]:
    """Claims as their quotes appear in their documents (file order where a quote is not found)."""
    position = {claim_id: i for i, claim_id in enumerate(kb.claims)}

    def key(claim: Claim) -> tuple[str, int, int]:
        offset = anchor_offset(kb, claim)
        return (claim.document, offset if offset is not None else 1 << 60, position.get(claim.id, 0))

    return sorted(claims, key=key)


def select_claims(kb: KnowledgeBase, query: str | None = None, ids: list[str] | tuple[str, ...] = (),
                  status: str | None = None, *, order: str | None = None, limit: int | None = None) -> list[Claim]:
    """The claims to export: a search query, the given ids or all, optionally only one review status.

    ``order``: ``rank`` (a query's best first; the default for a query with free
    words), ``document`` (as the quotes appear in the document; the default for
    filters only and for everything) or ``id``; the ids given keep their order unless
    ``order`` says otherwise. ``limit`` keeps the first N. NothingFound when nothing is left.
    """
    if status is not None:
        check_status(status)
    if order is not None:
        order = order.strip().lower()
        if order not in ORDERS:
            raise BadInput(f"unknown --order '{order}'", hint=f"use one of {', '.join(ORDERS)}")
    if limit is not None and limit < 1:
        raise BadInput(f"--limit must be 1 or more, not {limit}", hint="e.g. --limit 20")
    ids = split_ids(ids)
    if query is not None and ids:
        raise BadInput("give a search query or --id, not both", hint="e.g. kb export --id tst-0001 --format csv")
    if query is not None and not query.strip():
        raise BadInput("the search query is empty", hint="give words to search for, or leave the query out")
    if ids:
        claims = [kb.claim(claim_id) for claim_id in ids]
        what = "the claims given"
    elif query is not None:
        claims = [kb.claims[i] for i in dict.fromkeys(_search_ids(kb, query)) if i in kb.claims]
        what = f"the query '{query}'"
        if order is None:
            order = "rank" if has_free_words(query) else "document"
    else:
        claims = list(kb.claims.values())
        what = f"the knowledge base {kb.root}"
        order = order or "document"
    if not claims:
        raise NothingFound(f"no claims match {what}", hint="try other words, or 'kb stats' to see what the base holds")
    if status is not None:
        claims = [c for c in claims if c.status == status]
        if not claims:
            raise NothingFound(f"none of the claims from {what} has review status '{status}'",
                               hint="drop --status, or review claims with 'kb review'")
    if order == "document":
        claims = in_document_order(kb, claims)
    elif order == "id":
        claims = sorted(claims, key=lambda c: c.id)
    return claims[:limit] if limit else claims


def write_export(result: ExportResult, output: Path) -> list[Path]:
    """Write the companions (atomically, through symlinks) and then the output as its kind asks
    (kb.store.fileio.write_output: '-' stdout, a FIFO or device written into); on failure
    remove the companions this call created."""
    created: list[Path] = []
    written: list[Path] = []
    try:
        for path, text in result.companions.items():
            existed = path.exists() or path.is_symlink()
            atomic_write_text(path, text)
            written.append(path)
            if not existed:
                created.append(path)
        write_output(output, result.text)
        written.append(output)
    except KbError:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return written


def export(kb: KnowledgeBase, claims: list[Claim], fmt: str, *, style: str, output: Path | None = None,
           credit: str | None = None, title: str = "", quotes: bool = False) -> ExportResult:
    """Run the exporter named ``fmt`` over ``claims``; BadInput for an unknown format or credit."""
    from kb.cite.secondary import check_credit
    from kb.publish.exporters import get_exporter

    exporter = get_exporter(fmt)
    credit = check_credit(credit)
    if output is not None and is_stdout(output):
        output = None
    if output is not None and output.is_dir():
        raise BadInput(f"the output {output} is a directory", hint="give a file name, e.g. -o facts.md")
    return exporter(ExportJob(kb=kb, claims=claims, style=style, output=output, credit=credit, title=title,
                              quotes=quotes))

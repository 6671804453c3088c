"""``kb search`` and ``kb index``.

Kept lean for a fast cold start: no data model, no bibtexparser and no rich
unless the output is a terminal (see README, "Performance").
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Optional

import typer

from kb.cli import app
from kb.cli.common import handles_errors, kb_dir


def _root_and_index(ctx: typer.Context):  # -> tuple[Path, Path]
    from kb.store.locate import index_dir_for, resolve_root

    root = resolve_root(kb_dir(ctx))
    return root, index_dir_for(root)


def _notice(message: str) -> None:
    print(f"kb: {message}", file=sys.stderr)


def _progress():  # -> Callable[[int, int], None] | None
    """A rich progress bar on stderr for long builds, on a terminal only."""
    if not sys.stderr.isatty():
        return None
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            if total < 5:  # a few files build in moments: no bar
                state["bar"] = None
            else:
                from rich.progress import Progress

                bar = Progress(transient=True, console=_stderr_console())
                bar.start()
                state["bar"], state["task"] = bar, bar.add_task("Indexing claim files", total=total)
        bar = state["bar"]
        if bar is not None:
            bar.update(state["task"], completed=done)
            if done >= total:
                bar.stop()

    return update


def _stderr_console():
    from kb.cli.common import console

    return console(stderr=True)


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _render_plain(outcome: Any, query: str, explain: bool = False) -> None:
    from kb.cli.common import terminal_safe

    def write(text: str) -> None:  # every string from the base is data: control characters escaped
        sys.stdout.write(terminal_safe(text))

    for hit in outcome.hits:
        write(f"{hit.id}  [{hit.kind}]  {hit.credit}\n  {hit.statement}\n")
        if explain:
            write(_explanation(hit))
        write("\n")
    _summary(outcome, query, write)


def _explanation(hit: Any) -> str:
    """Why a hit ranks where it does: matched words, expansions, each booster's share."""
    lines = [f"  score {hit.score:.2f} = engine {hit.engine_score:.2f}"
             + "".join(f" {'+' if d >= 0 else '-'} {abs(d):.2f} ({why})" for why, d in hit.boosts),
             f"  matched: {', '.join(hit.matched) or '(filters only)'}"]
    if hit.expansions:
        lines.append(f"  via: {'; '.join(hit.expansions)}")
    return "".join(f"{line}\n" for line in lines)


def _summary(outcome: Any, query: str, write: Any) -> None:
    from kb.search.query import shorten

    shown = len(outcome.hits)
    more = f" (showing {shown}; --limit to see more)" if outcome.total > shown else ""
    about = "at least " if getattr(outcome, "lower_bound", False) else "" if outcome.exact else "about "
    write(f"{about}{outcome.total} claim(s) match '{shorten(query)}'{more}\n")
    for name, counts in outcome.facets.items():
        write(f"\nBy {name}\n")
        width = max((len(k) for k in counts), default=0)
        for value, count in counts.items():
            write(f"  {value:<{width}}  {count:>5}\n")


def _render_rich(outcome: Any, query: str, explain: bool = False) -> None:
    from rich.text import Text

    from kb.cli.common import console

    out = console()
    for hit in outcome.hits:
        head = Text()
        head.append(hit.id, style="bold cyan")
        head.append(f"  [{hit.kind}]  ", style="dim")
        head.append(hit.credit, style="green")
        out.print(head)
        body = Text("  " + hit.statement)
        for start, end in hit.highlights:
            body.stylize("bold yellow", start + 2, end + 2)
        out.print(body)
        if explain:
            out.print(Text(_explanation(hit), style="dim"), end="")
        out.print()
    _summary(outcome, query, lambda s: out.print(s, end=""))


@app.command()
@handles_errors
def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., metavar="QUERY", help="Words and field filters (see README, 'Searching')."),
    limit: int = typer.Option(10, "--limit", "-n", min=1, help="How many hits to show."),
    facet: Optional[list[str]] = typer.Option(
        None, "--facet", help="Count all hits by kind, place, topic, source, status or year (repeatable)."),
    status: Optional[str] = typer.Option(
        None, "--status", help="Only claims with this review status (unreviewed, verified, disputed, "
        "needs-work, stale)."),
    as_json: bool = typer.Option(False, "--json", help="Print an object: query, total, exact, facets, "
                                 "suggestion and the hits (with highlights)."),
    explain: bool = typer.Option(False, "--explain", help="Show why each hit ranks where it does: the "
                                 "matched words, expansions (acronyms) and each ranking boost."),
) -> None:
    """Find claims: ranked, matched words highlighted, with their sources.

    Free words are stemmed and searched in statements, quotes, sections and cited
    works; they rank. Filters kind: place: topic: source: year: period: status:
    value: restrict: with a filter, every claim it allows is listed, ranked by the
    words. Phrases "...", wildcards exp*, fuzzy terms word~, AND/OR/NOT and ranges
    value:>=1000, year:[2009 TO 2011] or year:2009..2011 work. Exit 1 when nothing
    matches; exit 2 for a query that cannot be parsed or names an unknown value.

    Example: kb search "going missing" place:england --limit 5
    """
    from kb.errors import NothingFound
    from kb.search.query import shorten
    from kb.search.searcher import run_search

    root, index_dir = _root_and_index(ctx)
    outcome = run_search(root, query, limit=limit, status=status, facets=tuple(facet or ()),
                         index_dir=index_dir, notice=_notice, progress=_progress())
    for term in outcome.capped:
        _notice(f"the term {term} matches too many words to search them all; the count is a lower "
                f"bound (narrow the term)")
    if outcome.total and outcome.unmatched:
        named = ", ".join(repr(w) for w in outcome.unmatched[:10])
        more = f" and {len(outcome.unmatched) - 10} more" if len(outcome.unmatched) > 10 else ""
        _notice(f"no claim holds {shorten(named, 200)}{more}: searched the other words")
    if outcome.total and outcome.suggestion:
        _notice(f"did you mean: {outcome.suggestion}?")
    if as_json:
        hits = [{**h.to_json(), **({"explain": h.explain()} if explain else {})} for h in outcome.hits]
        data = {"query": query, "total": outcome.total, "exact": outcome.exact, "facets": outcome.facets,
                "suggestion": outcome.suggestion, "unmatched": outcome.unmatched, "capped": outcome.capped,
                "hits": hits}
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    if not outcome.total:
        hint = f"did you mean: {outcome.suggestion}" if outcome.suggestion else \
            "try fewer or other words, or 'kb search --help' for the query syntax"
        raise NothingFound(f"no claims match '{shorten(query)}' in {root}", hint=hint)
    if not as_json:
        (_render_rich if _color() else _render_plain)(outcome, query, explain)


@app.command()
@handles_errors
def index(
    ctx: typer.Context,
    rebuild: bool = typer.Option(False, "--rebuild", help="Start over instead of updating what changed."),
    engine: Optional[str] = typer.Option(
        None, "--engine", metavar="E", help="Choose the search engine (whoosh or tantivy): written to the "
        "base's kb.yaml, then the index is built."),
) -> None:
    """Bring the search index up to date (searches do this too), or rebuild it.

    Only changed claim files are read and only changed claims re-indexed.

    Example: kb index --rebuild
    """
    from kb.search.engines import open_engine
    from kb.store.config import write_engine

    root, index_dir = _root_and_index(ctx)
    if engine is not None and write_engine(root, engine):
        _notice(f"search engine set to {engine} in {root / 'kb.yaml'}")
    eng = open_engine(root, index_dir, notice=_notice, progress=_progress())
    report = eng.build(rebuild=rebuild)
    if report.rebuilt:
        what = f"built from {report.files_parsed} claim file(s)"
    else:
        what = (f"{report.indexed} claim(s) re-indexed, {report.removed} removed, "
                f"{report.files_parsed} file(s) read")
    print(f"Index {eng.index_dir}: {report.claims} claims; {what} in {report.seconds:.2f} s (engine: {eng.name})")

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


def _render_plain(outcome: Any, query: str) -> None:
    write = sys.stdout.write
    for hit in outcome.hits:
        write(f"{hit.id}  [{hit.kind}]  {hit.credit}\n  {hit.statement}\n\n")
    _summary(outcome, query, write)


def _summary(outcome: Any, query: str, write: Any) -> None:
    shown = len(outcome.hits)
    more = f" (showing {shown}; --limit to see more)" if outcome.total > shown else ""
    about = "at least " if getattr(outcome, "lower_bound", False) else "" if outcome.exact else "about "
    write(f"{about}{outcome.total} claim(s) match '{query}'{more}\n")
    for name, counts in outcome.facets.items():
        write(f"\nBy {name}\n")
        width = max((len(k) for k in counts), default=0)
        for value, count in counts.items():
            write(f"  {value:<{width}}  {count:>5}\n")


def _render_rich(outcome: Any, query: str) -> None:
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
    as_json: bool = typer.Option(False, "--json", help="Print the hits as a JSON array."),
) -> None:
    """Find claims: ranked, matched words highlighted, with their sources.

    Free words are stemmed and searched in statements, quotes, sections and cited
    works; filters kind: place: topic: source: year: period: status: value: are
    required; phrases "...", wildcards exp*, fuzzy terms word~, AND/OR/NOT and
    ranges value:>=1000 or year:[2009 TO 2011] work. Exit 1 when nothing matches.

    Example: kb search "going missing" place:england --limit 5
    """
    from kb.errors import NothingFound
    from kb.search.searcher import run_search

    root, index_dir = _root_and_index(ctx)
    outcome = run_search(root, query, limit=limit, status=status, facets=tuple(facet or ()),
                         index_dir=index_dir, notice=_notice, progress=_progress())
    for term in outcome.capped:
        _notice(f"the term {term} matches too many words to search them all; the count is a lower "
                f"bound (narrow the term)")
    if as_json:
        sys.stdout.write(json.dumps([h.to_json() for h in outcome.hits], ensure_ascii=False, indent=2) + "\n")
    if not outcome.total:
        hint = f"did you mean: {outcome.suggestion}" if outcome.suggestion else \
            "try fewer or other words, or 'kb search --help' for the query syntax"
        raise NothingFound(f"no claims match '{query}' in {root}", hint=hint)
    if not as_json:
        (_render_rich if _color() else _render_plain)(outcome, query)


@app.command()
@handles_errors
def index(
    ctx: typer.Context,
    rebuild: bool = typer.Option(False, "--rebuild", help="Start over instead of updating what changed."),
) -> None:
    """Bring the search index up to date (searches do this too), or rebuild it.

    Only changed claim files are read and only changed claims re-indexed.

    Example: kb index --rebuild
    """
    from kb.search.index import index_command

    root, index_dir = _root_and_index(ctx)
    report = index_command(root, index_dir, rebuild_all=rebuild, notice=_notice, progress=_progress())
    if report.rebuilt:
        what = f"built from {report.files_parsed} claim file(s)"
    else:
        what = (f"{report.indexed} claim(s) re-indexed, {report.removed} removed, "
                f"{report.files_parsed} file(s) read")
    print(f"Index {index_dir}: {report.claims} claims; {what} in {report.seconds:.2f} s")

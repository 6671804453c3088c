"""Commands ``export`` (claims with formatted citations, or the works they cite) and ``styles``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from kb.cli import app
from kb.cli.common import console, handles_errors, load


@app.command()
@handles_errors
def export(
    ctx: typer.Context,
    query: Optional[str] = typer.Argument(None, metavar="[QUERY]",
                                          help="Search query selecting the claims (default: all claims)."),
    fmt: str = typer.Option(..., "--format", "-f", metavar="F",
                            help="json, jsonl, csv, markdown, pandoc, html, bibtex, csl-json or ris."),
    style: str = typer.Option("harvard-cite-them-right", "--style", "-s", metavar="S",
                              help="CSL style name (see 'kb styles') or path to a .csl file."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE",
                                          help="Write to FILE (atomically) instead of stdout."),
    ids: Optional[list[str]] = typer.Option(None, "--id", metavar="ID", help="Export this claim (repeatable)."),
    status: Optional[str] = typer.Option(None, "--status", metavar="STATUS",
                                         help="Only claims with this review status, e.g. verified."),
) -> None:
    """Export claims with their citations, or the works they cite.

    markdown, html: statements with citations and a reference list in the style.
    pandoc: Markdown with [@key] citations; with -o facts.md, the bibliography
    (facts.references.json) and style (facts.csl) are written beside it, ready for
    'pandoc --citeproc facts.md -o facts.docx'. bibtex, csl-json, ris: the works
    cited and the documents the claims come from. json, jsonl, csv: the claims.

    Example: kb export 'topic:prosecution' --format markdown --style apa -o facts.md
    """
    from kb.publish.export import export as run_export
    from kb.publish.export import select_claims, write_export

    kb = load(ctx)
    claims = select_claims(kb, query, ids or (), status)
    result = run_export(kb, claims, fmt, style=style, output=output)
    if output is None:
        sys.stdout.write(result.text)
        return
    written = write_export(result, output)
    out = console(stderr=True)
    out.print(f"Exported {len(claims)} claim(s) as {fmt} to {', '.join(str(p) for p in reversed(written))}")


@app.command()
@handles_errors
def styles(text: str = typer.Argument("", metavar="[TEXT]",
                                       help="Part of a style's name or title, e.g. harvard.")) -> None:
    """List the citation styles whose name or title contains TEXT (all names without TEXT).

    Example: kb styles vancouver
    """
    from kb.cite.citations import find_styles
    from kb.errors import NothingFound

    found = find_styles(text)
    if not found:
        raise NothingFound(f"no citation style matches '{text}'", hint="try a shorter word, e.g. 'harvard'")
    out = console()
    width = max(len(name) for name, _ in found)
    for name, title in found:
        out.print(f"{name:<{width}}  {title}".rstrip())

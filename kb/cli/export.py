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
                            help="json, jsonl, csv, markdown, pandoc, html, docx, odt, bibtex, biblatex, "
                                 "csl-json or ris (any case)."),
    style: str = typer.Option("harvard-cite-them-right", "--style", "-s", metavar="S",
                              help="CSL style name (any case; see 'kb styles') or path to a .csl file."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE",
                                          help="Write to FILE ('-' for stdout). A symlink is written through, "
                                               "a pipe or device written into, a read-only file refused."),
    ids: Optional[list[str]] = typer.Option(None, "--id", metavar="ID",
                                            help="Export this claim (repeatable, or comma-separated)."),
    status: Optional[str] = typer.Option(None, "--status", metavar="STATUS",
                                         help="Only claims with this review status, e.g. verified."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", metavar="N", help="At most N claims."),
    order: Optional[str] = typer.Option(None, "--order", metavar="ORDER",
                                        help="rank (default for a query with free words), document (default "
                                             "otherwise: as the quotes appear) or id."),
    credit: Optional[str] = typer.Option(None, "--credit", metavar="WHICH",
                                         help="For a work cited in the document: list both works, only the "
                                              "document read, or only the cited work (default: the style's rule)."),
    title: Optional[str] = typer.Option(None, "--title", metavar="TEXT",
                                        help="Title of the pandoc, HTML, docx or odt document (default: from "
                                             "the query)."),
    quotes: bool = typer.Option(False, "--quotes", help="Each claim as its verbatim quote (a block quote) with "
                                "its citation and page, instead of its statement."),
) -> None:
    """Export claims with their citations, or the works they cite.

    markdown, html: statements (or with --quotes the verbatim quotes) with citations
    and a reference list in the style. pandoc: Markdown with [@key] citations; with
    -o facts.md the bibliography (facts.references.json) and style (facts.csl) are
    written beside it, ready for 'pandoc --citeproc facts.md -o facts.docx'. docx,
    odt: a Word or OpenDocument file made by pandoc (needs -o). bibtex (classic, for
    bibtex and pybtex), biblatex (for biber and pandoc), csl-json, ris: the works
    cited and the documents the claims come from. json, jsonl, csv: the claims.

    A work the document cites is credited as the style says ("as cited in" for APA,
    "quoted in" for Chicago); --credit both|read|cited overrides which works are listed.

    Example: kb export 'topic:prosecution' --format docx --style apa -o facts.docx
    """
    from kb.errors import BadInput
    from kb.publish.export import export as run_export
    from kb.publish.export import select_claims, write_export
    from kb.publish.exporters import BINARY, normal_format

    kb = load(ctx)
    fmt = normal_format(fmt)
    if fmt in BINARY and (output is None or str(output) == "-") and sys.stdout.isatty():
        raise BadInput(f"a {fmt} file cannot be shown on the terminal", hint=f"write it to a file, e.g. -o facts.{fmt}")
    claims = select_claims(kb, query, ids or (), status, order=order, limit=limit)
    default_title = f"Claims: {query}" if query else "Claims and references"
    result = run_export(kb, claims, fmt, style=style, output=output, credit=credit,
                        title=title if title is not None else default_title, quotes=quotes)
    if output is None:
        data = result.text
        if isinstance(data, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        return
    written = write_export(result, output)
    out = console(stderr=True)
    count = f"{len(claims)} claim{'s' if len(claims) != 1 else ''}"
    if result.works is not None:
        works = f"{result.works} work{'s' if result.works != 1 else ''}"
        what = f"{works} for {count}" if fmt in WORK_FORMATS else f"{count} ({works} in the references)"
    else:
        what = count
    target = "stdout" if str(output) == "-" else ", ".join(str(p) for p in reversed(written))
    out.print(f"Exported {what} as {fmt} to {target}", markup=False, highlight=False)


WORK_FORMATS = {"bibtex", "biblatex", "csl-json", "ris"}


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

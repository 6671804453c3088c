"""Intake commands: ``ingest`` (a report becomes a document of the base) and ``quote`` (where a passage is)."""

from __future__ import annotations

from pathlib import Path

import typer

from kb.cli import app
from kb.cli.common import console, handles_errors, kb_dir, print_json


@app.command()
@handles_errors
def ingest(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE", help="The report: .pdf, .docx, .odt, .html, .epub, .md or .txt."),
    key: str = typer.Option(..., "--key", help="BibTeX key of the document, e.g. smith2020report."),
    title: str = typer.Option("", "--title", help="Title (default: from the file's metadata)."),
    author: list[str] = typer.Option([], "--author", help="An author, repeatable: 'Family, Given' for a "
                                     "person, a name without a comma for an organisation."),
    year: str = typer.Option("", "--year", help="Year of publication (default: from the file's metadata)."),
    entry_type: str = typer.Option("report", "--type", help="BibLaTeX entry type."),
    publisher: str = typer.Option("", "--publisher", help="Institution or publisher."),
    url: str = typer.Option("", "--url", help="Where the report is published."),
) -> None:
    """Take in a report: its text, a manifest with its page map, a bibliography entry and an empty claims file.

    Example: kb ingest report.pdf --key smith2020report --author "Smith, Jane" --year 2020
    """
    from kb.ingest import Metadata
    from kb.ingest import ingest as run_ingest
    from kb.store.locate import resolve_root

    root = resolve_root(kb_dir(ctx))
    meta = Metadata(title=title, authors=list(author), year=year, type=entry_type, publisher=publisher, url=url)
    result = run_ingest(root, file, key, meta)
    out = console()
    out.print(f"Ingested {file.name} as '{key}': {len(result.manifest.pages) or 'no'} page(s) mapped, "
              f"{result.footnotes} footnote(s), extractor {result.manifest.extractor}")
    for path in result.files:
        out.print(f"  wrote {path.relative_to(root)}")
    out.print(f"Next: kb quote \"...\" --doc {key} to find a passage, then kb claim add --doc {key} --quote \"...\" "
              "--statement \"...\" --kind finding")


@app.command()
@handles_errors
def quote(
    ctx: typer.Context,
    passage: str = typer.Argument(..., metavar="TEXT", help="The passage to find, as copied from the report."),
    doc: str | None = typer.Option(None, "--doc", help="Look only in this document (its key)."),
    as_json: bool = typer.Option(False, "--json", help="Print the matches as JSON."),
) -> None:
    """Where a passage occurs: document, line, page, section, the exact text and the footnotes at it.

    Example: kb quote "worked directly with 1,190 young people"
    """
    from kb.provenance.quote import find_passage
    from kb.store.loader import load_kb

    matches = find_passage(load_kb(kb_dir(ctx)), passage, doc)
    if as_json:
        print_json([m.to_dict() for m in matches])
        return
    out = console()
    for i, m in enumerate(matches):
        if i:
            out.print()
        place = [f"{m.document}.txt line {m.line}"]
        if m.page:
            place.append(f"page {m.page}")
        if m.section:
            place.append(f"section “{m.section}”")
        out.print(", ".join(place), style="bold")
        out.print(f"  “{' '.join(m.exact.split())}”")
        for number, text in m.footnotes:
            out.print(f"  footnote {number}: {text}")

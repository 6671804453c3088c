"""Commands over the whole base: ``stats``, ``sources``, ``show``, ``init``."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import typer

from kb.cli import app
from kb.cli.common import console, handles_errors, load, print_json


def _counts_block(out, title: str, counter: Counter) -> None:
    out.print(f"\n{title}", style="bold")
    width = max(len(name) for name in counter)
    for name, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
        out.print(f"  {name:<{width}}  {count:>5}")


@app.command()
@handles_errors
def stats(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Figures for the knowledge base: claims by kind, place, topic, cited source and review status.

    Example: kb stats
    """
    from kb.publish.stats import compute_stats

    kb = load(ctx)
    for problem in kb.problems:  # files left unread are counted nowhere: say so
        if problem.check == "claim-file-ignored":
            print(f"Notice: {problem}", file=sys.stderr)
    figures = compute_stats(kb)
    if as_json:
        print_json(figures)
        return
    out = console()
    out.print(f"Knowledge base: {kb.root}")
    out.print(f"Claims: {figures['claims']}   Sources: {figures['sources']}   "
              f"Documents: {figures['documents']}   Claim files: {figures['claim_files']}")
    for title, name in [("By kind", "kinds"), ("By place", "places"), ("By topic", "topics"),
                        ("By cited source", "cited_sources"), ("By review status", "statuses")]:
        if figures[name]:
            _counts_block(out, title, Counter(figures[name]))


def _reference_line(row: dict) -> str:
    """'Jago et al. (2011) Title'; a work without author (an Act) is named once, with its year
    only when the title does not already carry it: 'Sexual Offences Act 2003'."""
    title, year = row["title"], row.get("year")
    if row["author"]:
        return f"{row['label']} {title}"
    if year and str(year) in title:
        return title
    return f"{title} ({year if year else 'n.d.'})"


@app.command()
@handles_errors
def sources(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The bibliography, with how many claims cite each work (or come from it).

    Example: kb sources
    """
    from kb.provenance.records import source_record

    kb = load(ctx)
    rows = []
    for key, source in sorted(kb.sources.items()):
        record = source_record(source)
        record["cited_by"] = len(kb.citing(key))
        record["claims_from"] = len(kb.from_document(key))
        rows.append(record)
    if as_json:
        print_json(rows)
        return
    out = console()
    for row in rows:
        use = f"{row['cited_by']} claim(s) cite it"
        if row["claims_from"]:
            use = f"document of {row['claims_from']} claim(s)" + (f"; {use}" if row["cited_by"] else "")
        out.print(row["key"], style="bold", end="")
        out.print(f"  [{row['type']}{': ' + row['genre'] if row['genre'] else ''}]  {use}")
        out.print(f"  {_reference_line(row)}", markup=False, highlight=False)


@app.command()
@handles_errors
def show(
    ctx: typer.Context,
    claim_id: str = typer.Argument(..., metavar="ID", help="Claim id, e.g. ctf-0007."),
    as_json: bool = typer.Option(False, "--json", help="Print the full record as JSON."),
    context: bool = typer.Option(False, "--context", help="Also show the quote highlighted in its paragraph "
                                 "of the document, the cited footnotes' text and the cited works as references."),
) -> None:
    """The whole record of one claim: statement, quote, section, cited works, review.

    With --context, the quote is marked in its paragraph: bold and underlined on a
    terminal, »between guillemets« on a pipe.

    Example: kb show ctf-0007 --context
    """
    from kb.provenance.records import claim_record

    kb = load(ctx)
    claim = kb.claim(claim_id)
    record = claim_record(kb, claim)
    found = None
    if context:
        from kb.provenance.context import claim_context

        found = claim_context(kb, claim)
        record["context"] = found.to_dict()
    if as_json:
        print_json(record)
        return
    from kb.provenance.links import link_lines

    render_claim(record, links=link_lines(kb, claim))
    if found is not None:
        from kb.cli.verify import render_context

        render_context(found)


def render_claim(record: dict, links: list[tuple[str, str, str | None]] = ()) -> None:
    """Print a claim record for a person; ``links`` as ``kb.provenance.links.link_lines`` gives them."""
    out = console()
    out.print(f"{record['id']}", style="bold cyan", end="")
    out.print(f"  {record['kind']}  [{record['status']}]")
    out.print(record["statement"], style="bold")
    out.print()
    fragments = record["quote"] if isinstance(record["quote"], list) else [record["quote"]]
    quote = " … ".join(" ".join(f.split()) for f in fragments)
    rows: list[tuple[str, str]] = [("Quote", f"“{quote}”"), ("Section", record["section"])]
    for cite in record["cites"]:
        source = cite["source"]
        where = ", ".join(x for x in [f"footnote {cite['footnote']}" if cite.get("footnote") else "",
                                      cite.get("locator") or ""] if x)
        text = f"{source['label']} {source['title']}" if source else f"{cite['key']} (not in the bibliography)"
        rows.append(("Cites", f"{text}" + (f" [{where}]" if where else "")))
    if record.get("document_source"):
        doc = record["document_source"]
        rows.append(("Found in", f"{doc['label']} {doc['title']}"))
    for q in record["quantities"]:
        extra = ", ".join(x for x in (q.get("period"), q.get("place")) if x)
        value = q["value"]
        value = int(value) if isinstance(value, float) and value.is_integer() else value
        qualifier = f"{q['qualifier']} " if q.get("qualifier") else ""
        rows.append(("Quantity", f"{qualifier}{value:,} {q['unit']}" + (f" ({extra})" if extra else "")))
    if record["places"]:
        rows.append(("Places", ", ".join(record["places"])))
    if record["period"]:
        rows.append(("Period", record["period"]))
    if record["topics"]:
        rows.append(("Topics", ", ".join(record["topics"])))
    review = record.get("review")
    if review:
        text = f"{review['status']}" + (f" by {review['by']}" if review.get("by") else "") + \
            (f" on {review['on']}" if review.get("on") else "")
        if record["status"] == "stale":
            text += " — STALE: the claim changed after this review"
        if review.get("note"):
            text += f" — {review['note']}"
        rows.append(("Review", text))
    for phrase, other, statement in links:
        rows.append(("Link", f"{phrase} {other}" + (f": {statement}" if statement else " (not in the base)")))
    rows.append(("Fingerprint", record["fingerprint"]))
    if record.get("file"):
        rows.append(("File", f"{record['file']}:{record['line']}" if record.get("line") else record["file"]))
    for label, value in rows:
        out.print(f"{label + ':':<13}", style="dim", end="")
        out.print(f"{value}")


@app.command()
@handles_errors
def init(
    directory: Path = typer.Argument(..., metavar="DIR", help="Where to create the knowledge base."),
) -> None:
    """Create an empty knowledge base (layout, bibliography, a commented example claim and vocabulary).

    Example: kb init ~/kb/my-reports && kb --kb ~/kb/my-reports stats
    """
    from kb.store.scaffold import create_knowledge_base

    created = create_knowledge_base(directory)
    out = console()
    out.print(f"Created an empty knowledge base in {directory}:")
    for path in created:
        out.print(f"  {path}")
    out.print("Next steps:")
    for step in (f"export KB_DIR={directory}",
                 "kb ingest report.pdf --key smith2020report --title \"...\" --author \"Smith, Jane\" --year 2020",
                 "kb quote \"a passage of the report\" --doc smith2020report",
                 "kb claim add --doc smith2020report --quote \"...\" --statement \"...\" --kind finding",
                 "kb verify"):
        out.print(f"  {step}")

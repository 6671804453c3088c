"""Commands for reviewers: ``verify`` (every provenance check) and ``review`` (record a verdict)."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from kb.cli import app
from kb.cli.common import (
    console,
    handles_errors,
    kb_dir,
    load,
    print_json,
    terminal_safe,
)


@app.command()
@handles_errors
def verify(
    ctx: typer.Context,
    targets: Optional[list[str]] = typer.Argument(
        None, metavar="[ID|FILE]...", help="Check just these claims or claims files (the base-wide checks "
        "still run): claim ids, or claims files as paths or names in claims/."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings and summary as JSON."),
    uncovered: bool = typer.Option(False, "--uncovered",
                                   help="List only the document numbers no claim or exclusion covers."),
) -> None:
    """Check the provenance of every claim and source; exit 0 when clean, 1 on any failure, 2 when unreadable.

    Checks: quotes are in their document (fragments in order, at least three words); cited
    keys exist; cited footnotes exist, name the cited work and sit at the quote (or are
    marked elsewhere); footnote markers in a quote are cited or waived; the statement's
    numbers, places and negations are in the quote; each quantity's value, qualifier,
    period and place; sections are headings of the document; ids are unique; vocabularies;
    source fields by type; every source is used; reviews carry a fingerprint and are not
    stale (disputed and needs-work reviews are listed as warnings); markup in fields
    (warning); every number in a document is quoted by a claim or listed in
    sources/documents/<key>.exclusions.yaml, and every footnote is cited, waived or quoted
    (errors for a document whose manifest says complete: true, warnings otherwise); a
    document's text still matches the text_sha256 of its manifest.

    Example: kb verify --json | jq '.summary'    or    kb verify ctf-0007 claims/other.yaml
    """
    from kb.provenance.verify import select_claims, uncovered_numbers
    from kb.provenance.verify import verify as run_checks
    from kb.store.loader import load_kb

    kb = load_kb(kb_dir(ctx), strict=False)
    report = run_checks(kb, select_claims(kb, targets) if targets and not kb.fatal_problems else None)
    if report.fatal:
        if as_json:
            print_json(report.to_dict())
        for finding in report.findings:
            where = ":".join(str(x) for x in (finding.shown_file(report.root), finding.line) if x)
            where = ", ".join(x for x in (where, finding.subject) if x)
            hint = f"; {finding.hint}" if finding.hint else ""
            print(terminal_safe(f"Error: {finding.message}, {where}{hint}"), file=sys.stderr)
        raise typer.Exit(2)
    if uncovered:
        numbers = uncovered_numbers(kb)
        if as_json:
            print_json([n.to_dict() | {"file": _shown(kb.root, n.path)} for n in numbers])
        else:
            out = console()
            for n in numbers:
                out.print(f"{_shown(kb.root, n.path)}:{n.line}", style="cyan", end="")
                out.print(f"  {n.text}  {n.context}")
            out.print(f"{len(numbers)} uncovered number(s)", style="bold")
        raise typer.Exit(1 if numbers else 0)
    if as_json:
        print_json(report.to_dict())
    else:
        _render(report)
    raise typer.Exit(report.exit_code)


def _shown(root, path) -> str | None:
    if path is None:
        return None
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _render(report) -> None:
    from kb.provenance.verify import CHECKS

    out = console()
    for check, findings in report.by_check().items():
        severity = findings[0].severity
        out.print(f"{check} ({len(findings)})", style="bold red" if severity == "error" else "bold yellow", end="")
        about = CHECKS.get(check, "")
        out.print(f": {about}" if about else "", style="dim")
        for f in findings:
            where = ":".join(str(x) for x in (f.shown_file(report.root), f.line) if x)
            out.print(f"  {where}", style="cyan", end="")
            out.print(f"  {f.subject}" if f.subject else "", style="bold", end="")
            out.print(f"  {f.message}" + (f"; {f.hint}" if f.hint else ""))
    checked = report.checked
    scope = (f"{checked.get('claims', 0)} claims, {checked.get('sources', 0)} sources, "
             f"{checked.get('documents', 0)} document(s), {checked.get('numbers', 0)} numbers")
    verdict = "FAILED" if report.errors else "OK"
    out.print(f"{verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s) in {scope}",
              style="bold red" if report.errors else "bold green")


@app.command()
@handles_errors
def review(
    ctx: typer.Context,
    claim_id: str = typer.Argument(..., metavar="ID", help="Claim id, e.g. ctf-0007."),
    status: str = typer.Option(..., "--status", "-s", metavar="STATUS",
                               help="verified, disputed or needs-work."),
    by: Optional[str] = typer.Option(None, "--by", metavar="NAME",
                                     help="Reviewer (default: git config user.name, else $USER)."),
    note: str = typer.Option("", "--note", metavar="TEXT", help="Why; expected for disputed and needs-work."),
) -> None:
    """Record a review in the claim's file (status, reviewer, date, the fingerprint reviewed, note).

    Only that claim's lines change; comments and formatting elsewhere are kept. Editing the
    claim later makes the review stale ('kb verify' reports it).

    Example: kb review ctf-0007 --status verified --note "checked against p. 3"
    """
    from kb.provenance.review import record_review

    kb = load(ctx)
    claim = record_review(kb, claim_id, status, by=by, note=note)
    location = _shown(kb.root, kb.locations[claim_id].path)
    recorded = claim.review
    out = console()
    out.print(f"{claim.id}", style="bold cyan", end="")
    if recorded is not None:  # record_review has read it back
        out.print(f"  {recorded.status} by {recorded.by} on {recorded.on} "
                  f"(fingerprint {recorded.fingerprint}) recorded in {location}")


def render_context(found) -> None:
    """Print a claim's context (kb.context.Context) after its record: paragraph, footnotes, references."""
    out = console()
    terminal = out.is_terminal

    def heading(text: str) -> None:
        out.print()
        out.print(text, style="bold")

    lines = list(dict.fromkeys(n for n in found.lines if n is not None))
    where = f"{found.document_file}" + (f", line{'s' if len(lines) > 1 else ''} "
                                        f"{', '.join(map(str, lines))}" if lines else "")
    heading(f"In the document ({where}), section “{found.section}”:")
    for paragraph in found.paragraphs:
        out.print(f"  line {paragraph.line}: ", style="dim", end="")
        if terminal:
            for text, quoted in paragraph.segments:
                out.print(text, style="bold underline yellow" if quoted else None, end="")
            out.print()
        else:
            out.print(paragraph.marked())
    if found.footnotes:
        heading("Footnotes:")
        for note in found.footnotes:
            use = f"cited for {', '.join(note.cited_for)}" if note.cited_for else "marked at the quote, not cited"
            place = f"line {note.line}" + (f", marker line {note.marker_line}" if note.marker_line else "")
            out.print(f"  {note.number}. ", style="bold", end="")
            out.print(f"{note.text}  ", end="")
            out.print(f"({use}; {place})", style="dim")
    if found.references:
        heading("Cited works" + (f" — {found.citation}:" if found.citation else ":"))
        for key, text in found.references:
            out.print(f"  {key}: ", style="cyan", end="")
            out.print(text)
    for problem in found.problems:
        out.print(f"Warning: {problem}", style="bold red")

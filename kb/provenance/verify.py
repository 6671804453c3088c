"""Provenance checks over a whole knowledge base (``kb verify``): returns a report, never prints.

Each claim: its quote is in its document, fragment by fragment and in order; each
cited footnote exists and names the cited work; the numbers of its statement are
in its quote; its review is not stale. Each source: the fields its type needs;
cited by a claim or a document of the base. Each document: every number in it
is captured by a claim's quote or left out deliberately in
``sources/documents/<key>.exclusions.yaml``. The loader's own problems (syntax,
schema, duplicate ids, vocabularies, unknown keys) are part of the report.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import BadInput, Problem
from kb.model.numbers import missing_numbers
from kb.model.schema import Claim
from kb.provenance import assertions
from kb.provenance.footnotes import footnote_names, name_aliases  # noqa: F401 (re-exported)
from kb.provenance.links import CHECKS as LINK_CHECKS
from kb.provenance.links import link_problems
from kb.store.document import Anchor, Document, Footnote, fold_text
from kb.store.loader import KnowledgeBase, item_lines, load_kb, read_yaml
from kb.store.manifest import manifest_path, read_manifest, sha256_file

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

CHECKS: dict[str, str] = {
    "document-missing": "a claim's document has no text in sources/documents/",
    "quote-not-found": "a quote (or one of its fragments) is not in the document",
    "quote-order": "a quote's fragments are in the document, but not in their order",
    "footnote-missing": "a cited footnote is not in the document",
    "footnote-mismatch": "a cited footnote does not name the cited work",
    "statement-number": "the statement states a number its quote does not",
    "quantity-value": "a quantity's value is not written in the quote",
    "quantity-qualifier": "a quantity's qualifier (over, about...) is not what the quote says before it",
    "quantity-qualifier-missing": "the quote qualifies a quantity's number (over, nearly...) but the quantity has "
                                  "no qualifier (warning)",
    "quantity-period": "a quantity's period is neither in the quote nor the claim's period",
    "quantity-place": "a quantity's place is neither in the quote nor among the claim's places",
    "footnote-uncited": "a footnote marker in the quote is neither cited nor waived",
    "cite-not-near": "a cited footnote's marker is far from the quote and the cite is not marked 'elsewhere'",
    "statement-place": "a place the statement names is not in 'places', or not in the quote or its section",
    "statement-negation": "the statement negates, its quote does not",
    "statement-number-swap": "the statement pairs a number with what the quote says of another number",
    "quote-substance": "the quote is too slight (under three words, or only stopwords)",
    "section-unknown": "the claim's section is not a heading of its document",
    "markup": "a field holds HTML, LaTeX commands or control characters (warning)",
    "review-unfingerprinted": "a review recorded no fingerprint, so the claim counts as unreviewed (warning)",
    "review-stale": "the claim changed after its review",
    "review-disputed": "a reviewer disputed the claim (warning)",
    "review-needs-work": "a reviewer asked for work on the claim (warning)",
    "source-fields": "a source lacks a field its type needs",
    "source-unused": "a source is neither cited by a claim nor a document of the base",
    "number-uncovered": "a number in a document is in no claim's quote and no exclusion "
                        "(an error for a document whose manifest says complete: true, else a warning)",
    "footnote-unused": "a footnote of a document is cited, waived or quoted by no claim and in no exclusion "
                       "(an error for a document whose manifest says complete: true, else a warning)",
    "document-changed": "a document's text no longer matches the text_sha256 of its manifest",
    "manifest-invalid": "a document's manifest (sources/documents/<key>.yaml) cannot be read",
    "exclusion-not-found": "an exclusion's text is not in its document",
    "exclusion-invalid": "an exclusion lacks its text or its reason",
    "exclusions-file": "an exclusions file cannot be read (fatal)",
    **LINK_CHECKS,
}
"""Checks made here; the loader adds its own (``yaml-syntax``, ``yaml-read``, ``claim-file-shape``,
``claim-file-ignored``, ``claim-schema``, ``duplicate-id``, ``vocabulary``, ``unknown-source``,
``unknown-document``, ``bibtex-*``)."""

WARNINGS = frozenset({"review-disputed", "review-needs-work", "review-unfingerprinted", "markup",
                      "quantity-qualifier-missing"})

REQUIRED_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "report": (("title",), ("year",), ("authors", "publisher")),
    "legislation": (("title",), ("year",)),
    "dataset": (("title",), ("year",), ("authors", "publisher")),
    "online": (("title",), ("url",)),
    "book": (("title",), ("year",), ("authors", "publisher")),
    "article": (("title",), ("year",), ("authors",)),
    "incollection": (("title",), ("year",), ("authors",)),
    "misc": (("title",), ("authors", "publisher")),
}
"""Per source type, the fields it needs; a tuple of alternatives means any one of them."""
_FIELD_NAMES = {"authors": "author", "publisher": "institution/publisher"}

CONTEXT_BEFORE, CONTEXT_AFTER = 2000, 500
"""The passage around a quote that counts as its context (besides its section), in characters:
extracted text does not keep a section's paragraphs together, so the section alone is not enough."""
EXCLUSIONS_SUFFIX = ".exclusions.yaml"
CONTEXT = 30


@dataclass(frozen=True)
class Finding:
    """One failed check (or a warning) with where it is and what to do."""

    check: str
    file: Path | None
    line: int | None
    subject: str | None
    """The claim id, source key or document key concerned."""
    message: str
    hint: str = ""
    severity: str = "error"
    """``error`` (verification fails) or ``warning`` (listed only)."""

    @classmethod
    def from_problem(cls, problem: Problem) -> Finding:
        return cls(problem.check, problem.path, problem.line, problem.subject, problem.message, problem.hint)

    def shown_file(self, root: Path | None) -> str | None:
        if self.file is None:
            return None
        if root is not None:
            try:
                return str(self.file.relative_to(root))
            except ValueError:
                pass
        return str(self.file)

    def to_dict(self, root: Path | None = None) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "file": self.shown_file(root),
            "line": self.line,
            "subject": self.subject,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class Report:
    """What ``kb verify`` found: findings plus what was checked."""

    root: Path | None
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    """How many claims, sources, documents and numbers were checked."""
    fatal: bool = False
    """The base could not be read; only the problems that prevent it are listed."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.fatal and not self.errors

    @property
    def exit_code(self) -> int:
        return 2 if self.fatal else (1 if self.errors else 0)

    def by_check(self) -> dict[str, list[Finding]]:
        """Findings grouped by check: the loader's first, then in the order of :data:`CHECKS`."""
        groups: dict[str, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.check, []).append(finding)
        order = list(CHECKS)
        return dict(sorted(groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else -1))

    def summary(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "fatal": self.fatal,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "by_check": dict(sorted(Counter(f.check for f in self.findings).items())),
            "checked": self.checked,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "knowledge_base": str(self.root) if self.root else None,
            "findings": [f.to_dict(self.root) for f in self.findings],
            "summary": self.summary(),
        }


# --- exclusions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    text: str
    reason: str
    line: int | None


def exclusions_path(kb: KnowledgeBase, key: str) -> Path:
    return kb.documents_dir / f"{key}{EXCLUSIONS_SUFFIX}"


def load_exclusions(kb: KnowledgeBase, key: str) -> tuple[list[Exclusion], list[Finding]]:
    """The exclusions of document ``key`` (none without a file) and the file's problems.

    The file is a list of ``{text, reason}`` entries, or a mapping whose
    ``exclusions`` key holds that list (with, optionally, ``document: <key>``).
    """
    path = exclusions_path(kb, key)
    if not path.is_file():
        return [], []
    data, problem = read_yaml(path)
    if problem is not None:
        return [], [Finding("exclusions-file", problem.path, problem.line, key, problem.message, problem.hint)]
    entries = data.get("exclusions") if isinstance(data, dict) else data
    if data is None:
        entries = []
    if not isinstance(entries, list):
        return [], [Finding("exclusions-file", path, 1, key,
                            "an exclusions file must be a list of {text, reason} entries, "
                            "or a mapping with such a list under 'exclusions'",
                            "see README, 'Verifying a knowledge base'")]
    lines = item_lines(path, "exclusions")
    exclusions, findings = [], []
    for i, entry in enumerate(entries):
        line = lines[i] if i < len(lines) else None
        text = entry.get("text") if isinstance(entry, dict) else None
        reason = entry.get("reason") if isinstance(entry, dict) else None
        if not isinstance(text, str) or not text.strip() or not isinstance(reason, str) or not reason.strip():
            missing = " and ".join(n for n, v in (("text", text), ("reason", reason))
                                   if not isinstance(v, str) or not v.strip())
            findings.append(Finding("exclusion-invalid", path, line, key, f"exclusion #{i + 1} has no {missing}",
                                    "give each entry a verbatim 'text' snippet and the 'reason' it is left out"))
            continue
        exclusions.append(Exclusion(text, reason, line))
    return exclusions, findings


# --- numbers left out ---------------------------------------------------------------


@dataclass(frozen=True)
class UncoveredNumber:
    """A number of a document that no claim's quote and no exclusion covers."""

    document: str
    path: Path | None
    line: int
    start: int
    end: int
    text: str
    context: str
    """The line around it, one line, the number marked with » «."""

    def to_dict(self) -> dict[str, Any]:
        return {"document": self.document, "file": str(self.path) if self.path else None, "line": self.line,
                "start": self.start, "end": self.end, "text": self.text, "context": self.context}


def _context(document: Document, start: int, end: int) -> str:
    """The number in about 30 characters each side, whole words, marked » «, on one line."""
    before = document.text[max(0, start - CONTEXT):start]
    after = document.text[end:end + CONTEXT]
    if start - CONTEXT > 0 and not document.text[start - CONTEXT - 1].isspace():
        before = before.split(None, 1)[-1] if len(before.split(None, 1)) > 1 else before
    if end + CONTEXT < len(document.text) and not document.text[end + CONTEXT].isspace():
        after = after.rsplit(None, 1)[0] if len(after.rsplit(None, 1)) > 1 else after
    return " ".join(f"{before}»{document.text[start:end]}«{after}".split())


class _Spans:
    """Non-overlapping sorted spans, answering 'is [start, end) inside one of them?'."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def covers(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, start) - 1
        return i >= 0 and end <= self.ends[i]


def _uncovered(key: str, document: Document, claim_spans: list[tuple[int, int]],
               exclusions: list[Exclusion]) -> tuple[list[UncoveredNumber], list[tuple[Exclusion, int]]]:
    """Uncovered numbers of one document, and the exclusions not found in it (with their count of places)."""
    spans = list(claim_spans)
    not_found = []
    for exclusion in exclusions:
        anchors = document.find_all(exclusion.text)
        if not anchors:
            not_found.append((exclusion, 0))
        spans.extend((a.start, a.end) for a in anchors)
    covered = _Spans(spans)
    uncovered = [
        UncoveredNumber(key, document.path, document.line_of(m.start), m.start, m.end, m.text,
                        _context(document, m.start, m.end))
        for m in document.numbers
        if m.role == "body" and not covered.covers(m.start, m.end)
    ]
    return uncovered, not_found


def uncovered_numbers(kb: KnowledgeBase, key: str | None = None) -> list[UncoveredNumber]:
    """The numbers of each document (or of document ``key``) that no claim and no exclusion covers."""
    anchors = {c.id: _anchors(kb, c) for c in kb}
    result = []
    for doc_key in [key] if key else kb.document_keys:
        document = kb.document(doc_key)
        if document is None:
            continue
        exclusions, _ = load_exclusions(kb, doc_key)
        spans = [(a.start, a.end) for c in kb.from_document(doc_key) for a in anchors[c.id] if a is not None]
        result.extend(_uncovered(doc_key, document, spans, exclusions)[0])
    return result


def unused_footnotes(kb: KnowledgeBase, key: str, document: Document, spans: list[tuple[int, int]],
                     exclusions: list[Exclusion]) -> list[Footnote]:
    """The footnotes of a document that no claim cites or waives, no claim's quote overlaps
    (``spans``: the claims' anchors) and no exclusion's text falls in."""
    used = {c.footnote for claim in kb.from_document(key) for c in claim.cites if c.footnote is not None}
    used |= {w.footnote for claim in kb.from_document(key) for w in claim.waived}
    covered = list(spans) + [(a.start, a.end) for e in exclusions for a in document.find_all(e.text)]
    return [note for number, note in sorted(document.footnotes.items())
            if number not in used and not any(s < note.end and note.start < e for s, e in covered)]


# --- the checks ----------------------------------------------------------------------


def _anchors(kb: KnowledgeBase, claim: Claim) -> list[Anchor | None]:
    document = kb.document(claim.document)
    return document.anchor_fragments(claim.fragments) if document is not None else []


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _near_miss(document: Document, fragment: str) -> str:
    """Where a fragment stops matching: its longest leading run of words found, and what follows."""
    words = fragment.split()

    def found(count: int) -> Anchor | None:  # the first `count` words, ending where a word ends
        text = document.text
        return next((a for a in document.find_all(" ".join(words[:count]))
                     if a.end >= len(text) or not (text[a.end].isalnum() and text[a.end - 1].isalnum())), None)

    low, high = 0, len(words)  # the first `low` words are found; find the largest such
    best: Anchor | None = None
    while low < high:
        mid = (low + high + 1) // 2
        anchor = found(mid)
        if anchor is not None:
            low, best = mid, anchor
        else:
            high = mid - 1
    if best is None or low == 0:
        return "no part of it was found; copy the text verbatim from the document"
    after = " ".join(document.text[best.end:best.end + 80].split()[:6])
    shown = " ".join(words[max(0, low - 6):low])
    return (f"matches up to “{'… ' if low > 6 else ''}{shown}” (line {document.line_of(best.start)}); "
            f"then the quote has “{' '.join(words[low:low + 6])}” where the document has “{after}”")


class _Checker:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.findings: list[Finding] = []
        self.anchors: dict[str, list[Anchor | None]] = {}
        self.titles = assertions.titles_pattern([re.split(r"[:.?!]\s", s.title)[0] for s in kb.sources.values()])
        """Titles (before any subtitle) of the works: a 'Not' in 'Not a world away' negates nothing."""
        self.sections: dict[str, dict[str, tuple[int, int]]] = {}
        """Per document: section name -> the span of its text (heading to next heading)."""
        self.complete: dict[str, bool] = {}
        """Per document with a manifest: whether it says ``complete: true``."""

    def section_spans(self, document: Document) -> dict[str, tuple[int, int]]:
        if document.key not in self.sections:
            names = {c.section for c in self.kb.from_document(document.key)}
            starts = sorted((start, name) for name, found in assertions.headings(document, names).items()
                            for start in found)
            spans: dict[str, tuple[int, int]] = {}
            for i, (start, name) in enumerate(starts):
                end = starts[i + 1][0] if i + 1 < len(starts) else len(document.text)
                spans.setdefault(name, (start, end))
            self.sections[document.key] = spans
        return self.sections[document.key]

    def add(self, check: str, file: Path | None, line: int | None, subject: str | None, message: str,
            hint: str = "", severity: str | None = None) -> None:
        severity = severity or ("warning" if check in WARNINGS else "error")
        self.findings.append(Finding(check, file, line, subject, message, hint, severity))

    def run(self, only: set[str] | None = None) -> list[Finding]:
        """Every check; with ``only``, the claim-level checks of just those claim ids (the base-wide ones all)."""
        missing_documents: dict[str, list[Claim]] = {}
        for claim in self.kb:
            document = self.kb.document(claim.document)
            if only is not None and claim.id not in only:
                if document is not None:  # the coverage of numbers and footnotes needs every anchor
                    self.anchors[claim.id] = document.anchor_fragments(claim.fragments)
                continue
            if document is None:
                missing_documents.setdefault(claim.document, []).append(claim)
            else:
                self.claim(claim, document)
            self.review(claim)
        for key, claims in missing_documents.items():
            where = self.kb.locations[claims[0].id]
            self.add("document-missing", where.path, where.line, key,
                     f"{len(claims)} claim(s) come from document '{key}', whose text "
                     f"sources/documents/{key}.txt is missing", "add the document's text so quotes can be checked")
        self.sources()
        self.manifests()
        self.coverage()
        return self.findings

    def claim(self, claim: Claim, document: Document) -> None:
        where = self.kb.locations[claim.id]
        anchors = self.anchors[claim.id] = document.anchor_fragments(claim.fragments)
        many = len(anchors) > 1
        previous: Anchor | None = None
        for i, (fragment, anchor) in enumerate(zip(claim.fragments, anchors), start=1):
            label = f"quote fragment {i} of {len(anchors)}" if many else "quote"
            if anchor is None:
                self.add("quote-not-found", where.path, where.line, claim.id,
                         f"{label} “{_short(fragment)}” is not in {document.path.name if document.path else document.key}",
                         _near_miss(document, fragment))
            elif previous is not None and anchor.start < previous.end:
                self.add("quote-order", where.path, where.line, claim.id,
                         f"{label} is at line {document.line_of(anchor.start)}, before fragment {i - 1} "
                         f"(line {document.line_of(previous.start)})", "list the fragments in the document's order")
            if anchor is not None:
                previous = anchor
        for cite in claim.cites:
            self.cite(claim, cite.key, cite.footnote, document)
        missing = missing_numbers(claim.statement, " ".join(claim.fragments))
        for token in missing:
            self.add("statement-number", where.path, where.line, claim.id,
                     f"the statement states {token.text!r}, which its quote does not",
                     "the statement may add no fact the quote does not carry: fix the number or extend the quote")
        spans = self.section_spans(document)
        section = spans.get(claim.section)
        found = [a for a in anchors if a is not None]
        if section is None:
            self.add("section-unknown", where.path, where.line, claim.id,
                     f"section “{_short(claim.section)}” is not a heading of {document.key}",
                     "write the heading as the document has it (a line of its own, or lines)")
        context = " ".join(fold_text(document.text[a:b]) for a, b in (
            [section] if section else []) + [(max(0, x.start - CONTEXT_BEFORE), x.end + CONTEXT_AFTER) for x in found])
        own = self.kb.sources.get(document.key)
        context += f" {claim.section} {own.title if own else ''}"  # the document's title gives its scope
        for found_check in (
            *assertions.quantity_checks(claim),
            *assertions.footnote_checks(claim, document, found),
            *assertions.place_checks(claim, list(self.kb.vocabulary.places), context, document),
            *assertions.negation_checks(claim, self.titles),
            *assertions.swap_checks(claim),
            *assertions.substance_checks(claim),
        ):
            self.add(found_check[0], where.path, where.line, claim.id, found_check[1], found_check[2])

    def cite(self, claim: Claim, key: str, footnote: int | None, document: Document) -> None:
        source = self.kb.sources.get(key)
        if footnote is None or source is None:  # unknown keys are the loader's 'unknown-source'
            return
        where = self.kb.locations[claim.id]
        note = document.footnotes.get(footnote)
        if note is None:
            self.add("footnote-missing", where.path, where.line, claim.id,
                     f"cites footnote {footnote} for '{key}', but {document.key} has "
                     f"{len(document.footnotes)} footnote(s)", "fix the footnote number")
            return
        named, other = footnote_names(note, source, self.kb.sources)
        if not named:
            names = f"; it names '{other}'" if other else ""
            self.add("footnote-mismatch", where.path, where.line, claim.id,
                     f"footnote {footnote} (“{_short(note.text, 70)}”) does not name '{key}' "
                     f"({source.label()} {_short(source.title, 50)}){names}",
                     "fix the footnote number or the cited key")

    def review(self, claim: Claim) -> None:
        where = self.kb.locations[claim.id]
        for check, message, hint in assertions.markup_checks(claim.model_dump(mode="json", exclude={"document"})):
            self.add(check, where.path, where.line, claim.id, message, hint)
        if claim.review is None:
            return
        if not claim.review.fingerprint:
            self.add("review-unfingerprinted", where.path, where.line, claim.id,
                     f"the {claim.review.status} review records no fingerprint, so nothing says what it saw: "
                     "the claim counts as unreviewed",
                     f"review it with kb review {claim.id} --status ..., which records the fingerprint")
            return
        review = claim.review
        by = f" by {review.by}" if review.by else ""
        on = f" on {review.on}" if review.on else ""
        if claim.status == "stale":
            self.add("review-stale", where.path, where.line, claim.id,
                     f"{review.status} review{by}{on} saw fingerprint {review.fingerprint}; "
                     f"the claim is now {claim.fingerprint}",
                     f"review it again: kb review {claim.id} --status verified|disputed|needs-work")
        elif review.status in ("disputed", "needs-work"):
            note = f": {review.note}" if review.note else ""
            self.add(f"review-{review.status}", where.path, where.line, claim.id,
                     f"{review.status}{by}{on}{note}", "resolve it, then review again")

    def sources(self) -> None:
        used = {k for c in self.kb for k in c.cited_keys} | {c.document for c in self.kb}
        used |= set(self.kb.document_keys)
        bib = self.kb.bib_path
        for key, source in self.kb.sources.items():
            for check, message, hint in assertions.markup_checks(assertions.source_fields(source)):
                self.add(check, bib, source.line, key, message, hint)
            missing = []
            for alternatives in REQUIRED_FIELDS.get(source.type, ()):
                if not any(getattr(source, name) for name in alternatives):
                    missing.append(" or ".join(_FIELD_NAMES.get(n, n) for n in alternatives))
            if missing:
                self.add("source-fields", bib, source.line, key,
                         f"{'an' if source.type[0] in 'aeiou' else 'a'} {source.type} entry needs {', '.join(missing)}",
                         f"add {' and '.join(missing)} to the entry (see README, 'Verifying a knowledge base')")
            if key not in used:
                self.add("source-unused", bib, source.line, key,
                         "no claim cites it and it is no document of the base",
                         "cite it from the claims that rest on it, or remove the entry")

    def manifests(self) -> None:
        """Each document's manifest readable, and its text the text it recorded (``text_sha256``)."""
        for key in self.kb.document_keys:
            try:
                manifest = read_manifest(self.kb.documents_dir, key)
            except ValueError as exc:
                self.add("manifest-invalid", manifest_path(self.kb.documents_dir, key), None, key,
                         f"cannot read the manifest: {exc}", "fix the manifest, or remove it (the document then "
                         "has no page map and counts as not complete)")
                continue
            if manifest is None:
                continue
            self.complete[key] = manifest.complete
            text_path = self.kb.documents_dir / f"{key}.txt"
            if manifest.text_sha256 and sha256_file(text_path) != manifest.text_sha256:
                quoting = [c.id for c in self.kb.from_document(key)]
                shown = ", ".join(quoting[:10]) + (f" and {len(quoting) - 10} more" if len(quoting) > 10 else "")
                self.add("document-changed", text_path, None, key,
                         f"{key}.txt changed since it was recorded (its sha256 is not the manifest's text_sha256), "
                         "so every anchor in it is suspect: "
                         + (f"{len(quoting)} claim(s) quote it: {shown}" if quoting else "no claim quotes it"),
                         f"restore the text, or re-check those claims (kb verify, kb show --context) and record "
                         f"the new sha256 in {manifest.path.name}")

    def coverage(self) -> None:
        for key in self.kb.document_keys:
            document = self.kb.document(key)
            if document is None:
                continue
            severity = "error" if self.complete.get(key) else "warning"
            exclusions, findings = load_exclusions(self.kb, key)
            self.findings.extend(f for f in findings if f.check != "exclusions-file")
            spans = [(a.start, a.end) for c in self.kb.from_document(key)
                     for a in self.anchors.get(c.id, []) if a is not None]
            uncovered, not_found = _uncovered(key, document, spans, exclusions)
            path = exclusions_path(self.kb, key)
            for exclusion, _ in not_found:
                self.add("exclusion-not-found", path, exclusion.line, key,
                         f"exclusion text “{_short(exclusion.text)}” is not in {key}.txt",
                         _near_miss(document, exclusion.text))
            for number in uncovered:
                self.add("number-uncovered", document.path, number.line, key,
                         f"{number.text} is in no claim's quote and no exclusion: {number.context}",
                         f"quote it in a claim, or add {{text: <snippet>, reason: <why>}} to {path.name}", severity)
            for note in unused_footnotes(self.kb, key, document, spans, exclusions):
                self.add("footnote-unused", document.path, document.line_of(note.start), key,
                         f"footnote {note.number} (“{_short(note.text)}”) is cited, waived or quoted by no claim",
                         f"cite the work it names from the claims that rest on it, waive it in the claim whose quote "
                         f"holds its marker, or add {{text: <snippet of the footnote>, reason: <why>}} to {path.name}",
                         severity)


def select_claims(kb: KnowledgeBase, targets: list[str]) -> set[str]:
    """The claim ids that ``targets`` name: each a claim id, or a claims file (a path, or a name in claims/).

    BadInput naming the target when it is neither.
    """
    chosen: set[str] = set()
    by_file: dict[Path, list[str]] = {}
    for claim_id, where in kb.locations.items():
        by_file.setdefault(where.path.resolve(), []).append(claim_id)
    for target in targets:
        if target in kb.claims:
            chosen.add(target)
            continue
        candidates = [Path(target), kb.root / target, kb.root / "claims" / target]
        path = next((p.resolve() for p in candidates if p.is_file()), None)
        if path is not None and (path in by_file or path.parent == (kb.root / "claims").resolve()):
            chosen.update(by_file.get(path, []))
            continue
        import difflib

        close = difflib.get_close_matches(target, list(kb.claims), n=2, cutoff=0.6)
        raise BadInput(f"'{target}' is neither a claim id nor a claims file of {kb.root}",
                       hint=(f"did you mean {' or '.join(close)}? " if close else "")
                       + "give claim ids (ctf-0007) or claims files (claims/KEY.yaml)")
    return chosen


def _selected(finding: Finding, kb: KnowledgeBase, only: set[str]) -> bool:
    """Whether a finding of the loader or the link checks concerns the selection (or the whole base)."""
    if finding.subject in only:
        return True
    claim_files = {where.path for where in kb.locations.values()} | set(kb.claim_files)
    return finding.file not in claim_files and finding.subject not in kb.claims


def verify(kb: KnowledgeBase, only: set[str] | None = None) -> Report:
    """Run every check over a loaded base (load it with ``strict=False`` to include its problems).

    With ``only`` (claim ids, see :func:`select_claims`), the claim-level checks run for just
    those claims; the base-wide ones (sources, manifests, coverage of numbers and footnotes,
    the bibliography) still run.
    """
    report = Report(root=kb.root)
    fatal = [Finding.from_problem(p) for p in kb.fatal_problems]
    fatal += [f for key in kb.document_keys for f in load_exclusions(kb, key)[1] if f.check == "exclusions-file"]
    if fatal:
        report.fatal = True
        report.findings = fatal
        return report
    report.findings = [Finding.from_problem(p) for p in kb.problems]
    report.findings += _Checker(kb).run(only)
    report.findings += [Finding.from_problem(p) for p in link_problems(kb)]
    if only is not None:
        report.findings = [f for f in report.findings if _selected(f, kb, only)]
    report.checked = {
        "claims": len(kb.claims) if only is None else len(only),
        "sources": len(kb.sources),
        "documents": len(kb.document_keys),
        "numbers": sum(1 for k in kb.document_keys for m in (kb.document(k).numbers if kb.document(k) else [])
                       if m.role == "body"),
    }
    return report


def check_claim(kb: KnowledgeBase, claim: Claim, path: Path) -> list[Finding]:
    """What ``kb verify`` would find about ``claim`` (not yet in the base) once it is in ``path``.

    The claim-level checks only: vocabulary, cited keys, the claim's document, its quote,
    footnotes, numbers, places, negations, quantities, section, markup. ``kb`` is left as it was.
    """
    from kb.store.loader import ClaimLocation, _check_vocabulary

    claims, locations, problems = dict(kb.claims), dict(kb.locations), list(kb.problems)
    try:
        kb.claims[claim.id] = claim
        kb.locations[claim.id] = where = ClaimLocation(path, None)
        _check_vocabulary(kb, claim, where)
        found = [Finding.from_problem(p) for p in kb.problems[len(problems):]]
        for cite in claim.cites:
            if cite.key not in kb.sources:
                found.append(Finding("unknown-source", path, None, claim.id,
                                     f"cites '{cite.key}', which is not in {kb.bib_path.name}",
                                     "add the work to sources/references.bib or fix the key"))
        checker = _Checker(kb)
        document = kb.document(claim.document)
        if document is None:
            checker.add("document-missing", path, None, claim.document,
                        f"document '{claim.document}' has no text sources/documents/{claim.document}.txt",
                        "ingest it with 'kb ingest'")
        else:
            checker.claim(claim, document)
        checker.review(claim)
        return found + checker.findings
    finally:
        kb.claims.clear()
        kb.claims.update(claims)
        kb.locations.clear()
        kb.locations.update(locations)
        kb.problems[:] = problems


def verify_base(kb_dir: str | Path | None = None, targets: list[str] | None = None) -> Report:
    """Load the base (never raising for its content) and verify it (or just the claims ``targets`` name)."""
    kb = load_kb(kb_dir, strict=False)
    return verify(kb, select_claims(kb, targets) if targets else None)

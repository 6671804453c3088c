"""Adding a claim from a quote (``kb claim add``): found, numbered, cited, checked, appended.

:func:`add_claim` finds every fragment of the quote in the document (in order),
takes the next free id of the document's prefix, fills the section from the
heading the quote falls under, proposes cites from the footnotes whose markers
fall in the quote and quantities from the numbers the statement takes from it,
runs ``kb verify``'s claim-level checks on the result, and appends it with
:func:`kb.store.edit.append_claim` (the base's write lock, atomic, comments kept).
Returns data; the CLI renders.

Ids: a document's claims share a prefix (``ctf`` in ``ctf-0042``): the one its
claims file already uses, else the initials of the document's title (``Cutting
them free`` -> ``ctf``), else the letters of its key. The number is one more than
the highest ever written in the base for that prefix, comments included, so an id
is never reused while its trace remains. Ids are taken under the write lock:
when another process took the same id first, the id is recomputed and the append
retried (:data:`RETRIES` times).

Footnotes: a footnote whose marker is in the quote (or glued to its end) and
whose text names a work of ``references.bib`` (verify's rule,
:func:`kb.provenance.footnotes.footnote_names`) is cited with its number; one that
names no work of the bibliography is *waived* with a reason saying so, and named in
a notice, so the claim verifies and the gap stays visible in the file. An explicit
``--cite`` or ``--waive`` of that footnote wins.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import BadInput
from kb.store.document import Anchor, Document
from kb.store.loader import KnowledgeBase

RETRIES = 8
"""How many times an append is retried when another process took the id first."""
ID_DIGITS = 4
UNMATCHED_REASON = ("footnote {n} names no work of references.bib (waived by kb claim add: add the work "
                    "and cite it, or give the real reason)")
_SMALL = {"a", "an", "and", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "with", "how",
          "is", "its", "what", "who", "why"}
_STOP = {"a", "an", "and", "are", "as", "at", "be", "been", "being", "but", "by", "can", "could", "did", "do",
         "does", "for", "from", "had", "has", "have", "in", "into", "is", "it", "its", "may", "might", "must", "of",
         "on", "or", "over", "said", "say", "says", "shall", "should", "so", "than", "that", "the", "their", "then",
         "there", "these", "they", "this", "those", "to", "under", "was", "were", "which", "while", "who", "whom",
         "will", "with", "would", "across", "after", "before", "between", "during", "since", "until", "within",
         "without", "about", "against", "among", "through", "per"}
_VERBS = {"took", "read", "ran", "made", "saw", "gave", "got", "went", "came", "found", "left", "lost", "won",
                   "met", "told", "felt", "kept", "held", "brought", "thought", "paid", "sold", "spent", "became",
                   "began", "grew", "knew", "wrote", "rose", "fell", "are", "is", "get", "make", "take", "need"}
_UNIT_WORD = re.compile(r"\s*([A-Za-z][A-Za-z'’-]*)")


@dataclass
class AddedClaim:
    """The claim as written (or as it would be, with ``dry_run``) and what the user should know."""

    record: dict[str, Any]
    """The claim's mapping, in the key order it is written."""
    document: str
    path: Path
    yaml: str
    """The claim as YAML (one list item), as it is appended."""
    notices: list[str] = field(default_factory=list)
    written: bool = False

    def to_dict(self, root: Path) -> dict[str, Any]:
        try:
            shown = str(self.path.relative_to(root))
        except ValueError:
            shown = str(self.path)
        return {**self.record, "document": self.document, "file": shown, "written": self.written,
                "notices": self.notices}


# --- ids ---------------------------------------------------------------------------------


def _id_numbers(text: str, prefix: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(rf"(?<![\w-]){re.escape(prefix)}-(\d{{{ID_DIGITS},}})\b", text)]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def derived_prefix(kb: KnowledgeBase, key: str) -> str:
    """A new document's prefix: the initials of its title's first three words that matter, else its key's letters."""
    source = kb.sources.get(key)
    words = re.findall(r"[A-Za-z]+", source.title) if source else []
    initials = "".join(w[0] for w in words if w.lower() not in _SMALL)[:3].lower()
    prefix = initials if len(initials) >= 2 else "".join(re.findall(r"[a-z]", key.lower()))[:3] or "c"
    taken = {c.id.rsplit("-", 1)[0] for c in kb if c.document != key}
    if prefix not in taken:
        return prefix
    return next(f"{prefix}{i}" for i in range(2, 1000) if f"{prefix}{i}" not in taken)


def claim_prefix(kb: KnowledgeBase, key: str, path: Path) -> str:
    """The prefix of the document's claims: the one its claims use most, else :func:`derived_prefix`."""
    used = Counter(c.id.rsplit("-", 1)[0] for c in kb.from_document(key))
    if not used:
        used = Counter(m.group(1) for m in re.finditer(r"(?m)^[ \t]*-?[ \t]*id:[ \t]*['\"]?([a-z][a-z0-9-]*?)-\d+",
                                                       _read(path)))
    return used.most_common(1)[0][0] if used else derived_prefix(kb, key)


def next_id(root: Path, prefix: str) -> str:
    """One more than the highest number written anywhere in the base's claims files for ``prefix``."""
    folder = Path(root) / "claims"
    numbers = [n for p in [*folder.glob("*.yaml"), *folder.glob("*.yml")] for n in _id_numbers(_read(p), prefix)]
    return f"{prefix}-{max(numbers, default=0) + 1:0{ID_DIGITS}d}"


# --- the quote -----------------------------------------------------------------------------


def _anchor_quote(document: Document, fragments: list[str]) -> list[Anchor]:
    from kb.provenance.verify import _near_miss, _short

    anchors = document.anchor_fragments(fragments)
    many = len(fragments) > 1
    previous: Anchor | None = None
    for i, (fragment, anchor) in enumerate(zip(fragments, anchors), start=1):
        label = f"quote fragment {i} “{_short(fragment)}”" if many else f"the quote “{_short(fragment)}”"
        if anchor is None:
            raise BadInput(f"{label} is not in {document.key}; nothing was written",
                           hint=_near_miss(document, fragment))
        if previous is not None and anchor.start < previous.end:
            raise BadInput(f"{label} is in {document.key} (line {document.line_of(anchor.start)}) only before "
                           f"fragment {i - 1} (line {document.line_of(previous.start)}); nothing was written",
                           hint="give the fragments in the document's order")
        previous = anchor
    return [a for a in anchors if a is not None]


# --- cites ---------------------------------------------------------------------------------


def parse_cite(kb: KnowledgeBase, text: str) -> dict[str, Any]:
    """``KEY``, ``KEY:FOOTNOTE`` or ``KEY:FOOTNOTE:LOCATOR`` (``KEY::LOCATOR`` without a footnote)."""
    if text in kb.sources:
        return {"key": text}
    key, _, rest = text.partition(":")
    footnote, _, locator = rest.partition(":")
    if key not in kb.sources:
        import difflib

        close = difflib.get_close_matches(key, list(kb.sources), n=2, cutoff=0.6)
        raise BadInput(f"--cite {text}: '{key}' is not in {kb.bib_path.name}; nothing was written",
                       hint=(f"did you mean {' or '.join(close)}? " if close else "")
                       + "add the work to sources/references.bib first (kb sources lists the keys)")
    cite: dict[str, Any] = {"key": key}
    if footnote.strip():
        if not footnote.strip().isdigit() or int(footnote) < 1:
            raise BadInput(f"--cite {text}: the footnote '{footnote}' is not a footnote number; nothing was written",
                           hint="write KEY, KEY:FOOTNOTE or KEY:FOOTNOTE:LOCATOR, e.g. jago2011whats:5:p. 12")
        cite["footnote"] = int(footnote)
    if locator.strip():
        cite["locator"] = locator.strip()
    return cite


def parse_waiver(text: str) -> dict[str, Any]:
    """``N:REASON``."""
    number, _, reason = text.partition(":")
    if not number.strip().isdigit() or int(number) < 1 or not reason.strip():
        raise BadInput(f"--waive {text}: write FOOTNOTE:REASON, e.g. 4:'the footnote defines a term'; "
                       "nothing was written", hint="give the footnote's number and why the claim does not rest on it")
    return {"footnote": int(number), "reason": reason.strip()}


def propose_cites(kb: KnowledgeBase, document: Document, anchors: list[Anchor], explicit: list[dict[str, Any]],
                  waived: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Cites and waivers for the footnotes marked in the quote; explicit ones win. Returns (cites, waived, notices)."""
    from kb.provenance.assertions import footnotes_in_quote
    from kb.provenance.footnotes import footnote_names

    cites, waivers, notices = list(explicit), list(waived), []
    handled = {c.get("footnote") for c in explicit} | {w["footnote"] for w in waived}
    for number in footnotes_in_quote(document, anchors):
        if number in handled:
            continue
        note = document.footnotes[number]
        named = [key for key, source in kb.sources.items() if footnote_names(note, source, kb.sources)[0]]
        short = " ".join(note.text.split())
        short = short if len(short) <= 70 else short[:69] + "…"
        if named:
            cites += [{"key": key, "footnote": number} for key in named]
            notices.append(f"footnote {number} (“{short}”) names {', '.join(named)}: cited")
        else:
            waivers.append({"footnote": number, "reason": UNMATCHED_REASON.format(n=number)})
            notices.append(f"footnote {number} (“{short}”) names no work of references.bib: waived; add the work "
                           f"and --cite KEY:{number}, or --waive {number}:REASON to say why the claim does not "
                           "rest on it")
    return cites, waivers, notices


# --- quantities ------------------------------------------------------------------------------


def _unit_after(quote: str, end: int) -> str:
    """What a number counts, as the quote writes it after the number: 'per cent', or up to three words."""
    rest = quote[end:end + 80]
    if re.match(r"\s*(?:per\s*cent\b|%)", rest, re.IGNORECASE):
        return "per cent"
    words: list[str] = []
    pos = 0
    while len(words) < 3 and (m := _UNIT_WORD.match(rest, pos)):
        word = m.group(1)
        if word.lower() in _STOP or word.lower() in _VERBS or (words and re.fullmatch(r"\w+(?:ed|ing)", word.lower())):
            break
        words.append(word)
        pos = m.end()
        if pos < len(rest) and not rest[pos].isspace():
            break  # punctuation ends the unit
    return " ".join(words)


def propose_quantities(statement: str, fragments: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """A quantity for each number of the quote that the statement states (not a year, a period or a
    footnote marker), with the qualifier word standing before it ("over 1,000"). Returns (quantities, notices)."""
    from kb.model.numbers import same_value, value_tokens
    from kb.provenance.assertions import _QUALIFIER_BEFORE, _qualifier_for

    stated = [t.value for t in value_tokens(statement)]
    quantities: list[dict[str, Any]] = []
    notices: list[str] = []
    seen: set[float] = set()
    for fragment in fragments:
        for token in value_tokens(fragment):
            before = fragment[token.start - 1] if token.start else " "
            glued = token.text[0].isdigit() and (before.isalpha() or before in ".,;:)’”'\"^[")
            year = re.fullmatch(r"(?:1[89]|20)\d\d", token.text) is not None
            if glued or year or token.value in seen or not any(same_value(token.value, s) or
                                                                same_value(s, token.value) for s in stated):
                continue
            seen.add(token.value)
            unit = _unit_after(fragment, token.end)
            if not unit:
                notices.append(f"the quote's {token.text} is stated, but no unit follows it in the quote: "
                               "add its quantity by hand if it is one")
                continue
            value: int | float = int(token.value) if float(token.value).is_integer() else round(token.value, 3)
            quantity: dict[str, Any] = {"value": value, "unit": unit}
            qualifier = _QUALIFIER_BEFORE.search(fragment[max(0, token.start - 30):token.start])
            if qualifier:
                quantity["qualifier"] = _qualifier_for(qualifier.group(1).lower())
            quantities.append(quantity)
    if quantities:
        notices.append("quantities proposed from the quote: " + "; ".join(
            f"{q.get('qualifier', '') + ' ' if q.get('qualifier') else ''}{q['value']} {q['unit']}"
            for q in quantities) + " (check the units)")
    return quantities, notices


# --- the claim -------------------------------------------------------------------------------


def _claim_yaml(record: dict[str, Any], document: str) -> str:
    from kb.store.edit import append_claim_text

    text = append_claim_text("", record, document=document)
    return text.split("claims:\n", 1)[1]


def build_claim(kb: KnowledgeBase, *, doc: str, quotes: list[str], statement: str, kind: str,
                places: list[str] = (), topics: list[str] = (), period: str = "", section: str | None = None,
                cites: list[str] = (), waive: list[str] = ()) -> AddedClaim:
    """The new claim, checked as ``kb verify`` would check it; BadInput (nothing written) when it would fail."""
    from pydantic import ValidationError

    from kb.model.schema import Claim
    from kb.provenance.verify import check_claim
    from kb.store.sections import section_at

    if doc not in kb.document_keys:
        import difflib

        close = difflib.get_close_matches(doc, kb.document_keys, n=2, cutoff=0.6)
        raise BadInput(f"no document '{doc}' in {kb.documents_dir}; nothing was written",
                       hint=(f"did you mean {' or '.join(close)}? " if close else "")
                       + (f"documents: {', '.join(kb.document_keys)}" if kb.document_keys
                          else "take a report in with 'kb ingest FILE --key KEY'"))
    fragments = [" ".join(q.split()) for q in quotes]
    if not fragments or not all(fragments):
        raise BadInput("give the quote with --quote TEXT (one per fragment); nothing was written",
                       hint="copy it verbatim from the document (kb quote TEXT --doc KEY finds it)")
    document = kb.document(doc)
    assert document is not None  # listed in document_keys
    anchors = _anchor_quote(document, fragments)
    notices: list[str] = []
    if len(document.find_all(fragments[0])) > 1:
        notices.append(f"the quote occurs {len(document.find_all(fragments[0]))} times in {doc}; "
                       f"the first (line {document.line_of(anchors[0].start)}) is taken")
    if section is None:
        section = section_at(document, anchors[0].start, {c.section for c in kb.from_document(doc)})
        if section is None:
            raise BadInput(f"the quote stands before the first heading of {doc}, so it has no section; "
                           "nothing was written", hint="give it with --section TITLE")
    explicit = [parse_cite(kb, c) for c in cites]
    waivers = [parse_waiver(w) for w in waive]
    cite_list, waived, cite_notices = propose_cites(kb, document, anchors, explicit, waivers)
    quantities, quantity_notices = propose_quantities(statement, fragments)
    path = kb.root / "claims" / f"{doc}.yaml"
    record: dict[str, Any] = {
        "id": next_id(kb.root, claim_prefix(kb, doc, path)),
        "statement": " ".join(statement.split()),
        "kind": kind,
        "quote": fragments[0] if len(fragments) == 1 else fragments,
        "section": section,
        "cites": cite_list,
    }
    if waived:
        record["waived"] = waived
    if quantities:
        record["quantities"] = quantities
    record["places"] = list(dict.fromkeys(places))
    if period:
        record["period"] = period
    record["topics"] = list(dict.fromkeys(topics))
    try:
        claim = Claim.model_validate({**record, "document": doc})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise BadInput(f"the claim is not valid: {where}: {err['msg']}; nothing was written",
                       hint="correct that option") from None
    findings = check_claim(kb, claim, path)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise BadInput(f"kb verify would fail the claim: {first.check}: {first.message}{more}; nothing was written",
                       hint=first.hint)
    notices += cite_notices + quantity_notices
    notices += [f"kb verify warns: {f.check}: {f.message}" for f in findings if f.severity == "warning"]
    return AddedClaim(record, doc, path, _claim_yaml(record, doc), notices)


def add_claim(root: Path, *, dry_run: bool = False, **options: Any) -> AddedClaim:
    """Build the claim (:func:`build_claim`) and, unless ``dry_run``, append it to ``claims/<doc>.yaml``."""
    from kb.store.edit import append_claim, refuse_bundled
    from kb.store.loader import load_kb

    kb = load_kb(root)
    if not dry_run:
        refuse_bundled(kb.root)
    added = build_claim(kb, **options)
    if dry_run:
        return added
    prefix = added.record["id"].rsplit("-", 1)[0]
    for attempt in range(RETRIES):
        try:
            append_claim(kb.root, added.path, added.record, document=added.document)
            break
        except BadInput as exc:  # another process took the id between our reading and our lock
            if "already" not in exc.message or added.record["id"] not in exc.message or attempt == RETRIES - 1:
                raise
            added.record["id"] = next_id(kb.root, prefix)
    added.yaml = _claim_yaml(added.record, added.document)
    added.written = True
    return added

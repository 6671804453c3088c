"""What a claim asserts beyond its quote, checked against the quote (``kb verify``).

Each function looks at one claim and yields ``(check, message, hint)`` for what it
finds; :mod:`kb.provenance.verify` adds the file, line and id. The checks:

- ``quantity-value``: each quantity's value is written in the quote ("57", "fifty-seven",
  "1,190", "a third", "one in six", "44 per cent");
- ``quantity-qualifier``: a quantity's qualifier (``over``...) or one of its synonyms stands
  just before that number in the quote; ``quantity-qualifier-missing`` (warning): such a
  word stands before a quantity's number, but the quantity has no qualifier;
- ``quantity-period`` / ``quantity-place``: a quantity's period and place are in the quote
  or are the claim's own ``period``/``places``;
- ``footnote-uncited``: a footnote marker inside the quote (or glued to its end) is cited
  by the claim or waived with a reason (``waived:``);
- ``cite-not-near``: a cited footnote's marker is within 1,000 characters of the quote,
  unless the cite says ``elsewhere: true``;
- ``statement-place``: a place of the vocabulary named in the statement is in ``places``
  and in the quote or its section;
- ``statement-negation``: the statement negates (not, no, never, none...) and the quote
  has no negation;
- ``statement-number-swap``: a number of the statement stands before a word that, in the
  quote, follows another of its numbers and never this one ("21 people" for "57 people");
- ``quote-substance``: the quote has at least three words, not all of them stopwords;
- ``section-unknown``: the ``section`` is a heading of the document;
- ``markup`` (warning): HTML tags, raw LaTeX commands or control characters in a field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from kb.model.numbers import ValueToken, number_tokens, numbers_in, same_value, value_tokens
from kb.model.schema import Claim, Quantity, Source
from kb.store.document import Anchor, Document, fold_text

Found = tuple[str, str, str]
"""(check, message, hint)."""

NEAR = 1000
"""How far (in characters) a cited footnote's marker may be from the quote and still be 'at' it."""

QUALIFIER_WORDS: dict[str, tuple[str, ...]] = {
    "over": ("over", "more than", "above", "in excess of", "upwards of", "just over"),
    "at least": ("at least", "no fewer than", "no less than", "a minimum of"),
    "under": ("under", "fewer than", "less than", "below", "just under"),
    "up to": ("up to", "as many as", "a maximum of"),
    "about": ("about", "around", "approximately", "some", "roughly", "an estimated", "circa", "almost", "nearly"),
    "almost": ("almost", "nearly", "close to", "just under", "about"),
    "exactly": ("exactly", "precisely"),
}
"""Each qualifier and the words that write it in prose (the qualifier itself first)."""
_ALL_QUALIFIER_WORDS = sorted({w for words in QUALIFIER_WORDS.values() for w in words}, key=len, reverse=True)
_QUALIFIER_BEFORE = re.compile(rf"\b({'|'.join(map(re.escape, _ALL_QUALIFIER_WORDS))})\s+$", re.IGNORECASE)

NEGATIONS = ("not", "no", "never", "none", "nor", "neither", "nobody", "nothing", "cannot", "without")
_NEGATION = re.compile(rf"\b(?:{'|'.join(NEGATIONS)})\b|n't\b|n’t\b", re.IGNORECASE)
_QUOTE_NEGATION = re.compile(
    rf"\b(?:{'|'.join(NEGATIONS)}|lack\w*|fail\w*|absen\w*|unable|unaware|unknown|unclear)\b"
    r"|n't\b|n’t\b", re.IGNORECASE)
"""What counts as a negation in a quote: the statement's words, and words that say 'not' in other terms."""

STOPWORDS = frozenset(
    "a an and are as at be but by for from had has have he her his i in is it its of on or she so that the "
    "their them there these they this to was we were which who will with you".split())
_WORDS = re.compile(r"[\w’']+")

_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z][\w-]*(?:\s[^<>]*)?/?\s*>|\\[A-Za-z]+|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CLOSING = " \t.,;:)]’”'\"!?"


def _quote_of(claim: Claim) -> str:
    return " ".join(claim.fragments)


def quantity_checks(claim: Claim) -> Iterator[Found]:
    quote = _quote_of(claim)
    tokens = value_tokens(quote)
    quote_periods = numbers_in(quote)
    folded_quote = fold_text(quote).casefold()
    for i, quantity in enumerate(claim.quantities, start=1):
        label = f"quantity {i} ({_shown(quantity.value)} {quantity.unit})"
        matches = [t for t in tokens if same_value(float(quantity.value), t.value)]
        if not matches:
            yield ("quantity-value", f"{label} is not written in the quote",
                   "give the value the quote states (as a number: 'a third' is 0.333 or 33.3 per cent)")
        else:
            yield from _qualifier(label, quantity, quote, matches)
        if quantity.period and not _period_agrees(quantity.period, claim.period, quote_periods):
            yield ("quantity-period", f"{label} covers period '{quantity.period}', which is neither in the "
                   f"quote nor the claim's period '{claim.period}'", "fix the quantity's period")
        if quantity.place and quantity.place not in claim.places and \
                fold_text(quantity.place).casefold() not in folded_quote:
            yield ("quantity-place", f"{label} covers place '{quantity.place}', which is neither in the "
                   f"quote nor the claim's places", "fix the quantity's place, or add it to 'places'")


def _shown(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _period_agrees(period: str, claim_period: str, quote_periods: set[str]) -> bool:
    if fold_text(period) == fold_text(claim_period):
        return True
    wanted = numbers_in(period)
    return bool(wanted) and wanted <= quote_periods | numbers_in(claim_period)


def _qualifier(label: str, quantity: Quantity, quote: str, matches: list[ValueToken]) -> Iterator[Found]:
    before = [_QUALIFIER_BEFORE.search(quote[max(0, t.start - 30):t.start]) for t in matches]
    words = [m.group(1).lower() if m else None for m in before]
    if quantity.qualifier is not None:
        allowed = QUALIFIER_WORDS[quantity.qualifier]
        if not any(w in allowed for w in words if w):
            yield ("quantity-qualifier", f"{label} is qualified '{quantity.qualifier}', but the quote does not "
                   f"say {' / '.join(repr(w) for w in allowed[:3])} before it",
                   "fix the qualifier, or drop it when the quote states the number as it is")
    elif all(words):
        yield ("quantity-qualifier-missing", f"{label}: the quote says “{words[0]} {matches[0].text}”, "
               "but the quantity has no qualifier",
               f"add qualifier: {_qualifier_for(words[0])} (one of over, at least, under, up to, about, almost, exactly)")


def _qualifier_for(word: str) -> str:
    return next(q for q, words in QUALIFIER_WORDS.items() if word in words)


def footnotes_in_quote(document: Document, anchors: list[Anchor]) -> list[int]:
    """The footnotes whose markers stand inside the quote's anchors or glued to the end of one
    (after closing punctuation: ``care.5``, ``care.[^5]``), in order of number."""
    text = document.text
    inside: list[int] = []
    for number, note in sorted(document.footnotes.items()):
        if note.marker is None:
            continue
        for anchor in anchors:
            glued = note.marker >= anchor.end and not text[anchor.end:note.marker].strip(_CLOSING + "[^")
            if anchor.start <= note.marker < anchor.end or glued:
                inside.append(number)
                break
    return inside


def footnote_checks(claim: Claim, document: Document, anchors: list[Anchor]) -> Iterator[Found]:
    """Markers in the quote cited or waived; cited markers at the quote unless ``elsewhere``."""
    cited = {c.footnote: c for c in claim.cites if c.footnote is not None}
    waived = {w.footnote for w in claim.waived}
    inside = set(footnotes_in_quote(document, anchors))
    for number in sorted(inside - set(cited) - waived):
        yield ("footnote-uncited", f"the quote holds footnote {number}'s marker, but the claim neither cites "
               f"nor waives it (“{_short(document.footnotes[number].text)}”)",
               f"cite the work it names, or add waived: [{{footnote: {number}, reason: <why>}}]")
    for number in sorted(waived - inside):
        yield ("footnote-uncited", f"waives footnote {number}, whose marker is not in the quote",
               "remove the waiver")
    for number, cite in cited.items():
        note = document.footnotes.get(number)
        if note is None or note.marker is None or cite.elsewhere or number in inside or not anchors:
            continue
        distance = min(0 if a.start <= note.marker < a.end else min(abs(note.marker - a.start),
                                                                       abs(note.marker - a.end)) for a in anchors)
        if distance > NEAR:
            yield ("cite-not-near", f"cites footnote {number} for '{cite.key}', whose marker is at line "
                   f"{document.line_of(note.marker)}, far from the quote (line {document.line_of(anchors[0].start)})",
                   "cite the footnote at the quote, or mark the cite 'elsewhere: true' when the claim rests "
                   "on that work all the same")


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


_INSTITUTION = re.compile(r"\s+(?:and\s+\w+\s+)?(?:Government|Parliament|Assembly|Executive|Ministers?)\b")


@lru_cache(maxsize=4096)
def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")


def _phrase_before(statement: str, start: int, place: str, words: int = 3) -> str:
    head = statement[:start].split()[-words:]
    return " ".join([*head, place])


def place_checks(claim: Claim, places: list[str], context: str,
                 document: Document | None = None) -> Iterator[Found]:
    """Vocabulary places named in the statement: among ``places`` (or named by the quote or the
    section's heading), and in the quote or its context (its section and the passage around it),
    or the document writes the statement's phrase elsewhere (the place and the three words
    before it: "the national action plan for England"). A place naming an institution ("the UK Government", "the UK and Welsh Government") is no place."""
    statement = claim.statement
    quote = fold_text(_quote_of(claim))
    named: list[tuple[str, str]] = []
    for place in sorted(places, key=len, reverse=True):
        if place not in statement:
            continue
        for m in _word_pattern(place).finditer(statement):
            if not _INSTITUTION.match(statement, m.end()):
                named.append((place, _phrase_before(statement, m.start(), place)))
                break
    seen: list[str] = []
    for place, phrase in named:
        if any(place in longer for longer in seen):  # "England" inside "England and Wales"
            continue
        seen.append(place)
        in_quote = _word_pattern(place).search(quote) is not None
        if place not in claim.places and not in_quote and place not in claim.section:
            yield ("statement-place", f"the statement names {place}, which is not in the claim's places "
                   f"({', '.join(claim.places) or 'none'})", f"add {place} to places, or fix the statement")
        elif not in_quote and place not in context and not (document and document.find(phrase)):
            yield ("statement-place", f"the statement names {place}, which neither the quote nor its section mentions",
                   "the statement may add no fact: fix the place")


def titles_pattern(titles: list[str]) -> re.Pattern[str] | None:
    """One pattern for the titles of the base's works (longest first), compiled once."""
    titles = sorted({t for t in titles if t}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, titles)), re.IGNORECASE) if titles else None


def negation_checks(claim: Claim, titles: re.Pattern[str] | None) -> Iterator[Found]:
    """A negation in the statement (outside the titles of works it names) that the quote lacks."""
    statement = titles.sub(" ", claim.statement) if titles else claim.statement
    said = _NEGATION.search(statement)
    if said and not _QUOTE_NEGATION.search(fold_text(_quote_of(claim))):
        yield ("statement-negation", f"the statement says “{said.group()}”, but the quote negates nothing",
               "the statement may not contradict its quote: fix the statement")


def swap_checks(claim: Claim) -> Iterator[Found]:
    """A statement number before a word that the quote puts after another number of the statement,
    never after this one ("21 people (over 57 years old)" for "57 people (over 21 years old)")."""
    quote = fold_text(_quote_of(claim)).casefold()
    statement = fold_text(claim.statement).casefold()
    after_in_quote: dict[str, set[str]] = {}
    for token in number_tokens(quote):
        word = _next_word(quote, token.end)
        if word:
            after_in_quote.setdefault(token.value, set()).add(word)
    stated = {t.value for t in number_tokens(statement)}
    for token in number_tokens(statement):
        word = _next_word(statement, token.end)
        if not word or token.value not in after_in_quote or word in after_in_quote[token.value]:
            continue
        others = [v for v, words in after_in_quote.items() if v != token.value and v in stated and word in words]
        if others:
            yield ("statement-number-swap", f"the statement says “{token.text} {word}”; the quote says "
                   f"“{others[0]} {word}”", "the statement's numbers must keep the quote's meaning")


def _next_word(text: str, end: int) -> str:
    m = re.match(r"\s*(?:per cent\b|%|[\w’']+)", text[end:end + 40])
    return m.group().strip() if m else ""


def substance_checks(claim: Claim) -> Iterator[Found]:
    words = _WORDS.findall(_quote_of(claim).lower())
    if len(words) < 3 or all(w in STOPWORDS for w in words):
        yield ("quote-substance", f"the quote “{_short(_quote_of(claim))}” is too slight to carry a fact",
               "quote at least three words of the passage, not only stopwords")


def markup_checks(fields: dict[str, Any]) -> Iterator[Found]:
    """Markup or control characters in any string of a claim's or a source's fields."""
    for name, value in _strings(fields):
        m = _MARKUP.search(value)
        if m:
            shown = repr(m.group()) if m.group().isprintable() else f"control character {m.group()!r}"
            yield ("markup", f"field '{name}' holds {shown}; fields are plain text",
                   "write plain text: exports escape it, but markup here is usually a paste error")


def _strings(value: Any, name: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{name}.{key}" if name else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{name}[{i}]")


def source_fields(source: Source) -> dict[str, Any]:
    return source.model_dump(mode="json", exclude={"line"})


# --- sections -------------------------------------------------------------------------

_HEADING_LEAD = re.compile(r"[ \t#]*")


def headings(document: Document, names: set[str]) -> dict[str, list[int]]:
    """Where each of ``names`` stands as a heading of the document: the name (matched as quotes are)
    starting a line (after spaces or Markdown '#') and ending one, possibly across lines."""
    text = document.text
    found: dict[str, list[int]] = {}
    for name in names:
        for anchor in document.find_all(name):
            line_start = text.rfind("\n", 0, anchor.start) + 1
            line_end = text.find("\n", anchor.end)
            line_end = len(text) if line_end < 0 else line_end
            if _HEADING_LEAD.fullmatch(text[line_start:anchor.start]) and not text[anchor.end:line_end].strip():
                found.setdefault(name, []).append(anchor.start)
    return found

"""Whether a footnote's text names a work of the bibliography (``kb verify``'s ``footnote-mismatch``)."""

from __future__ import annotations

import re
from functools import lru_cache

from kb.model.schema import Organisation, Person, Source
from kb.store.document import Footnote, fold_text

_SMALL_WORDS = {"a", "an", "and", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "with"}
_WORD = re.compile(r"[\w']+")


@lru_cache(maxsize=1)
def name_aliases() -> dict[str, tuple[str, ...]]:
    """Full name (case-folded) -> acronyms as written, from kb/data/acronyms.yaml."""
    from kb.search.acronyms import acronym_table

    aliases: dict[str, set[str]] = {}
    for acronym, expansions in acronym_table().items():
        for expansion in expansions:
            aliases.setdefault(expansion.casefold(), set()).add(acronym)
    return {name: tuple(sorted(shorts)) for name, shorts in aliases.items()}


def _initials(name: str) -> set[str]:
    """'Department for Children, Schools and Families' -> {DCSF, DfCSaF}; 'Ministry of Justice' -> {MJ, MoJ}."""
    words = _WORD.findall(name)
    if len(words) < 2:
        return set()
    big = "".join(w[0].upper() for w in words if w.lower() not in _SMALL_WORDS)
    mixed = "".join(w[0].lower() if w.lower() in _SMALL_WORDS else w[0].upper() for w in words)
    return {i for i in (big, mixed) if len(i) >= 2}


def _folded(text: str) -> str:
    return fold_text(text).casefold()


def _has_phrase(haystack: str, phrase: str, *, case: bool = False) -> bool:
    needle = fold_text(phrase) if case else _folded(phrase)
    if not needle:
        return False
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def _author_names(source: Source) -> tuple[list[str], list[str]]:
    """(names matched case-insensitively, short forms matched case-sensitively)."""
    names: list[str] = []
    shorts: list[str] = []
    aliases = name_aliases()
    organisations = [a.name for a in source.authors if isinstance(a, Organisation)]
    names += [a.family for a in source.authors if isinstance(a, Person)]
    for name in [*organisations, source.publisher] if source.publisher else organisations:
        names.append(name)
        shorts += list(aliases.get(name.casefold(), ())) + sorted(_initials(name))
    return names, shorts


_TITLE_HEAD = 4
"""How many leading words of a title a footnote must give, in order, to name the work."""


def _title_matches(words: str, source: Source) -> bool:
    """Whether the footnote's words (joined by spaces) hold the title's first words, in order."""
    head = " ".join(_WORD.findall(_folded(source.title))[:_TITLE_HEAD])
    return bool(head) and re.search(rf"(?<!\S){re.escape(head)}(?!\S)", words) is not None


def footnote_names(note: Footnote, source: Source, sources: dict[str, Source]) -> tuple[bool, str | None]:
    """Whether a footnote's text names the work, and which other work it names instead.

    It names the work when it gives the work's URL or the first words of its title
    (up to four, in order); or when it gives an author or publisher (a family or
    organisation name, its initials, or its acronym from kb/data/acronyms.yaml)
    and the work's year, and names no other work of the bibliography by its title.
    """
    folded = _folded(note.text)
    words = " ".join(_WORD.findall(folded))
    if source.url:
        bare = re.sub(r"^\w+://(www\.)?", "", source.url.casefold()).rstrip("/")
        if bare and bare in folded:
            return True, None
    if _title_matches(words, source):
        return True, None
    other = next((k for k, s in sources.items() if k != source.key and _title_matches(words, s)), None)
    if other is not None:
        return False, other
    names, shorts = _author_names(source)
    exact = fold_text(note.text)
    by_author = any(_has_phrase(folded, n) for n in names) or any(_has_phrase(exact, s, case=True) for s in shorts)
    return by_author and (source.year is None or str(source.year) in words.split()), None

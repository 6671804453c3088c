"""Spelling suggestions for the words of a query that no claim contains.

Every unknown word gets its own suggestion, even when the other words match
("sexualy exploited" -> "did you mean: sexually exploited?"), so no word is dropped
without saying so. A word counts as known when the index holds it or another form of
it (same Porter stem, as the index's stemming analyzer joins them: "exploiters" is
known through "exploit"). The work is bounded: words over :data:`MAX_WORD` characters
are not looked up, and candidates are only the known words within ``max_edits`` of the
word's length, compared with rapidfuzz's C edit distance (OSA) with a cutoff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

MAX_WORD = 30
"""Longer words are not looked up (no real word is this long; the query is junk)."""

COMMON = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing done down during each few for from further
get gets getting got had has have having he her here hers herself him himself his how i if in
into is it its itself just many me more most much must my myself no nor not now of off on once
only or other our ours out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we went were
what when where which while who whom whose why will with would you your yours yourself
come comes came go goes going gone make makes made take takes took taken say says said see seen
know known think tell told give given find found happen happened people person thing things way
""".split())
"""Everyday English words: never "misspelt", though a base may not hold them ("went" is not
a typo of "cent"). A query word among them that no claim holds is still unknown."""

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", re.UNICODE)


def claim_words(claims: Iterable[Any]) -> list[str]:
    """The sorted words of the claims' statements and quotes, as an index's ``words.txt``
    holds them (for a caller that has claims but no index)."""
    from kb.search.documents import text_words

    words: set[str] = set()
    for claim in claims:
        words |= text_words(f"{claim.statement} {claim.quote}")
    return sorted(words)


@lru_cache(maxsize=4)
def _lexicon(known: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str], dict[int, tuple[str, ...]]]:
    from whoosh.lang.porter import stem

    words = frozenset(known)
    stems = frozenset(stem(w) for w in known)
    by_length: dict[int, list[str]] = {}
    for word in known:
        by_length.setdefault(len(word), []).append(word)
    return words, stems, {n: tuple(ws) for n, ws in by_length.items()}


def is_known(word: str, known: Sequence[str]) -> bool:
    """Whether the index holds ``word`` or another form of it (same stem)."""
    from whoosh.lang.porter import stem

    words, stems, _ = _lexicon(tuple(known))
    w = word.casefold()
    return w in words or stem(w) in stems


def unknown_words(words: Sequence[str], known: Sequence[str]) -> list[str]:
    """The alphabetic words of ``words`` (as given, in order, once each) that no claim holds
    in any form; numbers and words of :data:`MAX_WORD` characters or more are not judged."""
    out: list[str] = []
    for word in words:
        w = word.casefold()
        if (w.isalpha() and len(w) <= MAX_WORD and word not in out
                and not is_known(w, known)):
            out.append(word)
    return out


def _closest(word: str, lengths: dict[int, tuple[str, ...]], max_edits: int) -> str | None:
    from rapidfuzz.distance import OSA, Indel

    best: tuple[int, float, int, str] | None = None
    for n in range(len(word) - max_edits, len(word) + max_edits + 1):
        for candidate in lengths.get(n, ()):
            d = OSA.distance(word, candidate, score_cutoff=max_edits)
            if d > max_edits:
                continue
            # Ties: the closer by insertions/deletions ("sexualy" -> "sexually", not
            # "sexual"), then the longer shared start, then alphabetical.
            key = (d, -Indel.normalized_similarity(word, candidate), -_prefix(word, candidate), candidate)
            if best is None or key < best:
                best = key
    return best[3] if best else None


def _prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def suggest_words(words: Sequence[str], known: Sequence[str], *, max_edits: int = 2,
                  also_known: Iterable[str] = ()) -> dict[str, str]:
    """Each unknown word of ``words`` -> the closest known word, where one is close enough.

    ``known`` is the index's word list (lower case). An edit is an insertion, deletion,
    substitution or swap of neighbours ("childern"); short words allow fewer (none up to 3
    letters, one up to 7) since a real word is often one edit from another ("prison",
    "person"). A word with no suggestion is
    absent here but listed by :func:`unknown_words`: the caller says it matched nothing.
    Words of :data:`COMMON` and of ``also_known`` (e.g. the thesaurus's words, which the
    query tree expands) are real words, never corrected.
    """
    _, _, lengths = _lexicon(tuple(known))
    real = {w.casefold() for w in also_known}
    suggestions: dict[str, str] = {}
    for word in unknown_words(words, known):
        w = word.casefold()
        if w in COMMON or w in real:
            continue
        edits = min(max_edits, 0 if len(w) <= 3 else 1 if len(w) <= 7 else 2)
        if edits == 0:
            continue
        found = _closest(w, lengths, edits)
        if found is not None:
            suggestions[word] = found
    return suggestions


def did_you_mean(text: str, suggestions: dict[str, str]) -> str | None:
    """``text`` with each suggested word replaced, as "did you mean: ...?"; None if none."""
    if not suggestions:
        return None
    lowered = {w.casefold(): s for w, s in suggestions.items()}

    def swap(match: re.Match[str]) -> str:
        return lowered.get(match.group(0).casefold(), match.group(0))

    corrected = _WORD.sub(swap, " ".join(text.split()))
    return f"did you mean: {corrected}?"

"""Spelling suggestions for the words of a query that no claim contains.

Every unknown word gets its own suggestion, even when the other words match
("sexualy exploited" -> "did you mean: sexually exploited?"), so no word is dropped
without saying so. A word counts as known when the index holds it or another form of
it (same Porter stem, as the index's stemming analyzer joins them: "exploiters" is
known through "exploit"). The work is bounded: words over :data:`MAX_WORD` characters
are not looked up, and candidates are only the known words within ``max_edits`` of the
word's length, compared with rapidfuzz's C Levenshtein with a cutoff.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

MAX_WORD = 30
"""Longer words are not looked up (no real word is this long; the query is junk)."""

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", re.UNICODE)


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
    from rapidfuzz.distance import Indel, Levenshtein

    best: tuple[int, float, int, str] | None = None
    for n in range(len(word) - max_edits, len(word) + max_edits + 1):
        for candidate in lengths.get(n, ()):
            d = Levenshtein.distance(word, candidate, score_cutoff=max_edits)
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


def suggest_words(words: Sequence[str], known: Sequence[str], *, max_edits: int = 2) -> dict[str, str]:
    """Each unknown word of ``words`` -> the closest known word, where one is close enough.

    ``known`` is the index's word list (lower case). Short words allow fewer edits (one
    for 3-5 letters, none below 3) so "cse" is not "use". A word with no suggestion is
    absent here but listed by :func:`unknown_words`: the caller says it matched nothing.
    """
    _, _, lengths = _lexicon(tuple(known))
    suggestions: dict[str, str] = {}
    for word in unknown_words(words, known):
        w = word.casefold()
        edits = min(max_edits, 0 if len(w) < 3 else 1 if len(w) <= 5 else 2)
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

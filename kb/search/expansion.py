"""Expansion of kb's query tree before translation: other spellings of a query's free words.

An :data:`Expander` sees the free words of each implicit group (a run of juxtaposed words)
and proposes :class:`Alternative` s; :func:`expand` turns each into ``Or(original words,
alternatives at their weight)``. Acronyms (``kb/data/acronyms.yaml``) are the first
expander; a new one (a thesaurus) is appended to :data:`EXPANDERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kb.search.query import And, Node, Or, Phrase, Term

__all__ = ["EXPANDERS", "Alternative", "Expander", "acronym_expander", "expand"]


@dataclass(frozen=True)
class Alternative:
    """Free words ``[start:end]`` may also be matched by ``terms`` (each a word or a phrase)
    at ``weight`` (exact words weigh 1.0); ``why`` is shown by ``kb search --explain``."""

    start: int
    end: int
    terms: list[str]
    weight: float
    why: str


Expander = Callable[[list[str]], list[Alternative]]
"""Proposes other spellings for runs of a query's free words (acronyms, a thesaurus)."""


def expand(tree: Node, expanders: list[Expander], *, phrases: bool = True) -> Node:
    """Run each expander over the runs of free words of every group; a run with alternatives
    becomes ``Or(original words, alternatives at their weight)``. With ``phrases=False`` a
    quoted phrase is left as written (a thesaurus does not widen what the user quoted)."""
    if not expanders:
        return tree
    if isinstance(tree, Phrase) and tree.field is None and phrases:
        alts = [a for e in expanders for a in e(list(tree.words)) if (a.start, a.end) == (0, len(tree.words))]
        return Or((tree, *(_alt(t, a) for a in alts for t in a.terms))) if alts else tree
    if isinstance(tree, Term) and tree.field is None:
        return _expand_run([tree], expanders)[0]
    if isinstance(tree, Or):
        return Or(_expand_items(list(tree.children), expanders, phrases))
    if isinstance(tree, And):
        return And(_expand_items(list(tree.children), expanders, phrases),
                   _expand_items(list(tree.optional), expanders, phrases))
    return tree  # NOT, filters, wildcards and fuzzy words are not expanded


def _alt(term: str, alternative: Alternative) -> Node:
    words = term.split()
    if len(words) > 1:
        return Phrase(tuple(words), None, alternative.weight, alternative.why)
    return Term(term, None, alternative.weight, alternative.why)


def _expand_items(items: list[Node], expanders: list[Expander], phrases: bool = True) -> tuple[Node, ...]:
    out: list[Node] = []
    run: list[Term] = []
    for item in items:
        if isinstance(item, Term) and item.field is None and not item.why:
            run.append(item)
            continue
        out += _expand_run(run, expanders)
        run = []
        out.append(expand(item, expanders, phrases=phrases))
    out += _expand_run(run, expanders)
    return tuple(out)


def _expand_run(run: list[Term], expanders: list[Expander]) -> list[Node]:
    if not run:
        return []
    words = [t.text for t in run]
    proposals = [a for e in expanders for a in e(words) if 0 <= a.start < a.end <= len(words) and a.terms]
    # the longest spans first; a span overlapping a chosen one is left out
    chosen: dict[tuple[int, int], list[Alternative]] = {}
    for a in sorted(proposals, key=lambda a: (a.start - a.end, a.start)):
        span = (a.start, a.end)
        if span in chosen or not any(s < a.end and a.start < e for s, e in chosen):
            chosen.setdefault(span, []).append(a)
    out: list[Node] = []
    i = 0
    for (start, end) in sorted(chosen):
        out += run[i:start]
        alternatives = [_alt(t, a) for a in chosen[(start, end)] for t in a.terms]
        out.append(Or((*run[start:end], *alternatives)))
        i = end
    out += run[i:]
    return out


def acronym_expander(words: list[str]) -> list[Alternative]:
    """Acronyms both ways: 'CSE' may be 'child sexual exploitation', and those words 'CSE'
    (``kb/data/acronyms.yaml``; a plural 's' is ignored)."""
    from kb.search.documents import acronyms

    table = acronyms()
    by_words: dict[tuple[str, ...], str] = {}
    for acronym, expansions in table.items():
        for expansion in expansions:
            by_words.setdefault(tuple(_fold(w) for w in expansion.split()), acronym)
    out = []
    folded = [_fold(w) for w in words]
    for i, word in enumerate(words):
        key = word.lower()
        key = key if key in table else key[:-1] if key.endswith("s") and key[:-1] in table else ""
        if key:
            out.append(Alternative(i, i + 1, list(table[key]), 1.0, f"acronym {key.upper()}"))
            continue
        for j in range(len(words), i + 1, -1):
            acronym = by_words.get(tuple(folded[i:j]))
            if acronym:
                out.append(Alternative(i, j, [acronym], 1.0, f"acronym {acronym.upper()}"))
                break
    return out


def _fold(word: str) -> str:
    w = word.lower().strip(".,;:?!'’")
    return w[:-1] if w.endswith("s") and len(w) > 3 else w


EXPANDERS: list[Expander] = [acronym_expander]
"""The expanders every search runs, in order (append a thesaurus here)."""

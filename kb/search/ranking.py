"""Re-scoring the engine's top hits: boosters above the engines.

An engine returns its best :data:`RESCORE_DEPTH` :class:`Candidate` s (score, stored values,
the query terms each one holds); :func:`rescore` adds each :data:`Booster`'s delta and
keeps, per hit, why it ranks where it does (``kb search --explain``). Boosters never see an
engine: a new ranking signal (question intent, say) is one function appended to
:data:`BOOSTERS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kb.search.query import TEXT_FIELDS, Node

RESCORE_DEPTH = 300
"""How many of the engine's best hits are re-scored."""
COORD_SCALE = 0.9
"""The short-query ranking of V-Twin (as Whoosh's ``OrGroup.factory(0.9)``): a claim gains
``(matched - 1) / (terms - COORD_SCALE) ** 2`` for matching more of the query's terms."""
VOCABULARY_BONUS = {"kind": 8.0, "place": 8.0, "topic": 8.0}


@dataclass
class Candidate:
    """One hit of an engine, before re-scoring."""

    id: str
    score: float
    stored: dict[str, Any]
    """What the index stores: ``statement`` and ``data`` (kind, places, topics, cites, ...)."""
    matched: frozenset[tuple[str, str]] = frozenset()
    """The query's single words this claim holds: (text field, word as indexed, a stem)."""
    words: frozenset[str] = frozenset()
    """Every query word it holds, phrase words too (as indexed), for explanations."""
    boosts: list[tuple[str, float]] = field(default_factory=list)
    """Each booster's explanation and delta, filled by :func:`rescore`."""
    engine_score: float = 0.0

    @property
    def data(self) -> dict[str, Any]:
        return self.stored.get("data", {})


@dataclass
class QueryContext:
    """What boosters know of the query."""

    text: str
    tree: Node
    terms: int
    """How many distinct single words (stems) of the query the index holds."""
    hints: list[tuple[str, str]] = field(default_factory=list)
    """(field, value) pairs the question names: ``("place", "scotland")``, ``("kind", "statistic")``."""
    why: dict[str, str] = field(default_factory=dict)
    """Stem -> the expansion that brought it (for explanations)."""
    free_words: list[str] = field(default_factory=list)
    """The query's free words without the question's own words ('how', 'many', 'should')."""


Booster = Callable[[Candidate, QueryContext], tuple[float, str]]
"""A ranking signal: the score delta for one candidate and a short explanation ('' when 0)."""


def coordination(candidate: Candidate, ctx: QueryContext) -> tuple[float, str]:
    """A claim matching more of the query's words ranks higher."""
    terms = ctx.terms
    count = sum(1 for fieldname, _ in candidate.matched if fieldname in TEXT_FIELDS)
    if terms <= 1 or not count:
        return 0.0, ""
    score = candidate.score
    new = (score + (count - 1) / (terms - COORD_SCALE) ** 2) * (terms - 1) / terms
    return new - score, f"matches {count} of {terms} query terms"


def slug(value: str) -> str:
    return "-".join(value.lower().split())


def vocabulary(candidate: Candidate, ctx: QueryContext) -> tuple[float, str]:
    """A claim carrying a kind, place or topic the question names ranks higher."""
    data = candidate.data
    extra, said = 0.0, []
    for fieldname, value in ctx.hints:
        held = {data.get("kind", "")} if fieldname == "kind" else \
            {slug(v) for v in data.get("places" if fieldname == "place" else "topics", [])}
        if value in held:
            extra += VOCABULARY_BONUS[fieldname]
            said.append(f"{fieldname}:{value}")
    return extra, ("named " + ", ".join(said)) if said else ""


BOOSTERS: list[Booster] = [coordination, vocabulary]
"""The boosters every search applies, in order (append a new signal here)."""


def rescore(candidates: list[Candidate], ctx: QueryContext, boosters: list[Booster] | None = None) -> list[Candidate]:
    """``candidates`` re-scored by ``boosters`` (default :data:`BOOSTERS`), best first; stable
    for equal scores. Each candidate's ``boosts`` records the deltas and their reasons."""
    for c in candidates:
        c.engine_score = c.score
    for booster in BOOSTERS if boosters is None else boosters:
        deltas = [booster(c, ctx) for c in candidates]  # each booster sees the score before it
        for c, (delta, why) in zip(candidates, deltas):
            if delta:
                c.score += delta
                c.boosts.append((why or getattr(booster, "__name__", "boost"), delta))
    order = sorted(range(len(candidates)), key=lambda i: (-candidates[i].score, i))
    return [candidates[i] for i in order]


# --- vocabulary hints (what a question names) ------------------------------------------------

KIND_CUES = {
    "statistic": ["how many", "how much", "number of", "numbers", "statistics", "figures", "per cent",
                  "percentage", "proportion", "rate", "count"],
    "definition": ["definition", "define", "defined", "meaning", "what is", "what does"],
    "trend": ["trend", "rise", "risen", "increase", "fall", "decline", "change over", "growing"],
    "event": ["when did", "when was", "launched", "published", "announced", "appointed"],
    "policy": ["law", "legislation", "guidance", "policy", "act", "duty", "statutory"],
    "recommendation": ["should", "recommend", "recommendation", "recommendations", "call for", "calls for"],
    "indicator": ["signs", "sign", "warning", "indicator", "indicators", "risk factors"],
    "finding": ["research", "study", "found", "survey", "evidence"],
}
"""Phrasings that suggest what kind of claim a researcher wants ("how many" -> statistic)."""


def vocabulary_hints(words: list[str], values: dict[str, list[str]], stem: Callable[[str], str],
                     descriptions: dict[str, dict[str, str]] | None = None) -> list[tuple[str, str]]:
    """(field, value) pairs whose controlled-vocabulary value the question's free ``words`` name.

    'boys and young men in Scotland' names topic boys-and-young-men and place scotland;
    'children in care' is the description of topic looked-after-children; 'how many ...'
    asks for a statistic. ``values`` are the place and topic values the index holds (slugs);
    ``stem(text)`` gives a phrase's stems joined by '-'. Hints rank, never restrict.
    """
    words = [w for w in (re.sub(r"[^\w’']", "", w.lower()) for w in words) if w]
    if not words:
        return []
    grams = {stem(" ".join(words[i:i + n])) for n in range(1, 5) for i in range(len(words) - n + 1)}
    hints = []
    for fieldname in ("place", "topic"):
        for value in values.get(fieldname, []):
            if stem(value.replace("-", " ")) in grams:
                hints.append((fieldname, value))
    said = "-" + "-".join(stem(w) for w in words) + "-"
    for fieldname, table in (descriptions or {}).items():
        for value, description in table.items():
            if fieldname in ("place", "topic") and f"-{stem(description)}-" in said \
                    and (fieldname, value) not in hints:
                hints.append((fieldname, value))
    joined = " " + " ".join(words) + " "
    for kind, cues in KIND_CUES.items():
        if any(f" {cue} " in joined for cue in cues):
            hints.append(("kind", kind))
    return hints

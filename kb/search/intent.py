"""What a question asks for, and boosters that favour claims of that shape.

"how many / what share / how much" wants numbers (statistics, trends, any claim with a
quantity); "what should / who should" wants recommendations; "what is / definition of /
what does ... mean" wants definitions; "when" wants events and dated claims; "who are /
who is" wants claims about the people involved; any other question ("why do...", "is
online abuse increasing") favours nothing. The words that only make the question ("how",
"many", "what", "should", auxiliaries...) are not search terms: :attr:`Intent.words_to_drop`
and :func:`remaining_words` (which keeps a word that is part of a thesaurus phrase such
as "how common").

Boosters are applied by the re-scoring of the engine's top candidates. They read a
candidate through :class:`CandidateLike` (``candidate.stored``, the claim's stored
values) and the query through :class:`ContextLike`; both are protocols so this module
depends on no engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

ACTOR_TOPICS = {"perpetrators": 1.0, "victims": 0.6, "service-users": 0.6, "boys-and-young-men": 0.4}
"""Topics of claims that name the people involved ("who are the perpetrators")."""


class CandidateLike(Protocol):
    """What a booster reads of a candidate: ``stored``, the claim's stored values, with the
    keys ``kind`` (str), ``values`` or ``quantities`` (list; non-empty when the claim holds
    a number), ``period`` (str or None), ``topics`` and ``places`` (lists of tag names)."""

    stored: Mapping[str, Any]


class ContextLike(Protocol):
    """What a booster reads of the query: its raw ``text`` and its ``free_words``."""

    text: str
    free_words: list[str]


Booster = Callable[[Any, Any], tuple[float, str]]


@dataclass(frozen=True)
class Intent:
    """What a question asks for. ``kinds`` weighs claim kinds (1.0 = what was asked for)."""

    kinds: dict[str, float] = field(default_factory=dict)
    wants_quantity: bool = False
    words_to_drop: set[str] = field(default_factory=set)
    why: str = ""
    topics: dict[str, float] = field(default_factory=dict)
    wants_date: bool = False

    def __bool__(self) -> bool:
        return bool(self.kinds or self.wants_quantity or self.topics or self.wants_date)


@dataclass(frozen=True)
class _Form:
    name: str
    pattern: re.Pattern[str]
    kinds: dict[str, float]
    drop: frozenset[str]
    quantity: bool = False
    date: bool = False
    topics: dict[str, float] = field(default_factory=dict)


def _form(name: str, pattern: str, kinds: dict[str, float], drop: Iterable[str], **extra: Any) -> _Form:
    return _Form(name, re.compile(pattern), kinds, frozenset(drop), **extra)


_AUX = ("is", "are", "was", "were", "do", "does", "did", "has", "have", "had", "will", "can", "could")
# Order matters: the first form that matches decides (a "what is the number of" is a
# quantity question, not a definition question).
FORMS: tuple[_Form, ...] = (
    _form("a quantity",
          r"\bhow (?:many|much|often|common|widespread|big|large|old|long)\b"
          r"|\bwhat (?:share|proportion|percentage|fraction|number|level|scale|age)\b"
          r"|\bnumber of\b|\bpercentage of\b|\bproportion of\b",
          {"statistic": 1.0, "trend": 0.5},
          ("how", "many", "much", "often", "common", "widespread", "big", "large", "old", "long", "what", "number", "of", *_AUX),
          quantity=True),
    _form("a recommendation",
          r"\b(?:what|who|which|where|how)(?: \w+)? should\b|^should\b|\bwhat (?:needs?|has|have) to be done\b|\bwhat must\b",
          {"recommendation": 1.0, "policy": 0.3}, ("what", "who", "which", "where", "how", "should", "must", "need", "needs", "done", *_AUX)),
    _form("a definition",
          r"\bwhat (?:is|was) (?:meant by )?\b|\bdefinition of\b|\bwhat does .+ mean\b|\bwhat do .+ mean\b|^define\b|\bmeaning of\b|\bwhat counts as\b",
          {"definition": 1.0}, ("what", "meant", "by", "mean", "means", "meaning", "counts", "as", "of", *_AUX)),
    _form("a date",
          r"^when\b|\bwhen (?:did|was|were|is|will|does|do|has|have)\b|\bwhat (?:year|date)\b|\bsince when\b",
          {"event": 1.0, "trend": 0.3}, ("when", "what", "year", "date", "since", *_AUX), date=True),
    _form("the people involved",
          r"\bwho (?:are|is|were|was)\b|^who\b",
          {}, ("who", *_AUX), topics=ACTOR_TOPICS),
    # Any other question: no shape to favour, but its question words are not search terms.
    _form("an answer",
          r"^(?:why|where|which|how|what|is|are|was|were|does|do|did|can|could|will|has|have)\b",
          {}, ("why", "where", "which", "how", "what", *_AUX)),
)

_TOKEN = re.compile(r"[\w'’-]+")


def detect_intent(text: str) -> Intent:
    """The intent of a question (an empty, falsy Intent for a plain keyword query)."""
    lowered = " ".join(_TOKEN.findall(text.casefold()))
    for form in FORMS:
        match = form.pattern.search(lowered)
        if match is None:
            continue
        # Only the question's own words are dropped: those of the matched form and the
        # auxiliaries before the subject, never a word that is the subject ("number" in
        # "how many" stays dropped; "share" in "what share" stays a search term).
        words = set(lowered.split())
        drop = {w for w in match.group(0).split() if w in form.drop} | {w for w in _AUX if w in words}
        return Intent(dict(form.kinds), form.quantity, drop,
                      f"question asks for {form.name} ('{match.group(0).strip()}')", dict(form.topics), form.date)
    return Intent()


def remaining_words(words: Sequence[str], intent: Intent, phrases: Iterable[Any] = ()) -> list[str]:
    """``words`` without the question's own words (compared case-insensitively).

    ``phrases`` are the query's expansions (objects with ``start`` and ``end``, such as a
    thesaurus :class:`~kb.search.thesaurus.Alternative`): a word inside a phrase they
    match ("how common" -> prevalence, "how old" -> age) is kept, so run the expanders on
    the whole question first. Never empty when ``words`` is not: a question made only of
    question words keeps its words.
    """
    covered = {i for p in phrases if p.end - p.start > 1 for i in range(p.start, p.end)}
    kept = [w for i, w in enumerate(words) if i in covered or w.casefold() not in intent.words_to_drop]
    return kept or list(words)


_NUMBER = re.compile(r"\d|\bper cent\b|\b(?:a|one|two) (?:third|quarter|half|fifth)s?\b|\bhalf\b")


def _has_quantity(stored: Mapping[str, Any]) -> bool:
    if "values" in stored or "quantities" in stored:
        return bool(stored.get("values") or stored.get("quantities"))
    return bool(_NUMBER.search(str(stored.get("statement", ""))))


def _values(candidate: Any) -> Mapping[str, Any]:
    """A candidate's stored values, flat: kb's :class:`~kb.search.ranking.Candidate` keeps
    kind, topics, places and period under ``stored["data"]``."""
    stored = candidate.stored
    data = stored.get("data")
    return {**stored, **data} if isinstance(data, Mapping) else stored


def make_intent_booster(intent: Intent, *, scale: float = 1.0) -> Booster:
    """A booster adding ``scale`` x (the kind's weight, + 0.5 for a quantity when numbers are
    wanted, + 0.5 for a period when a date is wanted, + the best actor topic's weight)."""

    def boost(candidate: CandidateLike, context: ContextLike) -> tuple[float, str]:
        stored = _values(candidate)
        delta, reasons = 0.0, []
        kind = stored.get("kind")
        if kind in intent.kinds:
            delta += intent.kinds[kind]
            reasons.append(f"kind {kind}")
        if intent.wants_quantity and _has_quantity(stored):
            delta += 0.5
            reasons.append("holds a number")
        if intent.wants_date and stored.get("period"):
            delta += 0.5
            reasons.append(f"dated {stored.get('period')}")
        weights = [intent.topics[t] for t in stored.get("topics") or () if t in intent.topics]
        if weights:
            delta += max(weights)
            reasons.append("about " + ", ".join(t for t in stored.get("topics") or () if t in intent.topics))
        if not delta:
            return 0.0, ""
        return scale * delta, f"{intent.why}: {', '.join(reasons)} (+{scale * delta:.2f})"

    return boost


# ---------------------------------------------------------------- tags as matches

_STOP = frozenset(
    "a an and are as at be by can for from have how if in is it may not of on or that the this to "
    "us we what when where which who why will with yet you your do does did their them they there".split()
)


def _stem_words(text: str) -> set[str]:
    from whoosh.lang.porter import stem

    return {stem(w) for w in re.findall(r"[a-z0-9]+", text.casefold().replace("'", "").replace("’", ""))
            if w not in _STOP}


def tag_booster(vocabulary: Any, *, scale: float = 1.0, common: int = 3,
                expander: Callable[[list[str]], list[Any]] | None = None,
                named: Iterable[str] = ()) -> Booster:
    """A booster for claims whose topic or place tags match the query's words.

    ``vocabulary`` is a :class:`kb.model.schema.Vocabulary` or a mapping with ``topics``
    and ``places`` (name -> description). A query word (stemmed) equal to a word of a
    tag's name counts 1.0 shared among the name's words (one of "national action plan" is 1/3), a word of its description 0.5; words found in the descriptions
    of more than ``common`` tags ("children", "abuse") say nothing about a tag and do
    not count. With an ``expander`` the words' expansions count too, at their weight.
    Tags in ``named`` (those the query names outright, which another booster already
    rewards) do not count again.
    """
    skip = set(named)
    def get(name: str) -> Mapping[str, str]:
        return getattr(vocabulary, name, None) or (vocabulary.get(name, {}) if isinstance(vocabulary, Mapping) else {})

    tags: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    frequency: dict[str, int] = {}
    for field_name in ("topics", "places"):
        for name, description in get(field_name).items():
            described = _stem_words(description)
            tags[(field_name, name)] = (_stem_words(name.replace("-", " ")), described)
            for word in described:
                frequency[word] = frequency.get(word, 0) + 1

    memo: dict[tuple[str, ...], dict[str, float]] = {}

    def query_words(words: list[str]) -> dict[str, float]:
        if tuple(words) not in memo:
            weighted: dict[str, float] = {}
            for word in _stem_words(" ".join(words)):
                weighted[word] = 1.0
            if expander is not None:
                for alt in expander(words):
                    for word in _stem_words(" ".join(alt.terms)):
                        weighted[word] = max(weighted.get(word, 0.0), alt.weight)
            memo[tuple(words)] = weighted
        return memo[tuple(words)]

    def boost(candidate: CandidateLike, context: ContextLike) -> tuple[float, str]:
        weighted = query_words(list(context.free_words))
        stored = _values(candidate)
        best: dict[str, tuple[float, str]] = {}
        for field_name in ("topics", "places"):
            for tag in stored.get(field_name) or ():
                if "-".join(str(tag).lower().split()) in skip:
                    continue
                names, described = tags.get((field_name, tag), (_stem_words(str(tag)), set()))
                for word, weight in weighted.items():
                    score = weight / len(names) if word in names else (
                        0.5 * weight if word in described and frequency.get(word, 0) <= common else 0.0)
                    if score > best.get(word, (0.0, ""))[0]:
                        best[word] = (score, tag)
        if not best:
            return 0.0, ""
        delta = scale * sum(score for score, _ in best.values())
        matched = sorted({tag for _, tag in best.values()})
        return delta, f"tag {', '.join(matched)} matches the query (+{delta:.2f})"

    return boost

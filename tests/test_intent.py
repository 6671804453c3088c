"""Question intent and the boosters that favour claims of the asked-for shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from kb.search.intent import detect_intent, make_intent_booster, remaining_words, tag_booster
from kb.search.thesaurus import make_thesaurus_expander
from kb.store.loader import load_kb
from tests.conftest import ROOT


@dataclass
class Candidate:
    stored: dict[str, Any]


@dataclass
class Context:
    text: str
    free_words: list[str] = field(default_factory=list)


def stored(claim_id: str) -> dict[str, Any]:
    """A bundled claim's values in the shape the re-scoring hands a booster."""
    claim = load_kb(ROOT).claims[claim_id]
    return {"kind": claim.kind, "topics": list(claim.topics), "places": list(claim.places),
            "quantities": list(claim.quantities), "period": claim.period}


@pytest.mark.parametrize(("question", "top_kind", "kept"), [
    ("how many people were convicted", "statistic", ["people", "convicted"]),
    ("What share of service users are boys?", "statistic", ["share", "of", "service", "users", "boys?"]),
    ("what should schools do", "recommendation", ["schools"]),
    ("what should local authorities do at a minimum", "recommendation", ["local", "authorities", "at", "a", "minimum"]),
    ("how old are the victims", "statistic", ["the", "victims"]),
    ("Who should lead on CSE", "recommendation", ["lead", "on", "CSE"]),
    ("what is child sexual exploitation", "definition", ["child", "sexual", "exploitation"]),
    ("what does grooming mean", "definition", ["grooming"]),
    ("when was the action plan published", "event", ["the", "action", "plan", "published"]),
])
def test_question_forms_set_intent_and_drop_question_words(question: str, top_kind: str, kept: list[str]) -> None:
    intent = detect_intent(question)
    assert max(intent.kinds, key=intent.kinds.get) == top_kind
    assert remaining_words(question.split(), intent) == kept
    assert intent.why.startswith("question asks for ")


def test_words_of_a_thesaurus_phrase_are_kept() -> None:
    from kb.search.thesaurus import make_thesaurus_expander

    words = "how common is exploitation in Northern Ireland".split()
    intent = detect_intent(" ".join(words))
    assert intent.wants_quantity and {"how", "common", "is"} <= intent.words_to_drop
    # "how common" is a thesaurus phrase (prevalence): its words stay to be matched as one.
    assert remaining_words(words, intent, make_thesaurus_expander()(words))[:2] == ["how", "common"]
    assert remaining_words(words, intent)[:2] == ["exploitation", "in"]


def test_other_questions_drop_their_question_words_without_favouring_a_kind() -> None:
    for question, kept in [("why do victims not give evidence in court", "victims not give evidence in court"),
                           ("where can victims get help", "victims get help"),
                           ("is online abuse increasing", "online abuse increasing")]:
        intent = detect_intent(question)
        assert not intent and not intent.kinds
        assert " ".join(remaining_words(question.split(), intent)) == kept


def test_keyword_queries_have_no_intent() -> None:
    for query in ("grooming online", "convictions in 2010", "looked-after children missing"):
        intent = detect_intent(query)
        assert not intent and not intent.words_to_drop
        assert remaining_words(query.split(), intent) == query.split()


def test_who_questions_favour_actors() -> None:
    intent = detect_intent("who are the perpetrators")
    assert intent.topics["perpetrators"] == max(intent.topics.values())
    assert remaining_words(["who", "are", "the", "perpetrators"], intent) == ["the", "perpetrators"]


def test_a_question_of_question_words_only_keeps_its_words() -> None:
    assert remaining_words(["how", "many"], detect_intent("how many")) == ["how", "many"]


def test_quantity_booster_prefers_the_national_conviction_figure() -> None:
    boost = make_intent_booster(detect_intent("how many people were convicted"))
    ctx = Context("how many people were convicted", ["people", "convicted"])
    claims = load_kb(ROOT).claims
    figure = next(c for c in claims if "57 people" in claims[c].quote)
    recommendation = next(c for c in claims if claims[c].kind == "recommendation")
    delta, why = boost(Candidate(stored(figure)), ctx)
    assert delta > boost(Candidate(stored(recommendation)), ctx)[0]
    assert "kind statistic" in why and "quantity ('how many')" in why


def test_recommendation_booster_scales() -> None:
    boost = make_intent_booster(detect_intent("what should schools do"), scale=2.0)
    assert boost(Candidate({"kind": "recommendation"}), Context("x"))[0] == 2.0
    assert boost(Candidate({"kind": "finding"}), Context("x")) == (0.0, "")


def test_when_booster_prefers_dated_events() -> None:
    boost = make_intent_booster(detect_intent("when was the action plan published"))
    ctx = Context("when was the action plan published", ["action", "plan", "published"])
    claims = load_kb(ROOT).claims
    event = next(c for c in claims if claims[c].kind == "event" and claims[c].period)
    undated = next(c for c in claims if claims[c].kind == "finding" and not claims[c].period)
    delta, why = boost(Candidate(stored(event)), ctx)
    assert delta == 1.5 and "kind event" in why and f"dated {claims[event].period}" in why
    assert boost(Candidate(stored(undated)), ctx) == (0.0, "")


def test_tag_booster_matches_tag_names_and_descriptions() -> None:
    vocabulary = load_kb(ROOT).vocabulary
    boost = tag_booster(vocabulary)
    perpetrators = Candidate({"topics": ["perpetrators"], "places": []})
    other = Candidate({"topics": ["online"], "places": []})
    delta, why = boost(perpetrators, Context("who are the perpetrators", ["perpetrators"]))
    assert delta == 1.0 and "perpetrators" in why
    assert boost(other, Context("who are the perpetrators", ["perpetrators"])) == (0.0, "")
    # A description word: topic 'prosecution' is "charges, prosecutions and convictions of abusers".
    prosecution = Candidate({"topics": ["prosecution"], "places": []})
    assert boost(prosecution, Context("convicted", ["convicted"]))[0] == 0.5
    # ... but a word in many descriptions ("abusers" is in four) says nothing about a tag.
    assert boost(prosecution, Context("abusers", ["abusers"]))[0] == 0.0
    # Places count too.
    assert boost(Candidate({"topics": [], "places": ["Wales"]}), Context("wales", ["wales"]))[0] == 1.0


def test_tag_booster_with_thesaurus_expansions() -> None:
    vocabulary = load_kb(ROOT).vocabulary
    plain = tag_booster(vocabulary)
    expanded = tag_booster(vocabulary, expander=make_thesaurus_expander())
    wales = Candidate({"topics": [], "places": ["Wales"]})
    ctx = Context("devolved nations", ["devolved", "nations"])
    assert plain(wales, ctx)[0] == 0.0
    assert expanded(wales, ctx)[0] == pytest.approx(0.7)

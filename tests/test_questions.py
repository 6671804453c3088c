"""Questions in a user's own words (issue 12's examples): each finds its claims in the top 5,
on both engines, through the thesaurus, the question's intent, tags and spelling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.search.searcher import run_search

ENGINES = ["whoosh", "tantivy"]
DEVOLVED = {"Scotland", "Wales", "Northern Ireland"}


def top(root: Path, question: str, engine: str, k: int = 5):
    return run_search(root, question, limit=k, engine=engine).hits


@pytest.mark.parametrize("engine", ENGINES)
def test_how_many_people_were_convicted_finds_the_57_found_guilty(bundled_kb: Path, engine: str) -> None:
    hits = top(bundled_kb, "how many people were convicted", engine)
    assert any("57 people" in h.statement and "found guilty" in h.statement for h in hits), [h.id for h in hits]


@pytest.mark.parametrize("engine", ENGINES)
def test_what_should_schools_do_finds_a_school_recommendation(bundled_kb: Path, engine: str) -> None:
    hits = top(bundled_kb, "what should schools do", engine)
    assert any(h.kind == "recommendation" and ("education" in h.topics or "school" in h.statement.lower())
               for h in hits), [(h.id, h.kind) for h in hits]


@pytest.mark.parametrize("engine", ENGINES)
def test_who_are_the_perpetrators_counts_the_topic_as_a_match(bundled_kb: Path, engine: str) -> None:
    outcome = run_search(bundled_kb, "who are the perpetrators", limit=5, engine=engine)
    tagged = run_search(bundled_kb, "topic:perpetrators", limit=None, engine=engine)
    assert outcome.total >= tagged.total  # every claim tagged perpetrators matches
    assert sum("perpetrators" in h.topics for h in outcome.hits) >= 4, [(h.id, h.topics) for h in outcome.hits]


@pytest.mark.parametrize("engine", ENGINES)
def test_devolved_nations_finds_scotland_wales_and_northern_ireland(bundled_kb: Path, engine: str) -> None:
    hits = top(bundled_kb, "devolved nations", engine)
    assert hits and all(DEVOLVED & set(h.places) for h in hits), [(h.id, h.places) for h in hits]


@pytest.mark.parametrize("engine", ENGINES)
def test_how_many_children_go_missing_finds_the_statistics(bundled_kb: Path, engine: str) -> None:
    hits = top(bundled_kb, "how many children go missing", engine)
    wanted = ("44 per cent of all its service users", "over half of all young people")
    assert any(w in h.statement for h in hits for w in wanted), [h.id for h in hits]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_misspelt_word_among_correct_ones_is_suggested_and_named(bundled_kb: Path, engine: str) -> None:
    outcome = run_search(bundled_kb, "sexualy exploited", limit=5, engine=engine)
    assert outcome.suggestion == "sexually exploited"
    assert outcome.unmatched == ["sexualy"]
    assert outcome.hits and all("exploit" in h.statement.lower() for h in outcome.hits)


def test_each_unknown_word_gets_its_suggestion(bundled_kb: Path) -> None:
    outcome = run_search(bundled_kb, "sexualy exploted boys", limit=5)
    assert outcome.suggestion == "sexually exploited boys"
    assert outcome.unmatched == ["sexualy", "exploted"]


def test_a_known_query_has_no_suggestion(bundled_kb: Path) -> None:
    outcome = run_search(bundled_kb, "sexually exploited boys", limit=5)
    assert outcome.suggestion is None and outcome.unmatched == []


def test_cli_says_did_you_mean_and_names_the_unmatched_word(bundled_kb: Path, run) -> None:
    result = run("--kb", bundled_kb, "search", "sexualy exploited zzqxv", "--limit", "2")
    assert result.exit_code == 0
    assert "did you mean: sexually exploited zzqxv?" in result.stderr
    assert "no claim holds 'sexualy', 'zzqxv': searched the other words" in result.stderr
    data = json.loads(run("--kb", bundled_kb, "search", "sexualy exploited", "--json").stdout)
    assert data["suggestion"] == "sexually exploited" and data["unmatched"] == ["sexualy"]


def test_explain_shows_synonyms_intent_and_tags(bundled_kb: Path, run) -> None:
    result = run("--kb", bundled_kb, "search", "how many people were convicted", "--explain", "--limit", "5")
    assert result.exit_code == 0
    assert "via: synonym of 'convicted'" in result.stdout
    assert "question asks for a quantity ('how many')" in result.stdout
    assert "tag prosecution matches the query" in result.stdout


def test_question_words_are_not_search_terms(bundled_kb: Path) -> None:
    hits = run_search(bundled_kb, "how many people were convicted", limit=20).hits
    assert all(not {"how", "mani", "were"} & set(h.matched) for h in hits)


def test_a_base_thesaurus_extends_search(bundled_kb: Path) -> None:
    before = {h.id for h in run_search(bundled_kb, "miscreants", limit=None).hits}
    (bundled_kb / "thesaurus.yaml").write_text("groups:\n  - [miscreants, abusers]\n", encoding="utf-8")
    hits = run_search(bundled_kb, "miscreants", limit=None).hits
    abusers = {h.id for h in run_search(bundled_kb, '"abusers"', limit=None).hits}  # quoted: as written
    assert not before and hits and {h.id for h in hits} == abusers
    assert any("synonym of 'miscreants'" in e for h in hits for e in h.expansions)


def test_a_quoted_phrase_is_not_widened_by_the_thesaurus(bundled_kb: Path) -> None:
    loose = {h.id for h in run_search(bundled_kb, "convicted", limit=None).hits}
    quoted = run_search(bundled_kb, '"convicted"', limit=None).hits
    assert all("convict" in h.statement.lower() for h in quoted)
    assert len(loose) > len(quoted)

"""kb's query tree: the parser, its bounds and messages, expansion, and the CLI's validation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.errors import BadInput
from kb.search.expansion import EXPANDERS, Alternative, acronym_expander, expand
from kb.search.query import (
    MAX_QUERY,
    And,
    Filter,
    Fuzzy,
    Not,
    Or,
    Phrase,
    Range,
    Term,
    Wildcard,
    parse,
)


@pytest.mark.parametrize("text, tree", [
    ("missing", Term("missing")),
    ("going missing", Or((Term("going"), Term("missing")))),
    ('"greater risk"', Phrase(("greater", "risk"))),
    ('place:"Northern Ireland"', Filter("place", "Northern Ireland")),
    ("places:wales", Filter("place", "wales")),
    ("value:>=100", Range("value", 100, None, True, True)),
    ("value:<10.5", Range("value", None, 10.5, True, False)),
    ("year:2010..2012", Range("year", 2010, 2012)),
    ("year:{2009 TO 2011]", Range("year", 2009, 2011, False, True)),
    ("year:2010", Range("year", 2010, 2010)),
    ("exploit*", Wildcard(None, "exploit*")),
    ("place:eng*", Wildcard("place", "eng*")),
    ("convictons~", Fuzzy(None, "convictons", 1)),
    ("convictons~2", Fuzzy(None, "convictons", 2)),
    ("NOT place:uk", Not(Filter("place", "uk"))),
    ("a AND b OR c", Or((And((Term("a"), Term("b"))), Term("c")))),
    # filters restrict, free words rank
    ("missing place:england", And((Filter("place", "england"),), (Term("missing"),))),
    # without a positive filter a word must match
    ("exploitation NOT place:uk", And((Not(Filter("place", "uk")), Term("exploitation")))),
    ("(a OR b) kind:statistic", And((Filter("kind", "statistic"),), (Or((Term("a"), Term("b"))),))),
])
def test_parse(text: str, tree: object) -> None:
    assert parse(text) == tree


def test_status_option_is_a_filter() -> None:
    assert parse("missing", status="verified") == And((Filter("status", "verified"),), (Term("missing"),))


@pytest.mark.parametrize("text, message", [
    ('going "missing', "the quote at column 7 is never closed"),
    ("(going missing", "the '(' at column 1 is never closed"),
    ("going) missing", "')' at column 6 closes no '('"),
    ('place:"Northern', "the quote at column 7 is never closed"),
    ("year:[2010 TO", "the range at column 6 is never closed"),
    ("value:abc", "is not a valid number"),
    ("plase:england", "unknown search field 'plase:' at column 1"),
    ("word~5", "allows 5 edits (at most 2)"),
    ("*", "has no letters"),
    ("", "empty search query"),
    ("AND OR", "has no searchable words"),
])
def test_bad_queries_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(BadInput) as info:
        parse(text)
    assert message in info.value.message


def test_a_long_query_is_refused_and_echoed_short() -> None:
    with pytest.raises(BadInput) as info:
        parse("missing " * 20_000)
    assert f"characters long (at most {MAX_QUERY:,})" in info.value.message
    assert len(info.value.message) < 200
    with pytest.raises(BadInput) as info:
        parse("x" * 500 + " y")
    assert "the word at column 1 of the query is 500 characters long" in info.value.message


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_any_string_is_a_tree_or_bad_input(text: str) -> None:
    try:
        tree = parse(text)
    except BadInput as exc:
        assert exc.message and "\n" not in exc.message.strip()
        return
    assert tree is not None
    expand(tree, EXPANDERS)


@given(st.lists(st.sampled_from(["missing", '"greater risk"', "place:uk", "NOT", "AND", "OR", "(", ")", "cse",
                                 "year:2010..2011", "exp*", "word~", "kind:statistic", "value:>=5"]), max_size=12))
@settings(max_examples=300, deadline=None)
def test_query_language_combinations_parse_or_refuse(parts: list[str]) -> None:
    try:
        parse(" ".join(parts))
    except BadInput:
        pass


# --- expansion -------------------------------------------------------------------------------


def test_acronym_expander_both_ways() -> None:
    assert acronym_expander(["CSE", "police"]) == [
        Alternative(0, 1, ["child sexual exploitation"], 1.0, "acronym CSE")]
    found = acronym_expander(["tackling", "child", "sexual", "exploitation"])
    assert found == [Alternative(1, 4, ["cse"], 1.0, "acronym CSE")]


def test_expanders_become_or_of_original_and_alternatives() -> None:
    def thesaurus(words: list[str]) -> list[Alternative]:
        return [Alternative(i, i + 1, ["found guilty", "conviction"], 0.6, "synonym of convicted")
                for i, w in enumerate(words) if w == "convicted"]

    tree = expand(parse("people convicted place:uk"), [thesaurus])
    assert tree == And((Filter("place", "uk"),), (
        Term("people"),
        Or((Term("convicted"), Phrase(("found", "guilty"), None, 0.6, "synonym of convicted"),
            Term("conviction", None, 0.6, "synonym of convicted"))),
    ))
    # NOT and phrases of other words are left alone
    assert expand(parse("NOT convicted"), [thesaurus]) == parse("NOT convicted")


# --- validation against the base (CLI) ---------------------------------------------------------


@pytest.mark.parametrize("query, valid", [
    ("kind:statistics", "valid kind values: "),
    ("status:done", "valid status values: unreviewed, verified, disputed, needs-work, stale"),
    ("missing place:atlantis", "valid place values: "),
    ("topic:nonesuch", "valid topic values: "),
])
def test_unknown_filter_values_exit_2_listing_valid_ones(run, small_kb: Path, query: str, valid: str) -> None:
    r = run("--kb", small_kb, "search", query)
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: unknown ") and valid in r.stderr and r.stderr.count("\n") == 1


def test_unknown_kind_lists_the_kinds(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "search", "kind:statistics")
    assert "statistic" in r.stderr.split("valid kind values: ")[1]


def test_place_acronym_reads_as_the_place(bundled_kb: Path) -> None:
    from kb.search.searcher import run_search

    # NI is in kb/data/acronyms.yaml as Northern Ireland, a place of the bundled base
    assert run_search(bundled_kb, "place:NI", limit=None).total == \
        run_search(bundled_kb, 'place:"Northern Ireland"', limit=None).total > 0


@pytest.mark.parametrize("query, where", [('going "missing', "column 7"), ("(going missing", "column 1")])
def test_cli_unbalanced_query(run, small_kb: Path, query: str, where: str) -> None:
    r = run("--kb", small_kb, "search", query)
    assert r.exit_code == 2 and r.stderr.startswith("Error: cannot parse the query") and where in r.stderr


@pytest.mark.parametrize("query", ["x" * 10_000, "missing " * 12_500])
def test_huge_queries_exit_2_with_a_short_echo(run, bundled_kb: Path, query: str) -> None:
    r = run("--kb", bundled_kb, "search", query)
    assert r.exit_code == 2 and r.stderr.startswith("Error: ") and len(r.stderr) < 300


def test_facet_labels_as_stats_prints_them(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "search", "exploitation", "--facet", "place")
    assert "\n  England and Wales  " in r.stdout and "england-and-wales" not in r.stdout


def test_json_carries_total_exact_facets_highlights_for_filters_only(run, small_kb: Path) -> None:
    import json

    r = run("--kb", small_kb, "search", "kind:statistic", "--json", "--facet", "kind")
    data = json.loads(r.stdout)
    assert data["total"] == 2 and data["exact"] is True and data["facets"] == {"kind": {"statistic": 2}}
    assert all(h["highlights"] == [] for h in data["hits"])


def test_explain_shows_matched_words_expansions_and_boosts(run, bundled_kb: Path) -> None:
    r = run("--kb", bundled_kb, "search", "CSE police Scotland", "--explain", "--limit", "3")
    assert r.exit_code == 0
    blocks = r.stdout.split("\n\n")[:3]
    assert all("\n  score " in b and "\n  matched: " in b for b in blocks)
    assert any("via: acronym CSE" in b for b in blocks)
    assert any("named place:scotland" in b for b in blocks)  # the vocabulary booster
    assert any(" query terms)" in b for b in blocks)  # the coordination booster


# --- argument-parser errors -------------------------------------------------------------------


@pytest.mark.parametrize("argv, message", [
    (["search"], "Error: Missing argument 'QUERY'."),
    (["search", "x", "--limit", "abc"], "Error: Invalid value for '--limit'"),
    (["search", "x", "--bogus"], "Error: No such option: --bogus"),
    (["nonesuch"], "Error: No such command 'nonesuch'."),
    (["show"], "Error: Missing argument"),
    (["index", "--engine"], "Error: Option '--engine' requires an argument."),
])
def test_usage_errors_are_one_error_line(argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from kb.cli import main

    monkeypatch.setattr(sys, "argv", ["kb", *argv])
    with pytest.raises(SystemExit) as info:
        main()
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.startswith(message) and err.count("\n") == 1 and "Usage:" not in err

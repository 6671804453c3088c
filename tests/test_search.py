"""kb search: query language, ranking, output contract (library and CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.errors import BadInput
from kb.search.searcher import run_search, search, search_ids


ENGINES = ["whoosh", "tantivy"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Every test of this module runs on both engines (the base chooses in its kb.yaml)."""
    return request.param


@pytest.fixture
def small_kb(small_kb: Path, engine: str) -> Path:
    (small_kb / "kb.yaml").write_text(f"engine: {engine}\n")
    return small_kb


@pytest.fixture
def bundled_kb(bundled_kb: Path, engine: str) -> Path:
    (bundled_kb / "kb.yaml").write_text(f"engine: {engine}\n")
    return bundled_kb


def ids(root: Path, query: str, **kwargs) -> list[str]:
    return search_ids(root, query, **kwargs)


def test_free_words_rank_by_how_many_match(small_kb: Path) -> None:
    hits = search(small_kb, "children missing exploitation")
    assert hits[0].id == "tst-0003"  # the only claim with all three words
    assert {"tst-0001", "tst-0005"} <= {h.id for h in hits}  # 'exploitation' alone is enough


def test_words_are_stemmed(small_kb: Path) -> None:
    assert "tst-0004" in ids(small_kb, "convicted")


@pytest.mark.parametrize("query, expected", [
    ("exploitation place:england", ["tst-0002"]),
    ('place:"England and Wales"', ["tst-0004", "tst-0005"]),
    ("place:england-and-wales", ["tst-0004", "tst-0005"]),
    ("kind:statistic", ["tst-0001", "tst-0004"]),
    ("topic:prosecution", ["tst-0004"]),
    ("source:jago", ["tst-0002"]),
    ("source:moj2011criminal", ["tst-0004"]),
    ('source:"ministry of justice"', ["tst-0004"]),
    ("source:moj", ["tst-0004"]),  # an organisation's acronym
    ("year:2010", ["tst-0004"]),
    ("year:[2003 TO 2009]", ["tst-0004", "tst-0005"]),
    ("period:2019-20", ["tst-0001"]),
    ("status:verified", ["tst-0005"]),
    ("value:>=1000", ["tst-0001"]),
    ("value:[10 TO 60]", ["tst-0004", "tst-0006"]),
    ("value:<10.5", ["tst-0006"]),
    ("kind:statistic OR kind:trend", ["tst-0001", "tst-0004", "tst-0006"]),
    ("kind:statistic AND place:uk", ["tst-0001"]),
    ("exploitation NOT place:uk", ["tst-0002", "tst-0005"]),
    ('"greater risk"', ["tst-0003"]),
    ("convict*", ["tst-0004"]),
    ("missin*", ["tst-0003"]),
    ("convictons~", ["tst-0004"]),
    ("id:tst-0007", ["tst-0007"]),
])
def test_query_language(small_kb: Path, query: str, expected: list[str]) -> None:
    assert sorted(ids(small_kb, query)) == expected


def test_filters_restrict_and_free_words_rank(small_kb: Path) -> None:
    # 'missing' matches tst-0003 (UK); the England filter excludes it, and every England claim
    # is returned even though none holds 'missing'
    assert ids(small_kb, "missing place:england") == ["tst-0002"]
    # within what the filters allow, the words rank
    assert ids(small_kb, "convictions place:england-and-wales")[0] == "tst-0004"
    assert sorted(ids(small_kb, "convictions place:england-and-wales")) == ["tst-0004", "tst-0005"]
    # without a positive filter, a word must match; NOT excludes
    assert "tst-0004" not in ids(small_kb, "exploitation NOT place:uk")


def test_highlights_with_filters(small_kb: Path) -> None:
    hit = search(small_kb, "convictions place:england-and-wales")[0]
    start, end = hit.highlights[0]
    assert hit.statement[start:end] == "convictions"


def test_acronyms_expand_both_ways(small_kb: Path) -> None:
    # tst-0002 cites Jago et al., whose title says "child sexual exploitation"
    assert "tst-0002" in ids(small_kb, "CSE")
    assert "tst-0002" in ids(small_kb, "cse")


def test_expansion_finds_the_acronym(tmp_path: Path) -> None:
    from tests.conftest import SMALL_KB, copy_kb

    root = copy_kb(SMALL_KB, tmp_path / "kb")
    path = root / "claims" / "testorg2020study.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Children who go missing are at greater risk of exploitation.",
                                 "Children who go missing are at greater risk of CSE.", 1), encoding="utf-8")
    assert ids(root, '"child sexual exploitation"')[:1] == ["tst-0003"]
    assert "tst-0003" in ids(root, "child sexual exploitation")


def test_status_argument_filters(small_kb: Path) -> None:
    assert search_ids(small_kb, "sexual", status="verified") == ["tst-0005"]
    assert "tst-0005" not in search_ids(small_kb, "sexual", status="unreviewed")
    with pytest.raises(BadInput):
        search_ids(small_kb, "sexual", status="approved")


def test_hits_carry_what_a_result_needs(small_kb: Path) -> None:
    hit = search(small_kb, "convictions")[0]
    assert hit.id == "tst-0004" and hit.kind == "statistic"
    assert hit.cites == [{"key": "moj2011criminal", "label": "Ministry of Justice (2011)", "footnote": 2,
                          "locator": "Table S5.7"}]
    assert hit.places == ["England and Wales"] and hit.topics == ["prosecution"]
    assert hit.period == "2009-2010" and hit.status == "unreviewed" and len(hit.fingerprint) == 16
    assert "89 convictions" in hit.quote
    start, end = hit.highlights[0]
    assert hit.statement[start:end] == "convictions"


def test_search_ids_rank_order_and_limit(small_kb: Path) -> None:
    everything = search_ids(small_kb, "exploitation")
    assert len(everything) == 5
    assert search_ids(small_kb, "exploitation", limit=2) == everything[:2]


def test_facets_count_all_hits(small_kb: Path) -> None:
    outcome = run_search(small_kb, "exploitation", limit=1, facets=("kind", "place", "status", "year", "source"))
    assert outcome.total == 5 and len(outcome.hits) == 1
    # labels as `kb stats` prints them
    assert outcome.facets["place"] == {"UK": 3, "England": 1, "England and Wales": 1}
    assert outcome.facets["status"] == {"unreviewed": 4, "verified": 1}
    assert outcome.facets["year"]["2011"] == 1
    assert outcome.facets["source"] == {"jago2011whats": 1, "sexualoffencesact2003": 1}


@pytest.mark.parametrize("query", ["value:abc", "plase:england", "", "   ", "year:[2010 TO"])
def test_bad_queries_are_bad_input(small_kb: Path, query: str) -> None:
    with pytest.raises(BadInput):
        search(small_kb, query)


# --- the command -----------------------------------------------------------------------


def test_cli_plain_output(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "search", "convictions")
    assert r.exit_code == 0
    assert r.stdout.startswith("tst-0004  [statistic]  Ministry of Justice (2011), cited in Test Organisation (2020)\n"
                               "  In England and Wales")
    assert "\x1b[" not in r.stdout
    assert "1 claim(s) match 'convictions'" in r.stdout


def test_cli_json_contract(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "search", "exploitation", "--json", "--limit", "3")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert {"query", "total", "exact", "facets", "suggestion", "hits"} <= set(data)
    assert data["total"] == 5 and data["exact"] is True and data["facets"] == {}
    hits = data["hits"]
    assert len(hits) == 3
    for hit in hits:
        assert {"id", "score", "statement", "kind", "cites", "quote", "places", "topics", "period", "status",
                "fingerprint", "highlights"} <= set(hit)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_cli_facet(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "search", "exploitation", "--facet", "kind")
    assert r.exit_code == 0
    assert "By kind\n" in r.stdout and "  statistic" in r.stdout


def test_cli_nothing_found_suggests(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "search", "convictons")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: no claims match 'convictons'")
    assert "did you mean: convictions" in r.stderr


def test_cli_nothing_found_without_suggestion(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "search", "xylophone")
    assert r.exit_code == 1 and "did you mean" not in r.stderr


@pytest.mark.parametrize("query, reason", [("value:abc", "not a valid number"),
                                           ("plase:england", "did you mean 'place:'")])
def test_cli_unparseable_query(run, small_kb: Path, query: str, reason: str) -> None:
    r = run("--kb", small_kb, "search", query)
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: ") and reason in r.stderr and "Traceback" not in r.stderr


def test_cli_bad_facet(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "search", "x", "--facet", "colour")
    assert r.exit_code == 2 and "cannot count hits by 'colour'" in r.stderr


def test_cli_on_the_bundled_base(run, bundled_kb: Path) -> None:
    r = run("--kb", bundled_kb, "search", "CSE", "--json", "--limit", "3")
    assert r.exit_code == 0
    assert len(json.loads(r.stdout)["hits"]) == 3


@pytest.mark.parametrize("query", ["going missing", "sexual", "boys and young men", "kind:statistic police",
                                   "CSE place:england", "exploit*"])
def test_reported_total_is_the_number_of_matches(bundled_kb: Path, query: str) -> None:
    """Whoosh's own count after a limited search can be short; kb's must not be."""
    from kb.search.searcher import run_search

    every = run_search(bundled_kb, query, limit=None)
    limited = run_search(bundled_kb, query, limit=2)
    assert every.exact and every.total == len(every.hits)
    assert limited.exact and limited.total == len(every.hits)
    assert [h.id for h in limited.hits] == [h.id for h in every.hits[:2]]


def test_counts_are_exact_past_the_rescored_depth(bundled_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kb.search.searcher
    from kb.search.searcher import run_search

    every = run_search(bundled_kb, "sexual", limit=None)
    monkeypatch.setattr(kb.search.searcher, "RESCORE_DEPTH", 3)
    outcome = run_search(bundled_kb, "sexual", limit=2, facets=("kind",))
    assert outcome.exact and outcome.total == every.total > 3
    assert sum(outcome.facets["kind"].values()) == every.total


def test_hits_credit_the_cited_work_and_the_document(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "search", "quarter of areas strategy", "--limit", "1")
    assert r.exit_code == 0
    assert r.stdout.startswith("tst-0002  [finding]  Jago et al. (2011), cited in Test Organisation (2020)\n")
    r = run("--kb", small_kb, "search", "1,190 young people", "--limit", "1")
    assert r.stdout.startswith("tst-0001  [statistic]  Test Organisation (2020)\n")


def test_wildcards_expand_past_the_old_cap_of_64(bundled_kb: Path) -> None:
    from kb.search.engines import open_engine

    words = [w for w in open_engine(bundled_kb).run(lambda session: session.words()) if w.startswith("a")]
    assert len(words) > 64
    outcome = run_search(bundled_kb, "a*", limit=None)
    assert not outcome.capped and outcome.exact
    # every claim holding any a-word is found: the same as searching them all by name
    found: set[str] = set()
    for i in range(0, len(words), 40):  # a query is capped at 1,000 characters
        found |= set(search_ids(bundled_kb, " OR ".join(f'"{w}"' for w in words[i:i + 40])))
    assert outcome.total == len(found)


def test_capped_wildcard_says_so_and_counts_a_lower_bound(run, small_kb: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.search.engines import whoosh

    full = run_search(small_kb, "c*", limit=None)
    monkeypatch.setattr(whoosh, "MAX_EXPANSIONS", 2)  # 'c*' matches calls, campaign, ... children
    outcome = run_search(small_kb, "c*", limit=None)
    assert outcome.capped and outcome.capped[0].startswith("c* (")
    assert not outcome.exact and outcome.lower_bound
    assert outcome.total < full.total
    r = run("--kb", small_kb, "search", "c*")
    assert r.exit_code == 0
    assert f"at least {outcome.total} claim(s) match 'c*'" in r.stdout
    assert "kb: the term c* (" in r.stderr and "lower bound" in r.stderr
    monkeypatch.undo()
    r = run("--kb", small_kb, "search", "c*")
    assert f"\n{full.total} claim(s) match 'c*'" in r.stdout and r.stderr == ""


def test_rescore_rewards_more_words_and_hints() -> None:
    from kb.search.query import Term
    from kb.search.ranking import Candidate, QueryContext, rescore

    def cand(cid: str, matched: frozenset, kind: str = "finding", places: tuple[str, ...] = ()) -> Candidate:
        return Candidate(cid, 1.0, {"id": cid, "data": {"kind": kind, "places": list(places), "topics": []}},
                         matched)

    def order(cands: list[Candidate], hints: list) -> list[str]:
        return [c.id for c in rescore(cands, QueryContext("q", Term("q"), terms=4, hints=hints))]

    one = frozenset({("statement", "miss")})
    two = frozenset({("statement", "miss"), ("quote", "care")})
    # equal engine scores: the claim matching more of the query's terms comes first
    assert order([cand("a", one), cand("b", two)], []) == ["b", "a"]
    # a vocabulary hint the claim carries (a place named in the question) outranks that
    hinted = [cand("a", two), cand("b", one, places=("Northern Ireland",))]
    assert order(hinted, [("place", "northern-ireland")]) == ["b", "a"]
    # filter fields do not count as matched words; ties keep the engine's order
    assert order([cand("a", one), cand("b", one | {("kind", "finding")})], []) == ["a", "b"]
    # each booster's contribution is recorded with its reason
    best = rescore([cand("a", two, places=("Wales",))], QueryContext("q", Term("q"), 4, [("place", "wales")]))[0]
    assert [why for why, _ in best.boosts] == ["matches 2 of 4 query terms", "named place:wales"]
    assert best.score > best.engine_score == 1.0

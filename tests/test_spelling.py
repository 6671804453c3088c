"""Spelling suggestions against the words of the bundled base."""

from __future__ import annotations

from functools import lru_cache

from kb.search.spelling import claim_words, did_you_mean, is_known, suggest_words, unknown_words
from kb.store.loader import load_kb
from tests.conftest import ROOT


@lru_cache(maxsize=1)
def known() -> list[str]:
    """The bundled base's words as the index's words.txt holds them."""
    return claim_words(load_kb(ROOT).claims.values())


def test_each_unknown_word_gets_a_suggestion_even_when_others_match() -> None:
    words = "sexualy exploited".split()
    suggestions = suggest_words(words, known())
    assert suggestions == {"sexualy": "sexually"}
    assert did_you_mean("sexualy exploited", suggestions) == "did you mean: sexually exploited?"
    many = suggest_words("perpetraters in scotlnd and nothern ireland".split(), known())
    assert many == {"perpetraters": "perpetrators", "scotlnd": "scotland", "nothern": "northern"}


def test_inflections_of_known_words_are_known() -> None:
    assert "exploiters" not in known() and is_known("exploiters", known())
    assert suggest_words(["exploiters", "Grooming"], known()) == {}


def test_words_without_suggestion_are_still_reported() -> None:
    assert unknown_words("grooming xyzzyq 2010 qqqq".split(), known()) == ["xyzzyq", "qqqq"]
    assert suggest_words(["xyzzyq"], known()) == {}


def test_short_words_allow_fewer_edits_and_long_words_are_not_looked_up() -> None:
    assert suggest_words(["gxngs", "gxnxs", "grxxming"], known()) == {"gxngs": "gangs", "grxxming": "grooming"}
    assert "zz" not in suggest_words(["zz"], known())
    junk = "a" * 31
    assert unknown_words([junk], known()) == [] and suggest_words([junk], known()) == {}


def test_did_you_mean_keeps_the_rest_of_the_query() -> None:
    assert did_you_mean("how  many Childern went missing", {"Childern": "children"}) == \
        "did you mean: how many children went missing?"
    assert did_you_mean("grooming", {}) is None


def test_everyday_and_thesaurus_words_are_never_corrected() -> None:
    from kb.search.thesaurus import load_thesaurus

    assert "went" not in known() and "went" not in suggest_words(["went"], known())
    assert "went" in unknown_words(["went"], known())  # still reported as matching nothing
    # "devolved" is one edit from the base's "involved", but the thesaurus knows it.
    assert suggest_words(["devolved"], known()) == {"devolved": "involved"}
    assert suggest_words(["devolved"], known(), also_known=load_thesaurus().words()) == {}


def test_a_swap_of_neighbours_is_one_edit() -> None:
    # "wlaes" is two substitutions from "wales" but one swap: within a 5-letter word's one edit.
    assert suggest_words(["wlaes"], known()) == {"wlaes": "wales"}


def test_claim_words_are_the_index_words(bundled_kb) -> None:
    from kb.search.index import current_generation, refresh

    kb = load_kb(bundled_kb)
    refresh(bundled_kb, kb.index_dir)
    assert claim_words(kb.claims.values()) == current_generation(kb.index_dir).read_words() == known()

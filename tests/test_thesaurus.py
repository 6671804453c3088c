"""The domain thesaurus: the file's matching rules, a base's extension, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import BadInput
from kb.search.thesaurus import DEFAULT_PATH, load_thesaurus, make_thesaurus_expander, normalize


def alternatives(words: str, root: Path | None = None) -> list[tuple[int, int, float, str, list[str]]]:
    return [(a.start, a.end, a.weight, a.why, a.terms) for a in make_thesaurus_expander(root)(words.split())]


def test_synonyms_both_ways_at_the_file_weight() -> None:
    weight = load_thesaurus().weights["synonym"]
    (start, end, w, why, terms), *_ = alternatives("people were convicted")
    assert (start, end, w, why) == (2, 3, weight, "synonym of 'convicted'")
    assert "found guilty" in terms and "convicted" not in terms
    back = alternatives("found guilty")
    assert back[0][:2] == (0, 2) and "convicted" in back[0][4]


def test_weights_are_below_an_exact_word_and_near_below_synonym() -> None:
    weights = load_thesaurus().weights
    assert 0 < weights["near"] < weights["synonym"] < 1 and 0 < weights["narrower"] < 1
    kinds = {why.split(" '")[0]: w for _, _, w, why, _ in alternatives("convicted")}
    assert kinds == {"synonym of": weights["synonym"], "near": weights["near"]}


def test_narrower_is_one_way() -> None:
    found = alternatives("devolved nations")
    assert found == [(0, 2, load_thesaurus().weights["narrower"], "part of 'devolved nations'",
                      ["Scotland", "Wales", "Northern Ireland"])]
    assert not any("devolved" in " ".join(t).lower() for *_, t in alternatives("Scotland"))


def test_longest_term_first_and_one_step() -> None:
    spans = {(s, e) for s, e, *_ in alternatives("young people missing school")}
    assert spans == {(0, 2), (2, 4)}  # "young people", "missing school": not "missing" alone
    # One step: "child" finds "young people" but not what "young people" would find again.
    assert all("teenagers" not in t or "near" in why for *_, why, t in alternatives("child"))


def test_case_apostrophes_and_hyphens_are_ignored() -> None:
    assert normalize("Looked-After children's") == ("looked", "after", "childrens")
    assert alternatives("LOOKED AFTER CHILDREN")[0][:2] == (0, 3)
    assert alternatives("looked-after children")[0][:2] == (0, 2)
    assert alternatives("Barnardo’s Cymru") == alternatives("barnardos cymru")


def test_numbers_match_whole_numbers_only() -> None:
    assert any("eleven" in t for *_, t in alternatives("aged 11"))
    assert not any("eleven" in t for *_, t in alternatives("2010-11"))
    assert any("2010 to 2011" in t for *_, t in alternatives("2010-11"))


def test_union_of_entries_at_the_highest_weight() -> None:
    # "perpetrators" sits in a group, a near entry and a narrower entry.
    by_why = {why: t for _, _, _, why, t in alternatives("perpetrators")}
    assert set(by_why) == {"synonym of 'perpetrators'", "near 'perpetrators'", "part of 'perpetrators'"}
    every = [term for terms in by_why.values() for term in terms]
    assert len(every) == len(set(every))


def test_a_base_extends_the_default(tmp_path: Path) -> None:
    (tmp_path / "thesaurus.yaml").write_text("groups:\n- [frobnicate, twiddle]\nnarrower:\n  devolved nations: [Isle of Man]\n")
    assert alternatives("frobnicate", tmp_path)[0][4] == ["twiddle"]
    assert alternatives("devolved nations", tmp_path)[0][4] == ["Scotland", "Wales", "Northern Ireland", "Isle of Man"]
    assert alternatives("convicted", tmp_path) == alternatives("convicted")
    assert alternatives("frobnicate") == []


@pytest.mark.parametrize(("text", "line", "message"), [
    ("groups:\n- [a, b]\nsynonyms:\n- [c, d]\n", 3, "unknown key 'synonyms'"),
    ("weights:\n  synonym: 1.5\n", 2, "weight 'synonym' must be a number above 0 and below 1"),
    ("weights:\n  broader: 0.5\n", 2, "unknown weight 'broader'"),
    ("groups:\n- [a, b]\n- [lonely]\n", 3, "needs at least two terms"),
    ("groups:\n- [a, [b, c]]\n", 2, "every term must be a non-empty word or phrase"),
    ("near: [a, b]\n", 1, "an entry of 'near' must be a list"),
    ("narrower:\n  broad: part\n", 2, "the parts of 'broad' must be a list"),
    ("groups:\n- [a, b\n", 3, "not valid YAML"),
    ("- [a, b]\n", 1, "must be a mapping"),
])
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "thesaurus.yaml"
    path.write_text(text)
    with pytest.raises(BadInput) as err:
        make_thesaurus_expander(tmp_path)
    assert f"{path}, line {line}: " in str(err.value) and message in str(err.value)
    assert err.value.exit_code == 2


def test_the_default_file_needs_all_four_keys(tmp_path: Path) -> None:
    from kb.search.thesaurus import read_file

    path = tmp_path / "t.yaml"
    path.write_text("groups:\n- [a, b]\n")
    with pytest.raises(BadInput, match="missing key"):
        read_file(path, complete=True)
    weights, groups, near, narrower = read_file(DEFAULT_PATH, complete=True)
    assert set(weights) == {"synonym", "near", "narrower"} and groups and near and narrower


def test_an_edited_base_file_is_reloaded(tmp_path: Path) -> None:
    import os

    path = tmp_path / "thesaurus.yaml"
    path.write_text("groups:\n- [frobnicate, twiddle]\n")
    assert alternatives("frobnicate", tmp_path)[0][4] == ["twiddle"]
    path.write_text("groups:\n- [frobnicate, fiddle, tweak]\n")
    os.utime(path, ns=(1, 1))
    assert alternatives("frobnicate", tmp_path)[0][4] == ["fiddle", "tweak"]


def test_a_corrupt_or_unwritable_cache_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.search import thesaurus

    thesaurus._load.cache_clear()  # loaded once per process: make this test's load write the cache
    expected = alternatives("convicted")
    cached = list((tmp_path / "cache" / "kb" / "thesaurus").glob("*.json"))
    assert len(cached) == 1
    cached[0].write_text("{not json")
    thesaurus._load.cache_clear()
    assert alternatives("convicted") == expected
    assert cached[0].read_text().startswith('{"key"')
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    thesaurus._load.cache_clear()
    assert alternatives("convicted") == expected

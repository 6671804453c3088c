"""Loading a knowledge base: every problem is collected with file, line and subject."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import InvalidKnowledgeBase, KnowledgeBaseNotFound, UnknownClaim
from kb.store.loader import load_kb

CLAIMS = "claims/testorg2020study.yaml"


def checks(kb) -> list[str]:
    return [p.check for p in kb.problems]


def test_small_base_loads_cleanly(small_kb: Path) -> None:
    kb = load_kb(small_kb)
    assert kb.problems == []
    assert list(kb.claims) == [f"tst-000{i}" for i in range(1, 8)]
    assert set(kb.sources) == {"testorg2020study", "jago2011whats", "moj2011criminal",
                               "sexualoffencesact2003", "testorg2020campaign"}
    assert kb.document_keys == ["testorg2020study"]
    assert kb.locations["tst-0002"].line == 18
    jago = kb.source("jago2011whats")
    assert jago.et_al and jago.authors[0].family == "Jago" and jago.publisher == "University of Bedfordshire"
    assert kb.source("moj2011criminal").authors[0].name == "Ministry of Justice"
    assert [c.id for c in kb.citing("jago2011whats")] == ["tst-0002"]


def test_yaml_syntax_error_names_file_and_line(small_kb: Path) -> None:
    path = small_kb / CLAIMS
    lines = path.read_text().splitlines()
    lines[9] = "  kind: [statistic"  # line 10: an unclosed flow sequence
    path.write_text("\n".join(lines) + "\n")
    kb = load_kb(small_kb, strict=False)
    [problem] = kb.problems
    assert problem.check == "yaml-syntax" and problem.path == path and problem.line is not None
    assert 10 <= problem.line <= 12
    with pytest.raises(InvalidKnowledgeBase, match="testorg2020study.yaml:1[0-2]"):
        load_kb(small_kb)


def test_schema_error_names_file_line_and_claim(small_kb: Path) -> None:
    path = small_kb / CLAIMS
    path.write_text(path.read_text().replace("kind: indicator", "kind: rumour"))
    kb = load_kb(small_kb, strict=False)
    [problem] = kb.problems
    assert problem.check == "claim-schema"
    assert problem.subject == "tst-0003" and problem.line == 30
    assert "kind" in problem.message
    assert "tst-0003" not in kb.claims and "tst-0004" in kb.claims  # the rest still loads


def test_schema_error_without_id_uses_item_line(small_kb: Path) -> None:
    path = small_kb / CLAIMS
    path.write_text(path.read_text().replace("- id: tst-0003\n", "- \n"))
    problems = load_kb(small_kb, strict=False).problems
    assert [p.subject for p in problems] == ["claim #3"] and problems[0].line == 31


def test_duplicate_ids_across_two_files(small_kb: Path) -> None:
    second = small_kb / "claims" / "zz-more.yaml"
    second.write_text("document: testorg2020study\nclaims:\n"
                      "- id: tst-0001\n  statement: Another.\n  kind: finding\n"
                      "  quote: The Test Organisation\n  section: Foreword\n")
    kb = load_kb(small_kb, strict=False)
    [problem] = kb.problems
    assert problem.check == "duplicate-id" and problem.path == second and problem.line == 3
    assert "testorg2020study.yaml:4" in problem.message
    with pytest.raises(InvalidKnowledgeBase):
        load_kb(small_kb)


def test_bibtex_duplicates_and_broken_blocks(small_kb: Path) -> None:
    bib = small_kb / "sources" / "references.bib"
    bib.write_text(bib.read_text() + "\n@report{jago2011whats,\n  title = {Again},\n}\n"
                   "\n@report{broken,\n  title = {unclosed\n")
    kb = load_kb(small_kb, strict=False)
    found = {(p.check, p.subject) for p in kb.problems}
    assert ("bibtex-duplicate-key", "jago2011whats") in found
    assert any(check == "bibtex-syntax" for check, _ in found)
    assert all(p.line for p in kb.problems if p.check.startswith("bibtex"))


def test_cited_key_missing_from_bibliography(small_kb: Path) -> None:
    path = small_kb / CLAIMS
    path.write_text(path.read_text().replace("key: jago2011whats", "key: jago2011what"))
    kb = load_kb(small_kb)  # not fatal: verify reports it
    [problem] = kb.problems
    assert (problem.check, problem.subject, problem.line) == ("unknown-source", "tst-0002", 18)


def test_vocabulary_is_enforced_and_can_be_local(small_kb: Path) -> None:
    path = small_kb / CLAIMS
    path.write_text(path.read_text().replace("topics: [missing, risk-indicators]", "topics: [misssing]"))
    [problem] = load_kb(small_kb).problems
    assert problem.check == "vocabulary" and "missing" in problem.hint
    (small_kb / "vocabulary.yaml").write_text(
        "kinds: {statistic: s, finding: f, indicator: i, policy: p, trend: t, recommendation: r}\n"
        "places: {UK: u, England: e, England and Wales: ew}\n"
        "topics: {misssing: m, service-users: s, prevalence: p, local-authorities: l, prosecution: p,\n"
        "  legislation: l, campaign: c}\n")
    assert load_kb(small_kb).problems == []


def test_empty_and_comment_only_claim_files_are_fine(small_kb: Path) -> None:
    (small_kb / "claims" / "empty.yaml").write_text("# nothing yet\n")
    assert load_kb(small_kb).problems == []


def test_wrong_file_shape(small_kb: Path) -> None:
    (small_kb / "claims" / "list.yaml").write_text("- id: x\n")
    [problem] = load_kb(small_kb, strict=False).problems
    assert problem.check == "claim-file-shape"


def test_unknown_claim_suggests_close_ids(small_kb: Path) -> None:
    kb = load_kb(small_kb)
    with pytest.raises(UnknownClaim, match="did you mean tst-0001"):
        kb.claim("tst-001")


def test_missing_directory_and_non_base(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseNotFound, match="does not exist"):
        load_kb(tmp_path / "nope")
    with pytest.raises(KnowledgeBaseNotFound, match="no claims/ directory"):
        load_kb(tmp_path)


def test_kb_dir_environment_variable(small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_DIR", str(small_kb))
    assert load_kb().root == small_kb.resolve()


def test_bundled_base_is_the_checkout_root() -> None:
    kb = load_kb()
    assert (kb.root / "pyproject.toml").is_file()
    assert kb.index_dir == kb.root / "index"
    assert "barnardos2012cutting" in kb.document_keys


def test_the_copy_shipped_in_the_package_indexes_into_the_user_cache(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    """Installed without a checkout, the bundled base is read-only: its index goes to the cache."""
    from kb.store.locate import PACKAGE_DIR, index_dir_for

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    shipped = (PACKAGE_DIR / "_bundled").resolve()
    index = index_dir_for(shipped)
    assert index.parent.parent == tmp_path / "cache" / "kb" and index.name == "index"
    assert index_dir_for(tmp_path) == tmp_path / "index"

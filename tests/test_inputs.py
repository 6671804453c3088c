"""Inputs that cannot crash ``kb``: each ends in exit 2 or a notice, no traceback, nothing written (issue 16).

Also the loader's onboarding fixes (issue 10) and BibTeX read as TeX.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from kb.model.schema import Claim
from kb.store.loader import load_claim_file, load_kb, read_yaml

CLAIMS = "claims/testorg2020study.yaml"
DOCUMENT = "sources/documents/testorg2020study.txt"
BIB = "sources/references.bib"


def snapshot(base: Path) -> dict[str, bytes]:
    """Every regular file of the base but its index, by relative path."""
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*"))
            if p.is_file() and not p.is_symlink() and "index" not in p.relative_to(base).parts}


def edit(base: Path, name: str, old: str, new: str) -> None:
    path = base / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def no_traceback(r) -> None:
    assert "Traceback" not in r.stdout + r.stderr


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1e400", "10" + "0" * 400, ".nan", ".inf", "-.inf", "true"])
@pytest.mark.parametrize("command", [("verify",), ("stats",), ("search", "exploitation"), ("export", "--format", "json")])
def test_unbounded_quantity_is_a_schema_error(run, small_kb: Path, value: str, command: tuple[str, ...]) -> None:
    edit(small_kb, CLAIMS, "{value: 1190,", f"{{value: {value},")
    before = snapshot(small_kb)
    r = run("--kb", small_kb, *command)
    assert r.exit_code == 2, r
    assert "Error: invalid claim: field 'quantities.0.value'" in r.stderr and "tst-0001" in r.stderr
    no_traceback(r)
    assert snapshot(small_kb) == before


# --- documents -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("verify",), ("show", "tst-0001", "--context")])
def test_document_not_utf8_exits_2_naming_the_byte(run, small_kb: Path, command: tuple[str, ...]) -> None:
    path = small_kb / DOCUMENT
    data = path.read_bytes()
    offset = data.index(b"worked")
    path.write_bytes(data[:offset] + b"\xe9" + data[offset:])
    before = snapshot(small_kb)
    r = run("--kb", small_kb, *command)
    assert r.exit_code == 2
    assert f"is not UTF-8 text: byte {offset} (0xe9" in r.stderr and "testorg2020study.txt" in r.stderr
    no_traceback(r)
    assert snapshot(small_kb) == before


# --- YAML ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("verify",), ("stats",), ("review", "tst-0001", "--status", "verified")])
def test_duplicate_key_is_an_error_at_load(run, small_kb: Path, command: tuple[str, ...]) -> None:
    edit(small_kb, CLAIMS, "  kind: statistic\n", "  kind: statistic\n  kind: finding\n")
    before = snapshot(small_kb)
    r = run("--kb", small_kb, *command)
    assert r.exit_code == 2
    assert "duplicate key 'kind' (first at line" in r.stderr and "testorg2020study.yaml" in r.stderr
    no_traceback(r)
    assert snapshot(small_kb) == before


@pytest.mark.parametrize("command", [("verify",), ("review", "tst-0001", "--status", "verified")])
def test_alias_is_refused_at_load(run, small_kb: Path, command: tuple[str, ...]) -> None:
    edit(small_kb, CLAIMS, "  places: [UK]\n  period: 2019-20\n", "  places: &uk [UK]\n  period: 2019-20\n")
    edit(small_kb, CLAIMS, "  places: [UK]\n", "  places: *uk\n")
    before = snapshot(small_kb)
    r = run("--kb", small_kb, *command)
    assert r.exit_code == 2
    assert "aliases are not accepted in a knowledge base" in r.stderr
    no_traceback(r)
    assert snapshot(small_kb) == before


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 40)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    data, problem = read_yaml(path)  # 10 * 6^39 items if expanded
    assert data is None and problem is not None and problem.check == "yaml-syntax"
    assert "alias" in problem.message and problem.line == 1


def test_unknown_key_inside_a_claim_names_it(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "  kind: statistic\n", "  kind: statistic\n  qantities: []\n")
    claims, _, problems = load_claim_file(small_kb / CLAIMS)
    assert [p.check for p in problems] == ["claim-schema"]
    assert "qantities" in problems[0].message and "remove or rename the key" in problems[0].hint


def test_id_rule_in_words(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "- id: tst-0001\n", "- id: TST-1\n")
    _, _, problems = load_claim_file(small_kb / CLAIMS)
    assert "'TST-1' is not a claim id (prefix-0001: lower-case letters and digits, a dash, 4+ digits" in problems[0].message
    assert "pattern" not in str(problems[0])


def test_duplicate_id_in_one_file_names_both_lines(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "- id: tst-0003\n", "- id: tst-0002\n")
    lines = [i for i, line in enumerate((small_kb / CLAIMS).read_text().splitlines(), 1) if line == "- id: tst-0002"]
    claims, _, problems = load_claim_file(small_kb / CLAIMS)
    assert [p.check for p in problems] == ["duplicate-id"] and problems[0].line == lines[1]
    assert f"claim id 'tst-0002' is used twice: testorg2020study.yaml:{lines[0]} and testorg2020study.yaml:{lines[1]}" \
        in problems[0].message


def test_duplicate_id_across_files_names_both(small_kb: Path) -> None:
    text = (small_kb / CLAIMS).read_text(encoding="utf-8")
    (small_kb / "claims" / "more.yaml").write_text(
        "document: testorg2020study\nclaims:\n" + text[text.index("- id: tst-0003"):], encoding="utf-8")
    kb = load_kb(small_kb, strict=False)
    dup = [p for p in kb.problems if p.check == "duplicate-id" and p.subject == "tst-0003"]
    first = next(i for i, line in enumerate(text.splitlines(), 1) if line == "- id: tst-0003")
    # files are read in name order: more.yaml first
    assert dup and f"claim id 'tst-0003' is used twice: claims/more.yaml:3 and claims/testorg2020study.yaml:{first}" \
        in dup[0].message and dup[0].line == first


# --- claims files that are no regular file ---------------------------------------------------


def _notice(run, base: Path, name: str) -> None:
    r = run("--kb", base, "stats")
    assert r.exit_code == 0 and f"Notice: not read: the file" in r.stderr and name in r.stderr
    r = run("--kb", base, "verify")
    assert r.exit_code == 1 and "claim-file-ignored" in r.stdout and name in r.stdout
    no_traceback(r)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_claims_file_is_refused_without_opening(run, small_kb: Path) -> None:
    os.mkfifo(small_kb / "claims" / "pipe.yaml")
    done = threading.Event()
    threading.Timer(20, lambda: done.is_set() or _unblock(small_kb / "claims" / "pipe.yaml")).start()
    try:
        _notice(run, small_kb, "pipe.yaml")
        r = run("--kb", small_kb, "stats")
        assert "is a FIFO, not a regular file" in r.stderr
    finally:
        done.set()


def _unblock(fifo: Path) -> None:  # a reader would block forever: let it go, and fail the test
    with open(fifo, "w") as out:
        out.write("document: x\n")


def test_symlink_to_a_device_is_refused(run, small_kb: Path) -> None:
    (small_kb / "claims" / "zero.yaml").symlink_to("/dev/zero")
    _notice(run, small_kb, "zero.yaml")


def test_symlink_out_of_the_base_is_refused(run, small_kb: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text((small_kb / CLAIMS).read_text(encoding="utf-8"))
    (small_kb / "claims" / "link.yaml").symlink_to(outside)
    _notice(run, small_kb, "link.yaml")
    r = run("--kb", small_kb, "stats")
    assert "leading out of the knowledge base" in r.stderr


def test_symlink_inside_the_base_is_read(small_kb: Path) -> None:
    (small_kb / "claims" / "real").mkdir()
    os.replace(small_kb / CLAIMS, small_kb / "claims" / "real" / "t.txt")
    (small_kb / CLAIMS).symlink_to(small_kb / "claims" / "real" / "t.txt")
    kb = load_kb(small_kb, strict=False)
    assert "tst-0001" in kb.claims


@pytest.mark.parametrize("name", ["sub/more.yaml", "MORE.YAML", "more.Yml"])
def test_claims_files_not_read_are_reported(run, small_kb: Path, name: str) -> None:
    path = small_kb / "claims" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text("document: testorg2020study\nclaims: []\n")
    kb = load_kb(small_kb, strict=False)
    ignored = [p for p in kb.problems if p.check == "claim-file-ignored"]
    assert len(ignored) == 1 and ignored[0].path == path
    r = run("--kb", small_kb, "verify")
    assert r.exit_code == 1 and "claim-file-ignored" in r.stdout


def test_commented_example_is_not_a_claims_file(small_kb: Path) -> None:
    (small_kb / "claims" / "example.yaml").write_text("# document: mykey\n# claims:\n# - id: my-0001\n")
    (small_kb / "claims" / "empty.yaml").write_text("document: testorg2020study\nclaims: []\n")
    kb = load_kb(small_kb)
    assert [p.name for p in kb.claim_files] == ["empty.yaml", "testorg2020study.yaml"]


# --- vocabulary ------------------------------------------------------------------------------


def test_base_vocabulary_extends_the_default(small_kb: Path) -> None:
    (small_kb / "vocabulary.yaml").write_text("places:\n  Narnia: a land beyond the wardrobe\n")
    edit(small_kb, CLAIMS, "  places: [UK]\n  period: 2019-20\n", "  places: [UK, Narnia]\n  period: 2019-20\n")
    kb = load_kb(small_kb)
    assert "Narnia" in kb.vocabulary.places and "England" in kb.vocabulary.places and kb.vocabulary.topics
    assert not [p for p in kb.problems if p.check == "vocabulary"]


def test_unknown_vocabulary_value_lists_the_valid_ones(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "  places: [UK]\n  period: 2019-20\n", "  places: [Atlantis]\n  period: 2019-20\n")
    kb = load_kb(small_kb, strict=False)
    problem = next(p for p in kb.problems if p.check == "vocabulary")
    assert "places 'Atlantis' is not in the vocabulary" in problem.message
    assert "valid places: " in problem.hint and "England" in problem.hint and "Wales" in problem.hint


# --- BibTeX read as TeX ----------------------------------------------------------------------


def test_bibtex_escapes_are_decoded(small_kb: Path) -> None:
    bib = small_kb / BIB
    bib.write_text(bib.read_text(encoding="utf-8") + r"""
@report{muller2020, author = {M{\"u}ller, J{\"o}rg and {Barnardo's}}, title = {England \& Wales: 50% of \$5 cases},
  year = {2020}, institution = {Test}, url = {https://example.org/~m_1}}
""", encoding="utf-8")
    kb = load_kb(small_kb, strict=False)
    source = kb.sources["muller2020"]
    assert source.title == "England & Wales: 50% of $5 cases"
    assert source.author_names() == ["Müller, Jörg", "Barnardo's"] and source.url == "https://example.org/~m_1"


def test_bibtex_undefined_macro_and_concatenation_are_reported(run, small_kb: Path) -> None:
    bib = small_kb / BIB
    bib.write_text(bib.read_text(encoding="utf-8") + """
@string{tst = {Test Organisation}}
@report{macro2020, author = {{Test}}, title = {A title}, year = {2020}, institution = undefinedmacro, month = jan}
@report{join2020, author = {{Test}}, title = tst # { report}, year = {2020}, institution = tst}
""", encoding="utf-8")
    kb = load_kb(small_kb, strict=False)
    found = {(p.subject, p.check): p.message for p in kb.problems if p.check == "bibtex-string"}
    assert set(found) == {("macro2020", "bibtex-string"), ("join2020", "bibtex-string")}
    assert "'undefinedmacro', which is not defined" in found[("macro2020", "bibtex-string")]
    assert "joins parts with '#'" in found[("join2020", "bibtex-string")]
    assert kb.sources["join2020"].publisher == "Test Organisation"


# --- the model -------------------------------------------------------------------------------


def test_claim_status_needs_a_fingerprint(small_kb: Path) -> None:
    claim = load_kb(small_kb).claims["tst-0001"]
    data = claim.model_dump(exclude={"review"})
    unprinted = Claim.model_validate({**data, "review": {"status": "verified"}})
    printed = Claim.model_validate({**data, "review": {"status": "verified", "fingerprint": claim.fingerprint}})
    assert unprinted.status == "unreviewed" and printed.status == "verified"
    assert Claim.model_validate({**data, "review": {"status": "verified", "fingerprint": "0" * 16}}).status == "stale"


def test_new_fields_keep_old_fingerprints(small_kb: Path) -> None:
    claim = load_kb(small_kb).claims["tst-0001"]
    assert "waived" not in claim.canonical() and "qualifier" not in claim.canonical()["quantities"][0]
    qualified = Claim.model_validate({**claim.model_dump(), "quantities": [
        {**claim.quantities[0].model_dump(), "qualifier": "over"}]})
    assert qualified.fingerprint != claim.fingerprint


# --- big files: parsed in chunks, same result (issue 13) -----------------------------------------


def test_big_file_in_chunks_reads_as_the_whole(small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kb.store.loader as loader

    path = small_kb / CLAIMS
    whole = load_claim_file(path)
    monkeypatch.setattr(loader, "CHUNKED_ABOVE", 10)
    monkeypatch.setattr(loader, "CHUNK", 2)
    assert load_claim_file(path) == whole and len(whole[0]) == 7
    edit(small_kb, CLAIMS, "  places: [UK]\n  period: 2019-20\n", "  places: &uk [UK]\n  period: 2019-20\n")
    edit(small_kb, CLAIMS, "  places: [UK]\n", "  places: *uk\n")  # across chunks: still refused, with its line
    claims, _, problems = load_claim_file(path)
    assert not claims and "aliases are not accepted" in problems[0].message and problems[0].line

"""kb.store.edit: the one way to change a claims file keeps the file as it was outside the edit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb.errors import BadInput, KbError, WriteError
from kb.store import locate
from kb.store.edit import append_claim, append_claim_text, edit_claim, edit_claim_text, refuse_bundled
from kb.store.loader import load_claim_file, load_kb
from kb.store.lock import LockBusy, base_lock

HEAD = "# Claims of d.\ndocument: d\nclaims:\n"
ONE = "- id: x-0001\n  statement: S.\n  kind: finding\n  quote: q\n  section: s\n"
TWO = "- id: x-0002\n  statement: T.\n  kind: finding\n  quote: r  # a comment\n  section: s\n"
NEW = {"id": "x-0003", "statement": "U.", "kind": "finding", "quote": "u", "section": "s", "topics": ["a", "b"]}


def set_section(value: str):
    def mutate(item) -> None:
        item["section"] = value

    return mutate


def make_base(tmp_path: Path, text: str, name: str = "d.yaml") -> tuple[Path, Path]:
    root = tmp_path / "base"
    (root / "claims").mkdir(parents=True)
    (root / "sources").mkdir()
    path = root / "claims" / name
    path.write_bytes(text.encode())
    return root, path


# --- edit_claim_text: only the claim's lines change ---------------------------------------------


def test_edit_changes_only_the_claims_lines() -> None:
    text = HEAD + ONE + "\n# the second\n" + TWO
    assert edit_claim_text(text, "x-0002", set_section("new")) == text.replace(
        "  quote: r  # a comment\n  section: s\n", "  quote: r  # a comment\n  section: new\n")


def test_crlf_stays_crlf() -> None:
    text = (HEAD + ONE + "\n" + TWO).replace("\n", "\r\n")
    edited = edit_claim_text(text, "x-0001", set_section("new"))
    assert edited == text.replace("section: s\r\n\r\n- id: x-0002", "section: new\r\n\r\n- id: x-0002")
    assert "\n" not in edited.replace("\r\n", "")


def test_mixed_line_endings_outside_the_claim_are_kept() -> None:
    text = "document: d\r\nclaims:\n" + ONE + TWO.replace("\n", "\r\n")
    edited = edit_claim_text(text, "x-0001", set_section("new"))
    assert edited == text.replace("  section: s\n- id: x-0002", "  section: new\n- id: x-0002")


def test_end_marker_and_what_follows_the_list_are_kept() -> None:
    text = HEAD + ONE + "notes: kept\n...\n# after the end\n"
    edited = edit_claim_text(text, "x-0001", set_section("new"))
    assert edited == text.replace("section: s\n", "section: new\n")


def test_last_claim_without_final_newline() -> None:
    text = HEAD + ONE.rstrip("\n")
    assert edit_claim_text(text, "x-0001", set_section("new")) == text.replace("section: s", "section: new")


def test_unicode_line_separator_in_another_claim_keeps_lines_aligned() -> None:
    text = HEAD + TWO.replace("statement: T.", 'statement: "T.\u2028U."') + ONE
    edited = edit_claim_text(text, "x-0001", set_section("new"))
    assert edited == text[: text.index("- id: x-0001")] + ONE.replace("section: s", "section: new")


@pytest.mark.parametrize("text, message", [
    (HEAD + ONE.replace("  quote: q\n", "  quote: q\n  quote: again\n"), "duplicate key .quote."),
    ("document: d\nclaims: []\n" + "claims:\n" + ONE, "duplicate key .claims."),
    (HEAD + ONE.replace("  section: s\n", "  section: &s s\n") + TWO.replace("section: s", "section: *s"),
     "aliases are not accepted"),
    (HEAD + ONE + TWO.replace("section: s", "section: &s s") + "- id: x-0004\n  section: *s\n",
     "aliases are not accepted"),  # the loader refuses an alias anywhere in the file
    (HEAD + "- {id: x-0001, statement: S., kind: finding, quote: q, section: s}\n", "flow style"),
    ("document: d\nclaims: [{id: x-0001}]\n", "flow style"),
    (HEAD + ONE.replace("  kind: finding\n", "  kind: [finding\n"), "invalid YAML at line"),
    ("- just a list\n", "no 'claims' list"),
    (HEAD + TWO, "x-0001 is not in the file"),
])
def test_refusals(text: str, message: str | None) -> None:
    if message is None:  # an anchor outside the claim is not its business
        assert "section: new" in edit_claim_text(text, "x-0001", set_section("new"))
        return
    with pytest.raises(BadInput, match=message):
        edit_claim_text(text, "x-0001", set_section("new"))


def test_an_edit_that_makes_the_claim_invalid_is_refused() -> None:
    def drop_quote(item) -> None:
        del item["quote"]

    with pytest.raises(BadInput, match="would make claim x-0001 invalid: field 'quote'"):
        edit_claim_text(HEAD + ONE, "x-0001", drop_quote)


def test_an_edit_touching_another_claim_is_caught() -> None:
    def rename(item) -> None:
        item["id"] = "x-0002"

    with pytest.raises(KbError):
        edit_claim_text(HEAD + ONE + TWO, "x-0001", rename)


# --- edit_claim: the file, the lock, the guards ----------------------------------------------


def test_edit_claim_writes_through_a_symlink(tmp_path: Path) -> None:
    root, _ = make_base(tmp_path, "")
    real = tmp_path / "elsewhere" / "d.yaml"
    real.parent.mkdir()
    real.write_text(HEAD + ONE)
    link = root / "claims" / "d.yaml"
    link.unlink()
    link.symlink_to(real)
    edit_claim(root, link, "x-0001", set_section("new"))
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == (HEAD + ONE).replace("section: s", "section: new")


def test_edit_claim_refuses_a_file_that_is_not_regular(tmp_path: Path) -> None:
    root, path = make_base(tmp_path, "")
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(WriteError, match="not a regular file") as caught:
        edit_claim(root, path, "x-0001", set_section("new"))
    assert caught.value.exit_code == 2
    assert path.exists() and not path.is_file()


def test_edit_claim_refuses_non_utf8(tmp_path: Path) -> None:
    root, path = make_base(tmp_path, "")
    path.write_bytes((HEAD + ONE).encode("latin-1") + b"# caf\xe9\n")
    before = path.read_bytes()
    with pytest.raises(BadInput, match="not UTF-8"):
        edit_claim(root, path, "x-0001", set_section("new"))
    assert path.read_bytes() == before


def test_edit_claim_read_only_file(tmp_path: Path) -> None:
    root, path = make_base(tmp_path, HEAD + ONE)
    path.chmod(0o444)
    with pytest.raises(WriteError, match="read-only"):
        edit_claim(root, path, "x-0001", set_section("new"))
    assert path.read_text() == HEAD + ONE


def test_edit_claim_dangling_symlink(tmp_path: Path) -> None:
    root, path = make_base(tmp_path, "")
    path.unlink()
    path.symlink_to(tmp_path / "gone.yaml")
    with pytest.raises(BadInput, match="does not exist \\(a dangling symbolic link\\)"):
        edit_claim(root, path, "x-0001", set_section("new"))
    with pytest.raises(BadInput, match="dangling"):
        append_claim(root, path, NEW, document="d")
    assert path.is_symlink() and not (tmp_path / "gone.yaml").exists()


def test_a_failing_mutation_writes_nothing(tmp_path: Path) -> None:
    root, path = make_base(tmp_path, HEAD + ONE)

    def refuse(item) -> None:
        item["section"] = "half"
        raise BadInput("no")

    with pytest.raises(BadInput, match="no"):
        edit_claim(root, path, "x-0001", refuse)
    assert path.read_text() == HEAD + ONE


def test_bad_read_back_restores_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.store import fileio

    root, path = make_base(tmp_path, HEAD + ONE)

    original = fileio.atomic_write_text
    calls: list[str] = []

    def torn(p, text, **kw):  # the first write loses its second half; the restore is whole
        calls.append(text)
        original(p, text[: len(text) // 2] if len(calls) == 1 else text, **kw)

    monkeypatch.setattr(fileio, "atomic_write_text", torn)
    with pytest.raises(KbError, match="did not read back as written; it was restored"):
        edit_claim(root, path, "x-0001", set_section("new"))
    assert path.read_text() == HEAD + ONE


def test_edit_waits_for_the_lock_then_fails_writing_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, path = make_base(tmp_path, HEAD + ONE)
    monkeypatch.setenv("KB_EDIT_LOCK_TIMEOUT", "0.2")
    with base_lock(root):
        with pytest.raises(LockBusy, match="another kb process is editing") as caught:
            edit_claim(root, path, "x-0001", set_section("new"))
    assert caught.value.exit_code == 2 and "nothing was written" in str(caught.value)
    assert path.read_text() == HEAD + ONE


def test_bundled_copy_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site-packages" / "kb"
    root, path = make_base(package, HEAD + ONE)
    root.rename(package / "_bundled")
    monkeypatch.setattr(locate, "PACKAGE_DIR", package)
    bundled = package / "_bundled"
    with pytest.raises(BadInput, match="bundled knowledge base .* is read-only.*kb init DIR"):
        edit_claim(bundled, bundled / "claims" / "d.yaml", "x-0001", set_section("new"))
    with pytest.raises(BadInput, match="read-only"):
        append_claim(bundled, bundled / "claims" / "e.yaml", NEW, document="e")
    assert (bundled / "claims" / "d.yaml").read_text() == HEAD + ONE
    assert sorted(p.name for p in bundled.rglob("*")) == ["claims", "d.yaml", "sources"]  # not even a lock file
    refuse_bundled(tmp_path)  # any other base is fine


# --- append_claim ---------------------------------------------------------------------------


def test_append_keeps_comments_and_the_list_style() -> None:
    text = HEAD + ONE + "\n# the second\n" + TWO + "...\n"
    appended = append_claim_text(text, NEW, document="d")
    assert appended == HEAD + ONE + "\n# the second\n" + TWO + (
        "- id: x-0003\n  statement: U.\n  kind: finding\n  quote: u\n  section: s\n  topics:\n  - a\n  - b\n...\n")


def test_append_to_an_indented_crlf_list() -> None:
    text = "document: d\r\nclaims:\r\n  - id: x-0001\r\n    statement: S.\r\n    kind: finding\r\n" \
           "    quote: q\r\n    section: s\r\n"
    appended = append_claim_text(text, NEW, document="d")
    assert appended.startswith(text) and "\n" not in appended.replace("\r\n", "")
    assert "\r\n  - id: x-0003\r\n    statement: U.\r\n" in appended


@pytest.mark.parametrize("text", ["", "# only a comment\n", "document: d\n", "document: d\nclaims:\n",
                                  "document: d\nclaims: []\n", "# c\ndocument: d\nclaims: []\n...\n"])
def test_append_creates_what_is_missing(tmp_path: Path, text: str) -> None:
    appended = append_claim_text(text, NEW, document="d")
    path = tmp_path / "d.yaml"
    path.write_text(appended)
    claims, _, problems = load_claim_file(path)
    assert problems == [] and [c.id for c in claims] == ["x-0003"]
    assert appended.startswith(text.split("claims:")[0].split("...")[0])


def test_append_refuses_another_documents_file_and_a_used_id() -> None:
    with pytest.raises(BadInput, match="for document 'd', not 'e'"):
        append_claim_text(HEAD + ONE, NEW, document="e")
    with pytest.raises(BadInput, match="already in the file"):
        append_claim_text(HEAD + ONE, {**NEW, "id": "x-0001"}, document="d")
    with pytest.raises(BadInput, match="invalid: field 'kind'"):
        append_claim_text(HEAD + ONE, {**NEW, "kind": 3}, document="d")


def test_append_claim_creates_the_file_and_checks_ids_across_the_base(tmp_path: Path) -> None:
    root, _ = make_base(tmp_path, HEAD + ONE)
    new = root / "claims" / "e.yaml"
    append_claim(root, new, {**NEW, "id": "e-0001"}, document="e")
    assert new.read_text().startswith("document: e\nclaims:\n- id: e-0001\n")
    with pytest.raises(BadInput, match="x-0001 is already used in"):
        append_claim(root, new, {**NEW, "id": "x-0001"}, document="e")


def test_review_edits_a_crlf_symlinked_file_through_the_cli(run, small_kb: Path, tmp_path: Path) -> None:
    path = small_kb / "claims" / "testorg2020study.yaml"
    (small_kb / "kept").mkdir()  # inside the base: a link leading out of it is refused by the loader
    real = small_kb / "kept" / "kept-elsewhere.yaml"
    real.write_bytes(path.read_bytes().replace(b"\n", b"\r\n") + b"...\r\n")
    path.unlink()
    path.symlink_to(real)
    before = real.read_bytes()
    r = run("--kb", small_kb, "review", "tst-0003", "--status", "verified", "--by", "R")
    assert r.exit_code == 0, r
    after = real.read_bytes()
    assert path.is_symlink() and after.endswith(b"...\r\n") and b"\n" not in after.replace(b"\r\n", b"")
    start = before.index(b"- id: tst-0003")
    assert after[:start] == before[:start]
    tail = before[before.index(b"# The quote is split"):]
    assert after.endswith(tail)
    assert load_kb(small_kb).claim("tst-0003").status == "verified"

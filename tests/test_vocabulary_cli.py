"""kb vocabulary: list the merged vocabularies, add a place or topic to the base's own vocabulary.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.store.loader import load_kb
from kb.store.vocabulary import HEADER, add_term_text


def new_base(tmp_path: Path) -> Path:
    base = tmp_path / "b"
    (base / "claims").mkdir(parents=True)
    return base


def test_list_marks_the_bases_own_terms(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "vocabulary", "--json")
    assert r.exit_code == 0, r
    data = json.loads(r.stdout)
    assert set(data) == {"kinds", "places", "topics"}
    assert not any(t["own"] for terms in data.values() for t in terms)  # the fixture has no vocabulary.yaml
    assert {"name": "UK", "description": "the United Kingdom as a whole", "own": False} in data["places"]
    (small_kb / "vocabulary.yaml").write_text("topics:\n  campaign: campaigns\n  missing: gone missing\n")
    data = json.loads(run("--kb", small_kb, "vocabulary", "list", "--json").stdout)
    assert [t["name"] for t in data["topics"] if t["own"]] == ["missing", "campaign"]  # the default's order first
    text = run("--kb", small_kb, "vocabulary").stdout
    assert text.splitlines()[0] == "Kinds" and "  * campaign" in text and "    UK  " in text
    assert text.splitlines()[-1] == "* from this base's vocabulary.yaml; the rest is kb's default"
    assert run("--kb", small_kb, "vocabulary", "list").stdout == text


def test_add_creates_the_file_with_a_header(run, tmp_path: Path) -> None:
    base = new_base(tmp_path)
    r = run("--kb", base, "vocabulary", "add", "place", "Northtown", "--description", "the town of Northtown")
    assert (r.exit_code, r.stdout) == (0, "Added place 'Northtown' to vocabulary.yaml\n"), r
    text = (base / "vocabulary.yaml").read_text(encoding="utf-8")
    assert text.startswith(HEADER) and text.endswith("places:\n  Northtown: the town of Northtown\n")
    assert load_kb(base).vocabulary.places["Northtown"] == "the town of Northtown"
    assert "UK" in load_kb(base).vocabulary.places  # extends the default
    listed = json.loads(run("--kb", base, "vocabulary", "--json").stdout)
    assert {"name": "Northtown", "description": "the town of Northtown", "own": True} in listed["places"]


def test_add_keeps_comments_and_order(run, tmp_path: Path) -> None:
    base = new_base(tmp_path)
    (base / "vocabulary.yaml").write_text(
        "# my words\ntopics:\n  # reading first\n  reading: reading schemes  # note\nplaces: [Northtown]\n",
        encoding="utf-8")
    assert run("--kb", base, "vocabulary", "add", "topic", "libraries", "-d", "public libraries").exit_code == 0
    assert run("--kb", base, "vocabulary", "add", "place", "Southtown").exit_code == 0
    text = (base / "vocabulary.yaml").read_text(encoding="utf-8")
    assert text.startswith("# my words\ntopics:\n  # reading first\n  reading: reading schemes  # note\n"
                           "  libraries: public libraries\n")
    vocabulary = load_kb(base).vocabulary
    assert "Southtown" in vocabulary.places and "Northtown" in vocabulary.places


def test_init_vocabulary_is_comments_only_and_add_keeps_them(run, tmp_path: Path) -> None:
    base = tmp_path / "b"
    run("init", base)
    starter = (base / "vocabulary.yaml").read_text(encoding="utf-8")
    assert all(not line.strip() or line.startswith("#") for line in starter.splitlines())
    assert "EXTENDS" in starter
    assert run("--kb", base, "vocabulary", "add", "topic", "reading").exit_code == 0
    text = (base / "vocabulary.yaml").read_text(encoding="utf-8")
    assert text.startswith(starter) and text.endswith("topics:\n  reading: ''\n")


@pytest.mark.parametrize(("args", "message"), [
    (["kind", "opinion"], "Error: kinds are fixed by kb's data model (statistic, definition, finding, trend, "
                          "event, policy, recommendation, indicator); a base cannot add 'opinion'"),
    (["place", "England"], "Error: place 'England' is already in the vocabulary; use it as it is"),
    (["place", "england"], "Error: place 'England' is already in the vocabulary (as 'England')"),
    (["colour", "red"], "Error: unknown vocabulary field 'colour'; use one of: kind, place, topic"),
    (["topic", " reading"], "Error: ' reading' is not a usable topic"),
    (["topic", "a\x1bb"], "Error: 'a\\x1bb' is not a usable topic"),
])
def test_add_refusals_write_nothing(run, small_kb: Path, args: list[str], message: str) -> None:
    path = small_kb / "vocabulary.yaml"
    before = path.read_bytes() if path.exists() else None
    r = run("--kb", small_kb, "vocabulary", "add", *args)
    assert r.exit_code == 2, r
    assert r.stderr.startswith(message) and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert (path.read_bytes() if path.exists() else None) == before


def test_add_refuses_a_broken_own_file(run, tmp_path: Path) -> None:
    base = new_base(tmp_path)
    (base / "vocabulary.yaml").write_text("colours: {red: red}\n", encoding="utf-8")
    r = run("--kb", base, "vocabulary", "add", "topic", "reading")
    assert r.exit_code == 2 and r.stderr.startswith("Error: cannot read ") and "unknown key 'colours'" in r.stderr
    assert (base / "vocabulary.yaml").read_text(encoding="utf-8") == "colours: {red: red}\n"


def test_add_text_to_a_list_form() -> None:
    assert add_term_text("places:\n- Northtown\n", "places", "Southtown", "") == "places:\n- Northtown\n- Southtown\n"


def test_add_refuses_the_bundled_installed_copy(run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kb.store import locate

    package = tmp_path / "pkg"
    (package / "_bundled" / "claims").mkdir(parents=True)
    monkeypatch.setattr(locate, "PACKAGE_DIR", package)
    r = run("--kb", package / "_bundled", "vocabulary", "add", "topic", "reading")
    assert r.exit_code == 2 and "is read-only" in r.stderr
    assert not (package / "_bundled" / "vocabulary.yaml").exists()

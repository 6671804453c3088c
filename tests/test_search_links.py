"""kb search's link filters: ``rel:R`` and ``linked:ID``, either way, across claims files, kept
up to date by the incremental update (on both engines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.search.searcher import search_ids

ENGINES = ["whoosh", "tantivy"]
FIRST = "claims/testorg2020study.yaml"
SECOND = "claims/second.yaml"


@pytest.fixture(params=ENGINES)
def linked_kb(request: pytest.FixtureRequest, small_kb: Path) -> Path:
    """The small base split in two claims files, with links within and across them:
    tst-0001 contradicts tst-0006 (in the other file), tst-0002 supports tst-0003,
    tst-0007 repeats tst-0003 and tst-0005 qualifies tst-0001 (both into the first file)."""
    (small_kb / "kb.yaml").write_text(f"engine: {request.param}\n")
    path = small_kb / FIRST
    text = path.read_text(encoding="utf-8")
    cut = text.index("- id: tst-0005")
    first, second = text[:cut], "document: testorg2020study\nclaims:\n" + text[cut:]
    for source, rel, target in (("tst-0001", "contradicts", "tst-0006"), ("tst-0002", "supports", "tst-0003"),
                                ("tst-0007", "repeats", "tst-0003"), ("tst-0005", "qualifies", "tst-0001")):
        line = f"- id: {source}\n"
        link = f"  links: [{{rel: {rel}, id: {target}}}]\n"
        if line in first:
            first = first.replace(line, line + link)
        else:
            second = second.replace(line, line + link)
    path.write_text(first, encoding="utf-8")
    (small_kb / SECOND).write_text(second, encoding="utf-8")
    return small_kb


def found(root: Path, query: str) -> set[str]:
    return set(search_ids(root, query, limit=100))


def test_rel_finds_both_ends_of_a_link(linked_kb: Path) -> None:
    assert found(linked_kb, "rel:contradicts") == {"tst-0001", "tst-0006"}
    assert found(linked_kb, "rel:supports") == {"tst-0002", "tst-0003"}
    assert found(linked_kb, "rel:Qualifies") == {"tst-0001", "tst-0005"}
    assert found(linked_kb, "rel:repeats OR rel:supports") == {"tst-0002", "tst-0003", "tst-0007"}
    assert found(linked_kb, "NOT rel:contradicts rel:qualifies") == {"tst-0005"}


def test_linked_finds_the_claims_linked_either_way(linked_kb: Path) -> None:
    assert found(linked_kb, "linked:tst-0003") == {"tst-0002", "tst-0007"}
    assert found(linked_kb, "linked:tst-0001") == {"tst-0006", "tst-0005"}
    assert found(linked_kb, "linked:tst-0001 rel:contradicts") == {"tst-0006"}
    assert found(linked_kb, "linked:tst-0004") == set()
    assert found(linked_kb, "linked:tst-9999") == set()  # well formed, in no link: nothing


def test_an_added_link_is_found_and_a_removed_one_no_longer(run, linked_kb: Path) -> None:
    assert found(linked_kb, "rel:contradicts") == {"tst-0001", "tst-0006"}  # the index is built
    # the link is written into the first file; its target, in the second, is found too
    r = run("--kb", linked_kb, "links", "add", "tst-0004", "contradicts", "tst-0007")
    assert r.exit_code == 0, r
    assert found(linked_kb, "rel:contradicts") == {"tst-0001", "tst-0006", "tst-0004", "tst-0007"}
    assert found(linked_kb, "linked:tst-0007") == {"tst-0003", "tst-0004"}
    # removed by hand from the first file: both ends lose it
    path = linked_kb / FIRST
    text = path.read_text(encoding="utf-8")
    assert "  - {rel: contradicts, id: tst-0007}\n" in text
    path.write_text(text.replace("  links:\n  - {rel: contradicts, id: tst-0007}\n", ""), encoding="utf-8")
    assert found(linked_kb, "rel:contradicts") == {"tst-0001", "tst-0006"}
    assert found(linked_kb, "linked:tst-0007") == {"tst-0003"}
    # a link removed from the second file changes its target's fields in the first
    path = linked_kb / SECOND
    path.write_text(path.read_text(encoding="utf-8").replace("  links: [{rel: qualifies, id: tst-0001}]\n", ""),
                    encoding="utf-8")
    assert found(linked_kb, "rel:qualifies") == set()
    assert found(linked_kb, "linked:tst-0001") == {"tst-0006"}


def test_cli_filters_and_their_errors(run, linked_kb: Path) -> None:
    r = run("--kb", linked_kb, "search", "rel:contradicts", "--json")
    assert r.exit_code == 0, r
    assert '"tst-0001"' in r.stdout and '"tst-0006"' in r.stdout and '"tst-0002"' not in r.stdout
    r = run("--kb", linked_kb, "search", "rel:echoes")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [("Error: cannot parse the query 'rel:echoes': 'echoes' at column 1 is not "
                                      "a link relation; rel: takes one of repeats, supports, contradicts, updates, "
                                      "qualifies")]
    r = run("--kb", linked_kb, "search", "linked:302")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [("Error: cannot parse the query 'linked:302': '302' at column 1 is not a "
                                      "claim id; linked: takes a claim id (prefix-0001: lower-case letters and "
                                      "digits, a dash, 4+ digits), e.g. linked:ctf-0017")]
    r = run("--kb", linked_kb, "search", "linked:tst-9999")
    assert r.exit_code == 1

"""kb quote: where a passage is, with its section, page and footnotes; the nearest miss otherwise."""

from __future__ import annotations

import json
from pathlib import Path

from kb.store.scaffold import create_knowledge_base


def test_quote_in_bundled_report_with_footnote(bundled_kb: Path, run) -> None:
    result = run("--kb", bundled_kb, "quote", "is taken from the UK Government’s guidance on child sexual "
                 "exploitation for England", "--json")
    assert result.exit_code == 0, result
    [match] = json.loads(result.stdout)
    assert match["document"] == "barnardos2012cutting"
    assert [f["number"] for f in match["footnotes"]] == [3]
    assert match["footnotes"][0]["text"].startswith("Department for Children, Schools and Families (2009)")
    assert match["page"] is None  # the bundled report has no manifest
    text = (bundled_kb / "sources" / "documents" / "barnardos2012cutting.txt").read_text(encoding="utf-8")
    assert text[match["start"]:match["end"]] == match["exact"]
    assert set(match) == {"document", "start", "end", "exact", "line", "section", "page", "footnotes"}


def test_quote_section_from_the_claims(bundled_kb: Path, run) -> None:
    result = run("--kb", bundled_kb, "quote", "In 2010-11 we worked with 1,190 young people")
    assert result.exit_code == 0, result
    assert "section “Introduction”" in result.stdout.splitlines()[0]


def test_quote_not_found_gives_near_miss(bundled_kb: Path, run) -> None:
    result = run("--kb", bundled_kb, "quote", "Child sexual exploitation (CSE) is never abusive")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the passage is not in any document")
    assert "matches up to “Child sexual exploitation (CSE) is”" in result.stderr
    assert "the document has “always abusive" in result.stderr


def test_quote_unknown_document(bundled_kb: Path, run) -> None:
    result = run("--kb", bundled_kb, "quote", "abuse", "--doc", "nosuch")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no document 'nosuch'")


def test_quote_page_and_markers_in_new_convention(tmp_path: Path, run) -> None:
    root = tmp_path / "base"
    create_knowledge_base(root)
    docs = root / "sources" / "documents"
    text = "# One\n\nFirst page text.\n\n# Two\n\nIt rose by 16 per cent.[^1] Then it fell.\n\n[^1]: ONS (2011).\n"
    (docs / "d2011.txt").write_text(text, encoding="utf-8")
    (docs / "d2011.yaml").write_text("pages:\n- {page: '7', offset: 0}\n- {page: '8', offset: 25}\n")
    for passage in ("It rose by 16 per cent. Then it fell.", "It rose by 16 per cent.1 Then",
                    "It rose by 16 per cent.[^1] Then"):
        result = run("--kb", root, "quote", passage, "--json")
        assert result.exit_code == 0, (passage, result)
        [match] = json.loads(result.stdout)
        assert match["page"] == "8" and match["section"] == "Two"
        assert match["footnotes"] == [{"number": 1, "text": "ONS (2011)."}]
        assert match["exact"].startswith("It rose by 16 per cent.[^1] Then")
    plain = run("--kb", root, "quote", "First page text")
    assert plain.exit_code == 0
    assert plain.stdout.splitlines()[0] == "d2011.txt line 3, page 7, section “One”"

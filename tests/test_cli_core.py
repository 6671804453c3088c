"""The foundation commands, driven through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from kb import __version__


def test_version(run) -> None:
    r = run("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"kb {__version__}"


def test_help_lists_commands_with_examples(run) -> None:
    r = run("--help")
    assert r.exit_code == 0
    for command in ("stats", "sources", "show", "init"):
        assert command in r.stdout
    assert 'kb search "going missing"' in r.stdout


def test_show_prints_the_record(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "show", "tst-0004")
    assert r.exit_code == 0, r
    assert "In England and Wales there were 89 convictions" in r.stdout
    assert "“In 2010 there were 89 convictions for offences of this kind, … a small rise" in r.stdout
    assert "Ministry of Justice (2011) Criminal Statistics England and Wales, 2010 [footnote 2, Table S5.7]" in r.stdout
    assert "89 convictions (2010)" in r.stdout
    assert "\x1b[" not in r.stdout  # plain text on a pipe


def test_show_json_follows_the_contract(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "show", "tst-0002", "--json")
    record = json.loads(r.stdout)
    assert record["id"] == "tst-0002" and record["kind"] == "finding"
    assert record["fingerprint"] and record["status"] == "unreviewed"
    [cite] = record["cites"]
    assert cite["key"] == "jago2011whats" and cite["footnote"] == 1
    assert cite["source"]["author"] == ["Jago, S.", "et al."] and cite["source"]["year"] == 2011
    assert record["document_source"]["key"] == "testorg2020study"
    [anchor] = record["anchors"]
    text = (small_kb / "sources/documents/testorg2020study.txt").read_text()
    assert text[anchor["start"]:anchor["end"]] == anchor["exact"]
    assert anchor["exact"].startswith("Research by the University")


def test_show_unknown_id_exits_2_with_one_line(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "show", "tst-0099")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith("Error: no claim with id 'tst-0099'") and r.stderr.count("\n") == 1
    assert "did you mean" in r.stderr


def test_malformed_yaml_exits_2_naming_file_and_line(run, small_kb: Path) -> None:
    path = small_kb / "claims" / "testorg2020study.yaml"
    path.write_text(path.read_text().replace("kind: finding", "kind: finding: oops"))
    r = run("--kb", small_kb, "stats")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: invalid YAML") and "testorg2020study.yaml:" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_kb_option_and_environment_select_the_base(run, small_kb: Path, monkeypatch) -> None:
    r = run("--kb", small_kb, "stats", "--json")
    assert json.loads(r.stdout)["claims"] == 7
    monkeypatch.setenv("KB_DIR", str(small_kb))
    r = run("stats", "--json")
    assert json.loads(r.stdout)["root"] == str(small_kb.resolve())
    r = run("--kb", small_kb / "missing", "stats")
    assert r.exit_code == 2 and "does not exist" in r.stderr


def test_stats_counts(run, small_kb: Path) -> None:
    figures = json.loads(run("--kb", small_kb, "stats", "--json").stdout)
    assert figures["kinds"]["statistic"] == 2
    assert figures["places"]["England and Wales"] == 2
    assert figures["cited_sources"]["jago2011whats"] == 1
    assert figures["statuses"] == {"unreviewed": 6, "verified": 1}
    text = run("--kb", small_kb, "stats").stdout
    assert "Claims: 7   Sources: 5   Documents: 1" in text
    assert "By cited source" in text


def test_sources_lists_bibliography_with_counts(run, small_kb: Path) -> None:
    rows = json.loads(run("--kb", small_kb, "sources", "--json").stdout)
    by_key = {row["key"]: row for row in rows}
    assert by_key["testorg2020study"]["claims_from"] == 7
    assert by_key["moj2011criminal"]["cited_by"] == 1 and by_key["moj2011criminal"]["type"] == "dataset"
    text = run("--kb", small_kb, "sources").stdout
    assert "Jago et al. (2011) What's going on" in text


def test_init_creates_a_base_that_stats_reads(run, tmp_path: Path) -> None:
    target = tmp_path / "new-base"
    r = run("init", target)
    assert r.exit_code == 0, r
    assert (target / "claims" / "example.yaml").read_text().startswith("# Claims taken from one document")
    assert (target / "sources" / "references.bib").is_file()
    figures = json.loads(run("--kb", target, "stats", "--json").stdout)
    assert figures["claims"] == 0 and figures["sources"] == 0


def test_init_refuses_a_non_empty_directory(run, small_kb: Path) -> None:
    before = sorted(p.name for p in small_kb.iterdir())
    r = run("init", small_kb)
    assert r.exit_code == 2 and "not an empty directory" in r.stderr
    assert sorted(p.name for p in small_kb.iterdir()) == before


def test_example_claim_from_init_is_valid_when_uncommented(run, tmp_path: Path) -> None:
    """The commented example is a real, valid claim once uncommented."""
    import yaml

    from kb.model.schema import Claim

    target = tmp_path / "b"
    run("init", target)
    lines = (target / "claims" / "example.yaml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# document:"))
    data = yaml.safe_load("\n".join(line[2:] for line in lines[start:]))
    claim = Claim.model_validate({**data["claims"][0], "document": data["document"]})
    assert claim.quantities[0].value == 120

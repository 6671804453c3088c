"""What a writer hands in: the pandoc export rendered by pandoc, per family of styles.

Golden files (tests/data/golden/writers.*.txt) hold pandoc's plain-text rendering
of one selection — a claim from the document itself, two works cited in it (one
with a table locator) and an Act — in each style the README advertises. Each was
checked by hand against its manual's rule for a secondary citation (see
kb/cite/secondary.py). After a deliberate change:

    KB_UPDATE_GOLDEN=1 python -m pytest tests/test_writers.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kb.cite.secondary import credit_for, rule_for
from kb.publish.export import export, write_export
from kb.store.loader import load_kb

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
SELECTION = ["tst-0001", "tst-0002", "tst-0004", "tst-0005"]
PANDOC = shutil.which("pandoc")
needs_pandoc = pytest.mark.skipif(PANDOC is None and os.environ.get("CI") != "true",
                                  reason="pandoc is not installed (in CI, where CI=true, this fails instead)")


def rendered(small_kb: Path, tmp_path: Path, style: str, **kw) -> str:
    kb = load_kb(small_kb)
    out = tmp_path / "facts.md"
    write_export(export(kb, [kb.claim(i) for i in SELECTION], "pandoc", style=style, output=out,
                        title="Selected claims", **kw), out)
    assert PANDOC is not None, "pandoc is required"
    done = subprocess.run([PANDOC, "--citeproc", "facts.md", "-t", "plain", "--wrap=none"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "WARNING" not in done.stderr, done.stderr
    return done.stdout.replace("\xa0", " ")


def test_the_family_table() -> None:
    assert (rule_for("apa").phrase, credit_for("apa")) == ("as cited in", "read")
    assert (rule_for("APA").phrase, credit_for("apa", "both")) == ("as cited in", "both")
    assert (rule_for("harvard-cite-them-right").phrase, credit_for("harvard-cite-them-right")) == ("cited in", "read")
    assert (rule_for("chicago-author-date").phrase, credit_for("chicago-author-date")) == ("quoted in", "both")
    assert rule_for("chicago-notes-bibliography").phrase == "quoted in"
    assert (rule_for("modern-language-association").phrase, credit_for("modern-language-association")) == \
        ("qtd. in", "read")
    for numeric in ("vancouver", "ieee", "nature", "american-medical-association"):
        assert (rule_for(numeric).phrase, credit_for(numeric)) == ("cited in", "both"), numeric
    assert rule_for("mhra-notes").family == "MHRA" and rule_for("/tmp/x/apa.csl").family == "APA 7"
    assert rule_for("some-journal").family == "default" and credit_for("some-journal") == "both"
    assert rule_for("apa-6th-edition").family == "APA 7" and rule_for("apaxyz").family == "default"


@needs_pandoc
@pytest.mark.parametrize(("style", "name"), [
    ("apa", "writers.apa.txt"),
    ("harvard-cite-them-right", "writers.harvard-cite-them-right.txt"),
    ("chicago-author-date", "writers.chicago-author-date.txt"),
    ("vancouver-nlm", "writers.vancouver.txt"),
    ("mhra-notes", "writers.mhra-notes.txt"),
])
def test_pandoc_renders_as_the_manual_shows(small_kb: Path, tmp_path: Path, style: str, name: str) -> None:
    text = rendered(small_kb, tmp_path, style)
    golden = GOLDEN / name
    if os.environ.get("KB_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"regenerate with KB_UPDATE_GOLDEN=1 if intended: {name}"


@needs_pandoc
def test_each_family_credits_and_lists_by_its_rule(small_kb: Path, tmp_path: Path) -> None:
    apa = rendered(small_kb, tmp_path, "apa")
    assert "(Jago et al., 2011, as cited in Test Organisation, 2020)" in apa
    assert "(Ministry of Justice, 2011, Table S5.7, as cited in Test Organisation, 2020)" in apa
    assert "Jago, S." not in apa.split("References")[1]  # APA lists the work read only
    chicago = rendered(small_kb, tmp_path, "chicago-author-date")
    assert "(Jago et al. 2011, quoted in Test Organisation 2020)" in chicago
    assert "Jago, S." in chicago.split("References")[1]  # Chicago lists both
    vancouver = rendered(small_kb, tmp_path, "vancouver-nlm")
    assert "(2, cited in 1)" in vancouver and "(3, Table S5.7, cited in 1)" in vancouver
    both = rendered(small_kb, tmp_path, "apa", credit="both")
    assert "Jago, S." in both.split("References")[1]
    cited = rendered(small_kb, tmp_path, "apa", credit="cited")
    assert "(Jago et al., 2011)" in cited and "cited in" not in cited


@needs_pandoc
@pytest.mark.parametrize("style", ["apa", "harvard-cite-them-right", "chicago-author-date", "mhra-notes"])
def test_an_act_is_named_with_its_year_once(small_kb: Path, tmp_path: Path, style: str) -> None:
    text = rendered(small_kb, tmp_path, style)
    assert "Sexual Offences Act" in text
    assert "2003, 2003" not in text and "2003 2003" not in text and "2003 (2003)" not in text


def test_sources_names_an_act_once(run, small_kb: Path) -> None:
    text = run("--kb", small_kb, "sources").stdout
    assert "  Sexual Offences Act 2003\n" in text and "Sexual Offences Act 2003 (2003)" not in text
    assert "  Jago et al. (2011) What's going on" in text


def test_quotes_carry_the_page_from_the_manifest(run, small_kb: Path) -> None:
    kb = load_kb(small_kb)
    document = kb.document("testorg2020study")
    start = document.anchor_fragments(kb.claim("tst-0002").fragments)[0].start
    (small_kb / "sources" / "documents" / "testorg2020study.yaml").write_text(
        f"pages:\n- {{page: 'iv', offset: 0}}\n- {{page: '12', offset: {start}}}\n", encoding="utf-8")
    r = run("--kb", small_kb, "export", "-f", "markdown", "--quotes", "--style", "apa",
            "--id", "tst-0002,tst-0001")
    assert r.exit_code == 0, r.stderr
    quotes = [line for line in r.stdout.splitlines() if line.startswith("> ")]
    assert quotes[0].endswith("(Jago et al., 2011, as cited in Test Organisation, 2020, p. 12)")
    assert quotes[1].endswith("(Test Organisation, 2020, p. iv)")
    r = run("--kb", small_kb, "export", "-f", "pandoc", "--quotes", "--id", "tst-0002")
    assert "cited in @testorg2020study, p. 12]" in r.stdout and r.stdout.count("\n> ") == 1

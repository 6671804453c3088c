"""``pandoc``: Markdown with ``[@key]`` citations for ``pandoc --citeproc``.

The YAML front matter carries the ``title`` (``--title``, by default from the
query), the bibliography and the style, referenced portably:

- with ``-o facts.md`` the bibliography is written beside it as CSL-JSON
  (``facts.references.json``: a name that says what it is, so it does not clobber a
  ``facts.json`` of the writer's own) and, for any style but pandoc's built-in
  default (chicago-author-date), the style file as ``facts.csl``; both are named by
  their file names, so ``pandoc --citeproc facts.md -o facts.docx`` works wherever
  the three files go together;
- on stdout the references are inline and the style is named by its address at
  zotero.org (``https://www.zotero.org/styles/apa``, which pandoc fetches), or by the
  path given for a ``.csl`` file of the writer's own — never by a path into the
  installation.

A work cited in the claim's document is credited by the style family's rule
(kb/cite/secondary.py). Author-date and note styles get the style's own form,
"[Ministry of Justice, 2011, Table S5.7, as cited in @barnardos2012cutting]": the
cited work's part is written out (formatted in the style) so the whole citation
reads as the manual shows, and the cited work is listed (``nocite``) only where
the style lists both. Numeric styles keep two pandoc citations
"[@moj2011criminal, Table S5.7; cited in @barnardos2012cutting]" so both are numbered.

Links between claims read as in the ``markdown`` export ("Repeats ctf-0302" after a
hard line break, the id a link within the document when that claim is in it); a
linked claim's anchor is an empty span ``[]{#ctf-0302}``, which docx and odt keep as
a bookmark. Left out with ``--quotes``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kb.cite.citations import credited_keys, load_style, markdown_escape, render, works_cited
from kb.cite.csl import csl_items
from kb.cite.secondary import credit_for, rule_for
from kb.errors import BadInput
from kb.publish.exporters import ExportJob, ExportResult, claim_text, quote_pages
from kb.publish.exporters.markdown import with_links

PANDOC_DEFAULT_STYLE = "chicago-author-date"
ANCHOR = "[]{{#{id}}}"
"""A claim's anchor: an empty span with the id (pandoc's bracketed_spans), a bookmark in docx and odt."""
_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_]+(?:[:.\-][A-Za-z0-9_]+)*")
_SELF_LINK = re.compile(r'<link\s+href="(https?://www\.zotero\.org/styles/[A-Za-z0-9._\-]+)"\s+rel="self"')


def cite_key(key: str) -> str:
    """``@key``, braced where pandoc would stop reading the key early."""
    return f"@{key}" if _SIMPLE_KEY.fullmatch(key) else f"@{{{key}}}"


def _locator(text: str) -> str:
    return markdown_escape(" ".join(text.split()).replace(";", ","))


def citation(job: ExportJob, claim, *, cited_text: str = "", phrase: str = "cited in", credit: str = "both",
             numeric: bool = False, page: str = "", tight: bool = False) -> str:
    """The pandoc citation of a claim, e.g. ``[Ministry of Justice, 2011, as cited in @barnardos2012cutting]``."""
    cited, document = credited_keys(job.kb, claim)
    locators = {c.key: c.locator for c in claim.cites}
    doc = cite_key(document) + (f", {_locator(page)}" if page else "")
    if not cited:
        return f"[{doc}]"
    parts = [cite_key(key) + (f", {_locator(locators[key])}" if locators.get(key) else "") for key in cited]
    if credit == "cited":
        return "[" + "; ".join(parts) + "]"
    if numeric or not cited_text:
        # '\ ' (a non-breaking space) keeps the gap a "," delimiter lacks: "(3, cited in 2)", not "(3,cited in 2)"
        gap = "\\ " if tight else ""
        return "[" + "; ".join(parts) + f"; {gap}{markdown_escape(phrase)} {doc}]"
    return f"[{cited_text}, {markdown_escape(phrase)} {doc}]"


def _yaml(value: object) -> str:
    """A YAML scalar or flow collection: JSON is valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def portable_style_reference(style: str, style_file: Path) -> str:
    """How stdout front matter names the style: its zotero.org address, or the path as the user gave it."""
    if style.endswith(".csl") or Path(style).expanduser().is_file():
        return style
    head = style_file.read_text(encoding="utf-8")[:4000]
    found = _SELF_LINK.search(head)
    return found.group(1).replace("http://", "https://") if found else style_file.name


def document_text(job: ExportJob, *, references_inline: bool, csl: str | None,
                  bibliography: str | None = None) -> tuple[str, list[dict], str]:
    """(the Markdown, the CSL-JSON items, the style's file) for ``job``."""
    style = load_style(job.style)
    rule = rule_for(style.name)
    credit = credit_for(style.name, job.credit)
    pages = quote_pages(job.kb, job.claims) if job.quotes else {}
    rendered = render(job.kb, job.claims, style, "markdown", credit="both")
    items = csl_items(works_cited(job.kb, job.claims, "both" if style.is_numeric else credit))
    listed = {item["id"] for item in items}
    tight = not style.csl.root.citation.layout.get("delimiter", "; ").endswith(" ")
    nocite: list[str] = []
    body: list[str] = []
    for cited in rendered.claims:
        claim = cited.claim
        keys, document = credited_keys(job.kb, claim)
        text = markdown_escape(claim_text(job, claim))
        ref = citation(job, claim, cited_text=cited.cited_text, phrase=rule.phrase, credit=credit,
                       numeric=style.is_numeric, page=pages.get(claim.id, ""), tight=tight)
        if keys and credit == "both" and not style.is_numeric:
            nocite.extend(k for k in keys if k in listed and k not in nocite)
        if job.quotes:
            body.append(f"> {text} {ref}")
        else:
            item = f"{text[:-1]} {ref}{text[-1]}" if text[-1:] in ".!?" else f"{text} {ref}"
            body.append(f"- {with_links(job, claim, item, ANCHOR)}")
    front = ["---"]
    if job.title:
        front.append(f"title: {_yaml(markdown_escape(job.title))}")  # pandoc reads metadata as Markdown
    if references_inline:
        front.append(f"references: {_yaml(items)}")
    elif bibliography:
        front.append(f"bibliography: {_yaml(bibliography)}")
    if csl:
        front.append(f"csl: {_yaml(csl)}")
    if nocite:
        front.append(f"nocite: {_yaml(', '.join(cite_key(k) for k in nocite))}")
    front += ['reference-section-title: "References"', "---"]
    joiner = "\n\n" if job.quotes else "\n"
    return "\n".join(front) + "\n\n" + joiner.join(body) + "\n", items, str(style.path)


def export(job: ExportJob) -> ExportResult:
    style_name = job.style.strip().lower() if not job.style.endswith(".csl") else job.style
    use_csl = style_name != PANDOC_DEFAULT_STYLE
    companions: dict[Path, str] = {}
    if job.output is None:
        style_file = Path(load_style(job.style).path)
        csl = portable_style_reference(job.style, style_file) if use_csl else None
        text, items, _ = document_text(job, references_inline=True, csl=csl)
        return ExportResult(text, works=len(items))
    if job.output.suffix.lower() == ".csl":
        raise BadInput(f"the pandoc export {job.output} would be overwritten by its own style",
                       hint="name the Markdown file e.g. facts.md")
    bib = job.output.with_name(f"{job.output.stem}.references.json")
    csl_file = job.output.with_suffix(".csl")
    text, items, style_file = document_text(job, references_inline=False, csl=csl_file.name if use_csl else None,
                                            bibliography=bib.name)
    companions[bib] = json.dumps(items, ensure_ascii=False, indent=2) + "\n"
    if use_csl:
        companions[csl_file] = Path(style_file).read_text(encoding="utf-8")
    return ExportResult(text, companions, works=len(items))


PANDOC_TIMEOUT = 120


def pandoc_binary() -> str:
    """The pandoc executable (``KB_PANDOC`` or ``pandoc`` on PATH); KbError saying how to get it."""
    import os
    import shutil

    from kb.errors import KbError

    found = shutil.which(os.environ.get("KB_PANDOC", "pandoc"))
    if found is None:
        raise KbError("pandoc is not installed (needed for docx and odt exports)",
                      hint="install it (https://pandoc.org/installing.html, or 'apt install pandoc'), "
                           "or export --format pandoc and convert it elsewhere")
    return found


def convert(job: ExportJob, to: str) -> ExportResult:
    """A ``to`` document (docx, odt) made by pandoc from this export, as bytes.

    pandoc runs in a temporary directory holding the Markdown, its CSL-JSON and the
    style, so nothing from the installation's paths reaches the document.
    """
    import subprocess
    import tempfile

    from kb.errors import KbError

    binary = pandoc_binary()
    plain = ExportJob(kb=job.kb, claims=job.claims, style=job.style, output=None, credit=job.credit,
                      title=job.title, quotes=job.quotes)
    with tempfile.TemporaryDirectory(prefix="kb-pandoc-") as tmp:
        folder = Path(tmp)
        text, items, style_file = document_text(plain, references_inline=False, csl="style.csl",
                                                bibliography="references.json")
        (folder / "references.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        (folder / "style.csl").write_text(Path(style_file).read_text(encoding="utf-8"), encoding="utf-8")
        (folder / "claims.md").write_text(text, encoding="utf-8")
        try:
            done = subprocess.run([binary, "--citeproc", "-f", "markdown", "-t", to, "-o", f"claims.{to}",
                                   "claims.md"], cwd=folder, capture_output=True, text=True,
                                  timeout=PANDOC_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise KbError(f"pandoc could not make the {to} file ({exc})", hint="check 'pandoc --version' runs") from None
        if done.returncode != 0:
            detail = " ".join(done.stderr.split())[:300]
            raise KbError(f"pandoc failed making the {to} file: {detail}", hint="check 'pandoc --version' runs")
        return ExportResult((folder / f"claims.{to}").read_bytes(), works=len(items))

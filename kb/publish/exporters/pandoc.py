"""``pandoc``: Markdown with ``[@key]`` citations for ``pandoc --citeproc``.

With ``-o facts.md`` the bibliography is written beside it as CSL-JSON
(``facts.references.json``: a name that says what it is, so it does not clobber a
``facts.json`` of the writer's own) and, for any style but pandoc's built-in default
(chicago-author-date), the style as ``facts.csl``; both are named in the YAML
front matter, so ``pandoc --citeproc facts.md -o facts.docx`` needs no other
flag. On stdout the front matter carries the references inline and names the
installed style file by its path.
"""

from __future__ import annotations

import json
import re

from kb.cite.citations import (
    attach,
    credited_keys,
    markdown_escape,
    style_path,
    works_cited,
)
from kb.cite.csl import csl_items
from kb.errors import BadInput
from kb.publish.exporters import ExportJob, ExportResult

PANDOC_DEFAULT_STYLE = "chicago-author-date"
_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_]+(?:[:.\-][A-Za-z0-9_]+)*")


def cite_key(key: str) -> str:
    """``@key``, braced where pandoc would stop reading the key early."""
    return f"@{key}" if _SIMPLE_KEY.fullmatch(key) else f"@{{{key}}}"


def citation(job: ExportJob, claim) -> str:
    """``[@jago2011whats, p. 12; cited in @barnardos2012cutting]`` for a claim."""
    cited, document = credited_keys(job.kb, claim)
    locators = {c.key: c.locator for c in claim.cites}
    parts = []
    for key in cited:
        locator = locators.get(key, "").replace(";", ",")
        parts.append(cite_key(key) + (f", {markdown_escape(locator)}" if locator else ""))
    parts.append(("cited in " if cited else "") + cite_key(document))
    return "[" + "; ".join(parts) + "]"


def _yaml(value: object) -> str:
    """A YAML scalar or flow collection: JSON is valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def export(job: ExportJob) -> ExportResult:
    items = csl_items(works_cited(job.kb, job.claims))
    style_file = style_path(job.style)
    use_csl = job.style != PANDOC_DEFAULT_STYLE
    companions = {}
    front = ["---"]
    if job.output is None:
        front.append(f"references: {_yaml(items)}")
        if use_csl:
            front.append(f"csl: {_yaml(str(style_file))}")
    else:
        if job.output.suffix.lower() == ".csl":
            raise BadInput(f"the pandoc export {job.output} would be overwritten by its own style",
                           hint="name the Markdown file e.g. facts.md")
        bib = job.output.with_name(f"{job.output.stem}.references.json")
        companions[bib] = json.dumps(items, ensure_ascii=False, indent=2) + "\n"
        front.append(f"bibliography: {_yaml(bib.name)}")
        if use_csl:
            csl = job.output.with_suffix(".csl")
            companions[csl] = style_file.read_text(encoding="utf-8")
            front.append(f"csl: {_yaml(csl.name)}")
    front += ['reference-section-title: "References"', "---"]
    body = [f"- {attach(markdown_escape(claim.statement), citation(job, claim))}" for claim in job.claims]
    return ExportResult("\n".join(front) + "\n\n" + "\n".join(body) + "\n", companions)

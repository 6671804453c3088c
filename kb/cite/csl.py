"""Sources as CSL-JSON items: the one mapping shared by the csl-json exporter,
citeproc-py (kb/cite/citations.py) and the bibliography beside a pandoc export.

CSL-JSON (citation-style-language/schema, ``csl-data.json``) allows no keys
outside its list, so everything here is a standard variable.
"""

from __future__ import annotations

import re
from typing import Any

from kb.model.schema import Organisation, Source

# kb source type -> CSL item type
CSL_TYPES = {
    "report": "report",
    "legislation": "legislation",
    "dataset": "dataset",
    "online": "webpage",
    "book": "book",
    "article": "article-journal",
    "incollection": "chapter",
    "misc": "document",
}

# pandoc writes BibTeX's "and others" as this literal name and renders it "et al.";
# kb/cite/citations.py does the same for citeproc-py.
OTHERS = {"literal": "others"}


def csl_name(author: Any) -> dict[str, str]:
    """A person as family/given, an organisation as a literal (corporate) name."""
    if isinstance(author, Organisation):
        return {"literal": author.name}
    name = {"family": author.family}
    if author.given:
        name["given"] = author.given
    return name


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def is_safe_url(url: str) -> bool:
    """True for an http(s) or relative address: what may become a link. ``javascript:``,
    ``data:`` and the like (and any control character) never do."""
    value = str(url).strip()
    if any(ch < " " or ch == "\x7f" for ch in value):
        return False
    found = _SCHEME.match(value)
    if found:
        return found.group(1).lower() in ("http", "https")
    return ":" not in value.split("/", 1)[0]


def _bare_address(text: str) -> str:
    text = text.strip().lower()
    for prefix in ("https://", "http://", "www."):
        text = text.removeprefix(prefix)
    return text.rstrip("/")


def same_address(note: str, url: str) -> bool:
    """True when a note only repeats the URL ("www.barnardos.org.uk/cutthemfree"): it is not written twice."""
    return bool(note and url) and _bare_address(note) == _bare_address(url)


def csl_title(source: Source) -> str:
    """The title as CSL wants it: an Act or Order named with its year ("Sexual Offences Act
    2003") loses the year, which ``issued`` carries, so no style prints it twice
    ("Sexual Offences Act, 2003" in APA, not "Sexual Offences Act 2003, 2003")."""
    if source.type == "legislation" and source.year:
        suffix = f" {source.year}"
        if source.title.endswith(suffix) and len(source.title) > len(suffix):
            return source.title[: -len(suffix)].rstrip(" ,")
    return source.title


def csl_item(source: Source, *, protect_case: bool = False) -> dict[str, Any]:
    """The CSL-JSON item for ``source``.

    With ``protect_case`` the title is wrapped in a ``nocase`` span, so styles that
    sentence-case titles keep it as printed ("England and Wales", "Act 2003").
    """
    item: dict[str, Any] = {"id": source.key, "type": CSL_TYPES[source.type]}
    authors = [csl_name(a) for a in source.authors]
    if source.et_al:
        authors.append(dict(OTHERS))
    if authors:
        item["author"] = authors
    if source.year:
        item["issued"] = {"date-parts": [[source.year]]}
    title = csl_title(source)
    item["title"] = f'<span class="nocase">{title}</span>' if protect_case else title
    optional = {
        "genre": source.genre,
        "publisher": source.publisher,
        "publisher-place": source.place,
        "number": source.number,
        "URL": source.url if is_safe_url(source.url) else "",  # pandoc and citeproc make it a link
        "note": "" if same_address(source.note, source.url) else source.note,
    }
    item.update({name: value for name, value in optional.items() if value})
    return item


def csl_items(sources: list[Source], *, protect_case: bool = False) -> list[dict[str, Any]]:
    return [csl_item(s, protect_case=protect_case) for s in sources]

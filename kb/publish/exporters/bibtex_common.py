"""What the ``bibtex`` and ``biblatex`` exports share: TeX escaping, names, writing an entry.

Text from the base arrives decoded ("England & Wales", "Müller"): the reader of
references.bib decodes TeX escapes. It is encoded here exactly once: the ten TeX
specials become their escapes (``&`` -> ``\\&``; braces and the backslash become
``\\textbraceleft{}``, ``\\textbraceright{}``, ``\\textbackslash{}`` so an entry's
braces always balance), accented letters stay UTF-8 (pybtex, biber and bibtex 0.99
read it). Newlines collapse to spaces.
"""

from __future__ import annotations

import re

from kb.model.schema import Organisation, Source

_TEX = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
    "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile("|".join(re.escape(c) for c in _TEX))
_KEY_SAFE = re.compile(r"[^A-Za-z0-9_:.\-+/]")


def escape(text: str) -> str:
    """``text`` with TeX's special characters escaped once, on one line."""
    return _SPECIAL.sub(lambda m: _TEX[m.group(0)], " ".join(str(text).split()))


def entry_key(key: str) -> str:
    """A citation key as BibTeX can read it (the base's keys already are; anything else becomes '-')."""
    return _KEY_SAFE.sub("-", key) or "key"


def author_field(source: Source) -> str:
    """'{{Barnardo's}}' for an organisation (one literal name), 'Family, Given' for a person."""
    names = [f"{{{escape(a.name)}}}" if isinstance(a, Organisation)
             else escape(f"{a.family}, {a.given}" if a.given else a.family) for a in source.authors]
    if source.et_al:
        names.append("others")
    return " and ".join(names)


def format_entry(entry_type: str, key: str, fields: list[tuple[str, str]]) -> str:
    """``@type{key, name = {value}, ...}`` with aligned names; values must be escaped already."""
    fields = [(name, value) for name, value in fields if value]
    width = max((len(name) for name, _ in fields), default=0)
    body = "".join(f"  {name:<{width}} = {{{value}}},\n" for name, value in fields)
    return f"@{entry_type}{{{entry_key(key)},\n{body}}}\n"


def url_field(url: str) -> str:
    """A URL as a field value: only braces and backslashes would break it (and % in classic BibTeX)."""
    return escape(url) if re.search(r"[{}\\\s]", url) else url.replace("%", r"\%")

"""Reading ``sources/references.bib``: the only module that touches bibtexparser."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from pydantic import ValidationError

from kb.errors import Problem
from kb.model.schema import Organisation, Person, Source

log = logging.getLogger(__name__)

# BibTeX entry type -> the model's type
_TYPES = {
    "report": "report", "techreport": "report",
    "legislation": "legislation", "legal": "legislation", "jurisdiction": "legislation",
    "dataset": "dataset",
    "online": "online", "www": "online", "electronic": "online",
    "book": "book", "article": "article",
    "incollection": "incollection", "inbook": "incollection", "inproceedings": "incollection",
    "misc": "misc",
}


_BARE_SPECIAL = re.compile(r"(?<!\\)([&%$#_])")
_VERBATIM = {"url", "doi", "eprint", "file"}
_MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}


def _plain(value: str) -> str:
    """Field text without protective braces and with spaces collapsed."""
    return " ".join(value.replace("{", "").replace("}", "").split())


def _authors(field_value: object) -> tuple[list[Person | Organisation], bool]:
    """Authors from bibtexparser's NameParts: ``{Org}`` is an organisation; 'others' means et al."""
    authors: list[Person | Organisation] = []
    et_al = False
    for name in field_value if isinstance(field_value, list) else []:
        last = " ".join(name.von + name.last)
        if last == "others" and not name.first:
            et_al = True
        elif last.startswith("{") and last.endswith("}") and not name.first:
            authors.append(Organisation(name=_plain(last)))
        else:
            authors.append(Person(family=_plain(last), given=_plain(" ".join(name.first + name.jr))))
    return authors, et_al


def _year(fields: dict[str, str]) -> int | None:
    raw = fields.get("year") or fields.get("date", "")
    m = re.match(r"\s*(\d{4})", raw)
    return int(m.group(1)) if m else None


_TEX = re.compile(r"[\\{}~$]|--|``|''")


def _tex_decoder(middlewares: object) -> object:
    """bibtexparser's LaTeX decoding middleware, which leaves plain strings (no TeX in them) alone:
    decoding is slow, and most fields are plain."""

    class Decoder(middlewares.LatexDecodingMiddleware):  # type: ignore[attr-defined,name-defined,misc]
        def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
            if not _TEX.search(python_string):
                return python_string, ""
            return super()._transform_python_value_string(python_string)

    return Decoder(True, keep_braced_groups=True)


def _unresolved_strings(path: Path, library: object) -> list[Problem]:
    """A field written as a bare word (an @string macro never defined) or as a ``#``
    concatenation, which this reader does not join: both would be read as literal text."""
    problems = []
    for entry in library.entries:  # type: ignore[attr-defined]
        for fld in entry.fields:
            value = fld.value
            if not isinstance(value, str) or value[:1] in ("{", '"') or value.strip().isdigit():
                continue
            if fld.key.lower() == "month" and value.strip().lower() in _MONTHS:
                continue  # BibTeX's predefined month macros
            line = entry.start_line + 1
            if "#" in value:
                problems.append(Problem(path, line, entry.key, "bibtex-string",
                                        f"field '{fld.key}' joins parts with '#', which kb does not read",
                                        "write the field's whole text in braces"))
            else:
                problems.append(Problem(path, line, entry.key, "bibtex-string",
                                        f"field '{fld.key}' uses the @string macro '{value.strip()}', "
                                        "which is not defined", "define it with @string or write the text in braces"))
    return problems


def parse_bibliography(path: Path) -> tuple[dict[str, Source], list[Problem]]:
    """Read a .bib file into sources by key, collecting every problem with its line."""
    import bibtexparser
    from bibtexparser import middlewares

    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [Problem(path, None, None, "bibtex-read", f"cannot read the bibliography ({exc})",
                            "check the file exists and is UTF-8")]
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    # The stack is pinned, not left to bibtexparser's defaults, which may change. @string
    # macros are resolved first, so that what is left unresolved can be reported; TeX is
    # decoded ("England \& Wales" -> "England & Wales", {\"u} -> ü) keeping braced groups,
    # so that an organisation written {Barnardo's} stays one name.
    library = bibtexparser.parse_string(
        text, parse_stack=[middlewares.ResolveStringReferencesMiddleware(True)])
    problems += _unresolved_strings(path, library)
    library = middlewares.RemoveEnclosingMiddleware(True).transform(library)
    verbatim = {(e.key, f.key): f.value for e in library.entries for f in e.fields if f.key.lower() in _VERBATIM}
    for entry in library.entries:  # a bare "&" or "%" is meant as written, not as TeX
        for fld in entry.fields:
            if isinstance(fld.value, str):
                fld.value = _BARE_SPECIAL.sub(r"\\\1", fld.value)
    library = _tex_decoder(middlewares).transform(library)
    for entry in library.entries:  # URLs are not TeX: "~" stays a tilde
        for fld in entry.fields:
            value = verbatim.get((entry.key, fld.key), fld.value)
            fld.value = value.replace("\u00a0", " ") if isinstance(value, str) else value
    library = middlewares.SeparateCoAuthors(True).transform(library)
    library = middlewares.SplitNameParts(True).transform(library)
    for block in library.failed_blocks:
        line = block.start_line + 1
        if type(block).__name__ == "DuplicateBlockKeyBlock":
            problems.append(Problem(path, line, block.key, "bibtex-duplicate-key",
                                    f"duplicate BibTeX key '{block.key}'", "give each entry its own key"))
        else:
            head = block.raw.strip().splitlines()[0][:60] if block.raw.strip() else ""
            problems.append(Problem(path, line, None, "bibtex-syntax",
                                    f"unparseable BibTeX entry '{head}'", "fix the entry's braces, commas and quotes"))
    sources: dict[str, Source] = {}
    for entry in library.entries:
        line = entry.start_line + 1
        fields = {name: field.value for name, field in entry.fields_dict.items()}
        kind = _TYPES.get(entry.entry_type.lower())
        if kind is None:
            problems.append(Problem(path, line, entry.key, "bibtex-type",
                                    f"unsupported entry type @{entry.entry_type}",
                                    f"use one of {', '.join(sorted(set(_TYPES)))}"))
            continue
        text_fields = {k: _plain(v) for k, v in fields.items() if isinstance(v, str)}
        authors, et_al = _authors(fields.get("author") or fields.get("editor"))
        try:
            sources[entry.key] = Source(
                key=entry.key,
                type=kind,
                authors=authors,
                et_al=et_al,
                year=_year(text_fields),
                title=text_fields.get("title", ""),
                genre=text_fields.get("type", ""),
                publisher=text_fields.get("institution") or text_fields.get("organization")
                or text_fields.get("publisher", ""),
                place=text_fields.get("address") or text_fields.get("location", ""),
                number=text_fields.get("number", ""),
                url=text_fields.get("url", ""),
                note=text_fields.get("note", ""),
                line=line,
            )
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                problems.append(Problem(path, line, entry.key, "bibtex-schema",
                                        f"field '{where}': {err['msg']}", "correct the entry's fields"))
    return sources, problems

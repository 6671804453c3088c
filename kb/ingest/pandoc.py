"""DOCX, ODT, HTML and EPUB through pandoc: plain text with ``[^N]`` footnotes and ``# `` headings."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from kb.errors import BadInput

FORMATS = {".docx": "docx", ".odt": "odt", ".html": "html", ".htm": "html", ".epub": "epub"}

# Headings stay visible as "# Title"; HTML footnotes (pandoc's own "footnote-ref" links and
# "footnotes" section, or the EPUB roles doc-noteref / doc-endnotes) become real notes.
LUA_FILTER = r"""
local function has_class(el, names)
  for _, c in ipairs(el.classes or {}) do if names[c] then return true end end
  return false
end
local function is_notes(el)
  local role = el.attributes and el.attributes["role"]
  return has_class(el, {footnotes = true, endnotes = true}) or role == "doc-endnotes"
    or role == "doc-footnotes" or el.identifier == "footnotes"
end
local function is_ref(el)
  local role = el.attributes and el.attributes["role"]
  return has_class(el, {["footnote-ref"] = true, noteref = true}) or role == "doc-noteref"
end
local function is_back(el)
  local role = el.attributes and el.attributes["role"]
  return has_class(el, {["footnote-back"] = true}) or role == "doc-backlink"
end
function Pandoc(doc)
  local notes = {}
  local body = pandoc.Div(doc.blocks)
  pandoc.walk_block(body, {
    Div = function(el)
      if not is_notes(el) then return nil end
      for _, inner in ipairs(el.content) do
        if inner.t == "OrderedList" then
          for _, item in ipairs(inner.content) do
            local cleaned = pandoc.walk_block(pandoc.Div(item), {
              Link = function(l) if is_back(l) then return {} end end })
            table.insert(notes, cleaned.content)
          end
        end
      end
    end })
  local refs = 0
  pandoc.walk_block(body, { Link = function(l) if is_ref(l) then refs = refs + 1 end end })
  -- only when every note has its marker do the notes move to their markers; else the
  -- notes section stays in the text as it is (no note text is ever dropped)
  local i = 0
  local filter = {
    Header = function(h)
      local content = {pandoc.Str(string.rep("#", h.level)), pandoc.Space()}
      for _, x in ipairs(h.content) do table.insert(content, x) end
      return pandoc.Para(content)
    end }
  if #notes > 0 and refs == #notes then
    filter.Div = function(el) if is_notes(el) then return {} end end
    filter.Link = function(l)
      if is_ref(l) then
        i = i + 1
        return pandoc.Note(notes[i])
      end
    end
  end
  doc.blocks = pandoc.walk_block(body, filter).content
  return doc
end
"""


def pandoc_version() -> str:
    exe = shutil.which("pandoc")
    if exe is None:
        return ""
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    return out.split("\n", 1)[0].strip()


def _stringify(value) -> str:
    if isinstance(value, dict):
        t, c = value.get("t"), value.get("c")
        if t == "Str" or t == "MetaString":
            return c
        if t in ("Space", "SoftBreak", "LineBreak"):
            return " "
        if t in ("MetaInlines", "MetaBlocks", "Para", "Plain", "Emph", "Strong"):
            return "".join(_stringify(x) for x in c)
        if t == "MetaList":
            return "; ".join(_stringify(x) for x in c)
        if isinstance(c, list):
            return "".join(_stringify(x) for x in c if isinstance(x, (dict, list)))
        return ""
    if isinstance(value, list):
        return "".join(_stringify(x) for x in value)
    return ""


def extract_pandoc(path: Path) -> tuple[str, dict[str, str]]:
    """The text of ``path`` (DOCX, ODT, HTML, EPUB) and its metadata (title, author, year)."""
    exe = shutil.which("pandoc")
    if exe is None:
        raise BadInput(f"cannot read {path.name}: pandoc is not installed",
                       hint="install pandoc (https://pandoc.org/installing.html), or convert the file to PDF or text")
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "kb-notes.lua"
        lua.write_text(LUA_FILTER, encoding="utf-8")
        fmt = FORMATS[path.suffix.lower()]
        source = path
        if fmt == "epub":
            # pandoc's EPUB reader drops note references; its HTML reader keeps them: read the
            # book's chapters, in spine order, as one HTML document
            source = Path(tmp) / "book.html"
            source.write_text(_epub_as_html(path), encoding="utf-8")
            fmt = "html"
        first = subprocess.run([exe, "-f", fmt, "-t", "json", "--lua-filter", str(lua), str(source)],
                               capture_output=True, timeout=300, check=False)
        if first.returncode != 0:
            message = first.stderr.decode("utf-8", "replace").strip().splitlines()
            raise BadInput(f"pandoc cannot read {path.name}: {message[-1] if message else 'unknown error'}",
                           hint=f"check the file is a valid {fmt.upper()} file")
        second = subprocess.run([exe, "-f", "json", "-t", "plain+footnotes", "--wrap=none"],
                                input=first.stdout, capture_output=True, timeout=300, check=False)
        if second.returncode != 0:
            raise BadInput(f"pandoc cannot convert {path.name}: {second.stderr.decode('utf-8', 'replace').strip()}")
    meta = json.loads(first.stdout).get("meta", {})
    if path.suffix.lower() == ".epub":
        meta = _epub_metadata(path)
    date = _stringify(meta.get("date", {}))
    year = next((date[i:i + 4] for i in range(len(date) - 3) if date[i:i + 4].isdigit()), "")
    return second.stdout.decode("utf-8"), {"title": _stringify(meta.get("title", {})).strip(),
                                           "author": _stringify(meta.get("author", {})).strip(), "year": year}


def _epub_package(path: Path):
    """The EPUB's zip, its package document (OPF) as XML, and the OPF's folder inside the zip."""
    import posixpath
    import zipfile
    from xml.etree import ElementTree

    try:
        book = zipfile.ZipFile(path)
        container = ElementTree.fromstring(book.read("META-INF/container.xml"))
        rootfile = next(e.get("full-path") for e in container.iter() if e.tag.endswith("rootfile"))
        opf = ElementTree.fromstring(book.read(rootfile))
    except (zipfile.BadZipFile, KeyError, StopIteration, ElementTree.ParseError, OSError) as exc:
        raise BadInput(f"{path.name} is not a readable EPUB ({exc})", hint="check the file is a complete EPUB") from None
    return book, opf, posixpath.dirname(rootfile)


def _epub_as_html(path: Path) -> str:
    import posixpath
    import re

    book, opf, folder = _epub_package(path)
    hrefs = {e.get("id"): e.get("href") for e in opf.iter() if e.tag.endswith("}item")}
    bodies = []
    for ref in (e for e in opf.iter() if e.tag.endswith("}itemref")):
        href = hrefs.get(ref.get("idref"))
        if not href or ref.get("linear") == "no":
            continue
        try:
            page = book.read(posixpath.normpath(posixpath.join(folder, href))).decode("utf-8", "replace")
        except KeyError:
            continue
        m = re.search(r"<body[^>]*>(.*)</body>", page, re.DOTALL | re.IGNORECASE)
        bodies.append(m.group(1) if m else page)
    return "<html><body>\n" + "\n".join(bodies) + "\n</body></html>\n"


def _epub_metadata(path: Path) -> dict:
    """The OPF's Dublin Core title, creators and date, as pandoc's JSON metadata would give them."""
    _, opf, _ = _epub_package(path)

    def texts(name: str) -> list[str]:
        return [(e.text or "").strip() for e in opf.iter() if e.tag.endswith("}" + name) and (e.text or "").strip()]

    def meta(value: str) -> dict:
        return {"t": "MetaString", "c": value}

    creators = texts("creator")
    return {"title": meta(texts("title")[0] if texts("title") else ""),
            "author": {"t": "MetaList", "c": [meta(c) for c in creators]},
            "date": meta(texts("date")[0] if texts("date") else "")}

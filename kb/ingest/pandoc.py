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
  local body = pandoc.walk_block(pandoc.Div(doc.blocks), {
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
      return {}
    end })
  local i = 0
  body = pandoc.walk_block(body, {
    Link = function(l)
      if is_ref(l) then
        i = i + 1
        if notes[i] then return pandoc.Note(notes[i]) end
      end
    end,
    Header = function(h)
      local content = {pandoc.Str(string.rep("#", h.level)), pandoc.Space()}
      for _, x in ipairs(h.content) do table.insert(content, x) end
      return pandoc.Para(content)
    end })
  doc.blocks = body.content
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
        first = subprocess.run([exe, "-f", fmt, "-t", "json", "--lua-filter", str(lua), str(path)],
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
    date = _stringify(meta.get("date", {}))
    year = next((date[i:i + 4] for i in range(len(date) - 3) if date[i:i + 4].isdigit()), "")
    return second.stdout.decode("utf-8"), {"title": _stringify(meta.get("title", {})).strip(),
                                           "author": _stringify(meta.get("author", {})).strip(), "year": year}

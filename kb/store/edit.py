"""The one way to change a claims file: locked, minimal, atomic, read back.

Every command that edits a claims file (``kb review``, ``kb claim add``, ``kb links
add``...) goes through this module:

``edit_claim(root, path, claim_id, mutate)``
    Edit one claim's mapping. ``mutate`` receives the claim as a ruamel.yaml
    ``CommentedMap`` (its comments, key order and quoting kept) and changes it in
    place; its return value is ignored. Raise a :class:`kb.errors.KbError` inside
    ``mutate`` to abandon the edit (nothing is written).

``append_claim(root, path, claim, document=...)``
    Append ``claim`` (a plain mapping, written in block style in its key order) to the
    ``claims`` list of ``path``, creating the file, or its ``document:``/``claims:``
    keys, when need be. The claim's id must be new to the whole base (checked under
    the lock, so two appends cannot take the same id).

Both:

- refuse on the copy of the base shipped inside the installed package (exit 2, saying
  to ``kb init`` a base of one's own or to copy it);
- hold the base's write lock (:func:`kb.store.lock.base_lock`) while they read, edit
  and write; waiting is bounded by ``KB_EDIT_LOCK_TIMEOUT`` seconds (default 10),
  after which :class:`kb.store.lock.LockBusy` (exit 2) is raised and nothing is written;
- re-read the file under the lock, so concurrent edits of one file serialise and none
  is lost;
- change only the claim's own lines (they are cut out, edited with ruamel.yaml's round
  trip and put back), so every byte outside them stays: comments, blank lines, other
  claims, a ``...`` end marker and anything after the list; the claim's line endings
  (CRLF stays CRLF) and indentation style are kept;
- check the result before writing: the new text parses, the edited (or appended)
  claim reads back as the mapping that was written and is a valid claim, and every
  other claim of the file reads as before;
- write atomically (:func:`kb.store.fileio.atomic_write_text`; a symlinked claims file
  is written through, the link stays), read the file back and restore the old bytes if
  it is not what was written;
- refuse cleanly (exit 2, nothing written): a file that is read-only or not a regular
  file (:class:`kb.errors.WriteError`), a missing file or dangling symlink (for
  ``edit_claim``), a file that is not UTF-8, not valid YAML or has duplicate mapping
  keys, a claim that uses YAML anchors/aliases or is written in flow style (``{...}``),
  an edit that would leave the claim invalid (:class:`kb.errors.BadInput`).

``edit_claim_text(text, claim_id, mutate)`` and ``append_claim_text(text, claim,
document=...)`` are the pure text transformations underneath (no lock, no file).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kb.errors import BadInput, KbError, WriteError

Mutate = Callable[[Any], object]

_INDENTS = ((2, 2, 0), (2, 4, 2), (4, 4, 0), (4, 6, 4), (4, 4, 2))
"""(mapping, sequence, offset) indentations tried, so an edited claim keeps its own style."""

_LINE = re.compile(r"[^\r\n\x85\u2028\u2029]*(?:\r\n|[\r\n\x85\u2028\u2029])|[^\r\n\x85\u2028\u2029]+\Z")
"""A line with its break, as YAML (PyYAML and libyaml) counts lines."""

_ODD_BREAKS = re.compile(r"\r(?!\n)|[\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their breaks, numbered as YAML's marks number them."""
    return _LINE.findall(text)


# --- guards ---------------------------------------------------------------------------


def refuse_bundled(root: Path) -> None:
    """Raise when ``root`` is the base shipped inside the installed package (it is read-only)."""
    from kb.store import locate

    shipped = locate.PACKAGE_DIR / "_bundled"
    try:
        same = Path(root).resolve() == shipped.resolve()
    except OSError:
        same = False
    if same:
        raise BadInput(f"the bundled knowledge base {root} is read-only: it is part of the installed kb, "
                       "and an upgrade would replace it",
                       hint="create a base of your own with 'kb init DIR' (or copy the bundled one: "
                            f"cp -r {root} DIR) and pass --kb DIR")


def _read(path: Path, *, missing_ok: bool = False) -> str | None:
    """The file's text, after checking it is a writable regular file (through a symlink)."""
    from kb.store.fileio import real_target, refuse_unwritable

    refuse_unwritable(path, real_target(path))
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        return raw.decode("utf-8")
    except FileNotFoundError:
        if missing_ok and not os.path.islink(path):
            return None
        raise BadInput(f"cannot edit {path}: it does not exist" +
                       (" (a dangling symbolic link)" if os.path.islink(path) else ""),
                       hint="check the path") from None
    except UnicodeDecodeError as exc:
        raise BadInput(f"cannot edit {path}: it is not UTF-8 text ({exc.reason} at byte {exc.start})",
                       hint="save the file as UTF-8") from None
    except OSError as exc:
        raise BadInput(f"cannot read {path} ({exc.strerror or exc})", hint="check the file") from None


def _compose(text: str) -> Any:
    import yaml

    from kb.store.loader import _yaml_loader

    try:
        # loading (not only composing) refuses what the loader refuses: aliases, duplicate keys
        yaml.load(text, Loader=_yaml_loader(text))
        return yaml.compose(text, Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BadInput(f"invalid YAML{where}: {reason}", hint="fix the syntax at that line") from None


def _nodes(node: Any) -> Iterator[Any]:
    import yaml

    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _refuse_duplicate_keys(root: Any) -> None:
    import yaml

    for node in _nodes(root):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key, _ in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                if key.value in seen:
                    raise BadInput(f"the key '{key.value}' appears twice in one mapping (lines {seen[key.value]} "
                                   f"and {key.start_mark.line + 1}); kb will not edit an ambiguous file",
                                   hint="remove one of them")
                seen[key.value] = key.start_mark.line + 1


def _refuse_anchors(region: str, first: int, claim_id: str) -> None:
    """Refuse anchors and aliases in a claim's own lines (``region``, starting at line ``first``)."""
    import yaml

    from kb.store.loader import _yaml_loader

    try:
        for token in yaml.scan(region, Loader=_yaml_loader()):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                raise BadInput(f"claim {claim_id} uses a YAML anchor or alias (line "
                               f"{first + token.start_mark.line + 1}), which kb cannot edit without changing "
                               "what other entries mean", hint="write the values out in full")
    except yaml.YAMLError:
        pass  # the region alone need not scan (its first line is a list item); the round trip checks it


def _top_value(root: Any, name: str) -> Any:
    """The value node under key ``name`` of a mapping node (None for anything else)."""
    import yaml

    if not isinstance(root, yaml.MappingNode):
        return None
    return next((v for k, v in root.value if getattr(k, "value", None) == name), None)


def _item_end(lines: list[str], mark: Any) -> int:
    """The line after an item whose node ends at ``mark``."""
    if mark.line >= len(lines):
        return len(lines)
    return mark.line if not lines[mark.line][:mark.column].strip() else mark.line + 1


def _trim(lines: list[str], first: int, end: int) -> int:
    """Leave blank and comment lines after an item outside it: they introduce what follows."""
    while end > first + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def claim_span(text: str, claim_id: str) -> tuple[int, int, int]:
    """(first line, line after the last, column of its keys) of the claim's item in the ``claims`` list."""
    return _span(text, _compose(text), claim_id)


def _span(text: str, root: Any, claim_id: str) -> tuple[int, int, int]:
    import yaml

    _refuse_duplicate_keys(root)
    items = _top_value(root, "claims")
    if not isinstance(items, yaml.SequenceNode):
        raise BadInput("the claims file has no 'claims' list")
    lines = split_lines(text)
    for item in items.value:
        ident = _top_value(item, "id")
        if getattr(ident, "value", None) != claim_id:
            continue
        if not isinstance(item, yaml.MappingNode) or item.flow_style or items.flow_style:
            raise BadInput(f"claim {claim_id} is written in flow style ({{...}}), which kb cannot edit",
                           hint="write the claim as a block mapping, one field a line")
        first = item.start_mark.line
        end = _trim(lines, first, _item_end(lines, item.end_mark))
        if _ODD_BREAKS.search("".join(lines[first:end])):
            raise BadInput(f"claim {claim_id} has a line break other than LF or CRLF",
                           hint="use LF (or CRLF) line endings")
        _refuse_anchors("".join(lines[first:end]), first, claim_id)
        return first, end, item.start_mark.column
    raise BadInput(f"claim {claim_id} is not in the file")


# --- ruamel round trip ----------------------------------------------------------------


def _yaml(indent: tuple[int, int, int]) -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 1_000_000  # never re-wrap a long line
    y.allow_duplicate_keys = False
    y.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return y


def _dump(y: Any, data: Any) -> str:
    out = io.StringIO()
    y.dump(data, out)
    return out.getvalue()


def plain(value: Any) -> Any:
    """A ruamel value as plain Python (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _newline(lines: list[str]) -> str:
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def edit_claim_text(text: str, claim_id: str, mutate: Mutate) -> str:
    """The file's text with ``mutate`` applied to the claim; nothing outside the claim's lines changes."""
    from ruamel.yaml.error import YAMLError

    lines = split_lines(text)
    root = _compose(text)
    first, end, column = _span(text, root, claim_id)
    region = lines[first:end]
    newline = _newline(region)
    last_has_break = region[-1].endswith(("\n", "\r"))
    region = [line.rstrip("\r\n") + "\n" for line in region]
    # The claim is edited as a mapping of its own: its first line loses its "- ", every
    # line its indentation; both come back after the edit.
    lead = region[0][:column]
    region[0] = " " * column + region[0][column:]
    dedented = "".join(line[column:] if not line[:column].strip() else line for line in region)
    try:
        y = None
        for indent in _INDENTS:
            candidate = _yaml(indent)
            if _dump(candidate, candidate.load(dedented)) == dedented:
                y = candidate
                break
        y = y or _yaml(_INDENTS[0])  # the claim is re-indented; still, only its lines change
        item = y.load(dedented)
    except YAMLError as exc:
        raise BadInput(f"claim {claim_id} cannot be edited: {str(exc).splitlines()[0]}",
                       hint="check the claim's YAML (duplicate keys, tags)") from None
    mutate(item)
    pad = " " * column
    edited_lines = _dump(y, item).splitlines(keepends=True)
    edited = [lead + edited_lines[0]] + [pad + line if line.strip() else line for line in edited_lines[1:]]
    edited = [line.rstrip("\n") + newline for line in edited]
    if end == len(lines) and not last_has_break:
        edited[-1] = edited[-1].rstrip("\r\n")
    new = "".join(lines[:first]) + "".join(edited) + "".join(lines[end:])
    _check(_ids_of(root), new, claim_id, plain(item))
    return new


def _dump_claim(claim: dict[str, Any], column: int, newline: str) -> list[str]:
    y = _yaml((2, 2, 0))
    y.default_flow_style = False
    body = _dump(y, [dict(claim)]).splitlines(keepends=True)
    pad = " " * column
    return [(pad + line if line.strip() else line).rstrip("\n") + newline for line in body]


def append_claim_text(text: str, claim: dict[str, Any], *, document: str) -> str:
    """``text`` (a claims file, possibly empty) with ``claim`` appended to its ``claims`` list."""
    import yaml

    claim_id = claim.get("id")
    if not isinstance(claim_id, str) or not claim_id:
        raise BadInput("a new claim needs an 'id'")
    lines = split_lines(text)
    newline = _newline(lines) if lines else "\n"
    root = _compose(text) if text.strip() else None
    if root is not None:
        _refuse_duplicate_keys(root)
        if not isinstance(root, yaml.MappingNode):
            raise BadInput("the claims file is not a mapping with 'document' and 'claims'",
                           hint="see 'kb init' for an example")
        doc = _top_value(root, "document")
        if doc is not None and getattr(doc, "value", None) != document:
            raise BadInput(f"the claims file is for document '{getattr(doc, 'value', doc)}', not '{document}'",
                           hint="add the claim to its document's file")
    items = _top_value(root, "claims") if root is not None else None
    if isinstance(items, yaml.SequenceNode) and items.value:
        if items.flow_style:
            raise BadInput("the claims list is written in flow style ([...]), which kb cannot edit",
                           hint="write the list one claim an item")
        if any(getattr(_top_value(item, "id"), "value", None) == claim_id for item in items.value):
            raise BadInput(f"claim {claim_id} is already in the file", hint="give the new claim a new id")
        last = items.value[-1]
        end = _trim(lines, last.start_mark.line, _item_end(lines, last.end_mark))
        first_line = lines[last.start_mark.line]
        column = len(first_line) - len(first_line.lstrip(" "))  # where the item's "-" stands
        head = lines[:end]
        if head and not head[-1].endswith(("\n", "\r")):
            head[-1] += newline
        new = "".join(head) + "".join(_dump_claim(claim, column, newline)) + "".join(lines[end:])
    else:
        body = "".join(_dump_claim(claim, 0, newline))
        if root is None:
            prefix = text + (newline if text and not text.endswith(("\n", "\r")) else "")
            new = prefix + f"document: {_scalar(document)}{newline}claims:{newline}" + body
        elif items is None and _top_value(root, "claims") is None and not _has_key(root, "claims"):
            # no claims key: add one after the mapping (before a '...' marker, if any)
            end = _item_end(lines, root.end_mark)
            head = lines[:end]
            if head and not head[-1].endswith(("\n", "\r")):
                head[-1] += newline
            if doc is None:
                head.append(f"document: {_scalar(document)}{newline}")
            new = "".join(head) + f"claims:{newline}" + body + "".join(lines[end:])
        else:
            key = next(k for k, _ in root.value if getattr(k, "value", None) == "claims")
            if items is not None and not isinstance(items, yaml.SequenceNode) and items.tag != "tag:yaml.org,2002:null":
                raise BadInput("the file's 'claims' is not a list", hint="make 'claims' a list of claims")
            if key.start_mark.column != 0 or (items is not None and items.end_mark.line != key.start_mark.line):
                raise BadInput("cannot add a claim to this file's empty 'claims' list",
                               hint="write 'claims:' on a line of its own")
            row = key.start_mark.line
            line_break = lines[row][len(lines[row].rstrip("\r\n")):] or newline
            new = "".join(lines[:row]) + f"claims:{line_break}" + body + "".join(lines[row + 1:])
            if doc is None:
                new = f"document: {_scalar(document)}{newline}" + new
    _check(_ids_of(root), new, claim_id, plain(claim), appended=True)
    return new


def _has_key(root: Any, name: str) -> bool:
    return any(getattr(k, "value", None) == name for k, _ in root.value)


def _scalar(value: str) -> str:
    y = _yaml((2, 2, 0))
    return _dump(y, value).splitlines()[0].removesuffix(" ...") if value else "''"


def _ids_of(root: Any) -> list[Any]:
    """The ids of a claims file's claims, in order, from its node tree (``None`` for an empty file)."""
    import yaml

    items = _top_value(root, "claims")
    if not isinstance(items, yaml.SequenceNode):
        return []
    return [getattr(_top_value(item, "id"), "value", None) for item in items.value]


def _check(before: list[Any], new: str, claim_id: str, expected: dict[str, Any], *, appended: bool = False) -> None:
    """The new text parses; the claim reads back as ``expected`` and is valid; the others stay where they were.

    Every byte outside the claim's lines is the old file's, so the other claims read as
    before as long as the file keeps its list of ids (an edit that swallowed or split an
    item would change it).
    """
    import yaml

    from kb.model.schema import Claim
    from kb.store.loader import _yaml_loader

    def claims_of(text: str) -> tuple[Any, list[Any]]:
        data = yaml.load(text, Loader=_yaml_loader()) if text.strip() else None
        if not isinstance(data, dict):
            return None, []
        return data.get("document"), list(data.get("claims") or [])

    try:
        document, after = claims_of(new)
    except yaml.YAMLError as exc:
        raise KbError(f"editing claim {claim_id} would make the file unreadable ({exc}); nothing was written",
                      hint="this is a bug in kb; please report it") from None
    ident = lambda c: c.get("id") if isinstance(c, dict) else None  # noqa: E731
    mine = [c for c in after if ident(c) == claim_id]
    if len(mine) != 1 or [ident(c) for c in after] != (before + [claim_id] if appended else before):
        raise KbError(f"editing claim {claim_id} would change other claims of the file; nothing was written",
                      hint="this is a bug in kb; please report it")
    if plain(mine[0]) != expected:
        raise KbError(f"claim {claim_id} would not read back as it was written; nothing was written",
                      hint="check the values (YAML 1.1 and 1.2 read some plain scalars differently)")
    from pydantic import ValidationError

    try:
        Claim.model_validate({**mine[0], "document": document})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise BadInput(f"the edit would make claim {claim_id} invalid: field '{field}': {err['msg']}; "
                       "nothing was written", hint="correct the value") from None


# --- the edits ------------------------------------------------------------------------


def _write_checked(path: Path, old: str | None, new: str) -> None:
    from kb.store.fileio import atomic_write_text

    atomic_write_text(path, new)
    try:
        with open(path, "rb") as handle:
            back = handle.read().decode("utf-8")
        if back != new:
            raise KbError(f"{path} did not read back as written; it was restored",
                          hint="check the disk and try again")
    except BaseException:
        if old is None:
            try:
                os.unlink(path)
            except OSError:
                pass
        else:
            atomic_write_text(path, old)
        raise


def _locked(root: Path):
    from kb.store.lock import base_lock

    refuse_bundled(root)
    return base_lock(Path(root))


def edit_claim(root: Path, path: Path, claim_id: str, mutate: Mutate) -> None:
    """Apply ``mutate`` to claim ``claim_id`` of the claims file ``path`` of the base at ``root``."""
    with _locked(root):
        old = _read(path)
        assert old is not None
        try:
            new = edit_claim_text(old, claim_id, mutate)
        except BadInput as exc:
            if str(path) in exc.message:
                raise
            raise type(exc)(f"{exc.message}, {path}", hint=exc.hint) from None
        if new != old:
            _write_checked(path, old, new)


def _ids_in_base(root: Path) -> dict[str, Path]:
    from kb.store.loader import _ID_LINE

    found: dict[str, Path] = {}
    claims = Path(root) / "claims"
    for path in sorted(claims.glob("*.yaml")) + sorted(claims.glob("*.yml")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for m in _ID_LINE.finditer(text):
            found.setdefault(m.group(1), path)
    return found


def append_claim(root: Path, path: Path, claim: dict[str, Any], *, document: str) -> None:
    """Append ``claim`` to the claims file ``path`` (created if need be) of the base at ``root``."""
    with _locked(root):
        used = _ids_in_base(root).get(str(claim.get("id")))
        if used is not None:
            raise BadInput(f"claim id {claim.get('id')} is already used in {used}", hint="never reuse an id")
        old = _read(path, missing_ok=True)
        new = append_claim_text(old or "", claim, document=document)
        _write_checked(path, old, new)

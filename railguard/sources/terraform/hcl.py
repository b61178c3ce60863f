"""Reading one `.tf` file: size and encoding checks, one parse per file, and the comment scan.

We keep python-hcl2's raw Lark tree rather than its dict output: the dict output turns every
expression back into a `${...}` string that would have to be parsed a second time, and it
loses the line numbers that findings and parse errors need. The tree keeps both.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Token, Tree

MAX_FILE_BYTES = 10 * 1024 * 1024  # refuse a .tf (or plan) larger than this, with a clear error

# parsed trees weigh ~60x their source: bound the cache by source bytes (about 50 MB of trees at most)
_CACHE_BYTES = 512 * 1024
_cached_bytes = 0
_cache: OrderedDict[bytes, ParsedFile] = OrderedDict()
_lock = threading.Lock()


@dataclass
class Attr:
    name: str
    expr: Any  # Lark Tree of the expression
    line: int


@dataclass
class Block:
    type: str
    labels: list[str]
    body: Body
    line: int
    end_line: int


@dataclass
class Body:
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


@dataclass
class ParsedFile:
    path: str
    text: str = ""
    body: Body | None = None
    error: str | None = None
    error_line: int | None = None


def parse_expression(text: str) -> Any:
    """An HCL expression given as text (a heredoc interpolation, a `-var` value)."""
    import hcl2

    tree = hcl2.parses_to_tree(f"x = {text}\n")
    body = index_body(_body_of(tree))
    return body.attrs["x"].expr


def parse_file(path: Path) -> ParsedFile:
    """Parse one file once: the cache is keyed by content, so a module used twice, a rescan or
    the same file copied into several directories costs one parse, and an edit is never missed."""
    key_path = str(path)
    text, err, line = read_text(path)
    if text is None:
        return ParsedFile(key_path, error=err, error_line=line)
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
    if hit is not None:
        return hit if hit.path == key_path else ParsedFile(key_path, hit.text, hit.body, hit.error, hit.error_line)
    pf = parse_text(text, key_path)
    global _cached_bytes
    with _lock:  # loaders may run on a thread pool
        if key not in _cache:
            _cache[key] = pf
            _cached_bytes += len(text)
        while _cached_bytes > _CACHE_BYTES and len(_cache) > 1:
            _, old = _cache.popitem(last=False)
            _cached_bytes -= len(old.text)
    return pf


def read_text(
    path: Path, size: int | None = None, limit: int = MAX_FILE_BYTES
) -> tuple[str | None, str | None, int | None]:
    """(text, error, error_line): size limit and strict UTF-8, the same for .tf, tfvars and plans."""
    if size is None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            return None, f"cannot read: {exc.strerror or exc}", None
    if size > limit:
        return None, f"file is {size / 1048576:.1f} MB, over the {limit // 1048576} MB limit: not parsed", None
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}", None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", line
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, None, None


def parse_text(text: str, name: str = "<string>") -> ParsedFile:
    import hcl2

    try:
        tree = hcl2.parses_to_tree(text)
    except Exception as exc:  # lark raises several kinds; each is one bad file, never a crash
        line = getattr(exc, "line", None)
        msg = _describe(exc)
        return ParsedFile(name, text=text, error=f"invalid HCL: {msg}", error_line=line if isinstance(line, int) and line > 0 else None)
    try:
        body = index_body(_body_of(tree))
    except Exception as exc:
        return ParsedFile(name, text=text, error=f"invalid HCL: {type(exc).__name__}: {exc}")
    return ParsedFile(name, text=text, body=body)


def _describe(exc: Exception) -> str:
    """One line a person can act on (lark's own messages list every expected token)."""
    tok = getattr(exc, "token", None)
    col = getattr(exc, "column", None)
    where = f" (column {col})" if isinstance(col, int) and col > 0 else ""
    if tok is not None:
        text = str(tok).strip()
        if getattr(tok, "type", "") == "$END" or not text:
            return f"unexpected end of file{where}"
        if len(text) > 30:
            text = text[:30] + "..."
        return f"unexpected {text!r}{where}"
    char = getattr(exc, "char", None)
    if char is not None:
        return f"unexpected character {char!r}{where}"
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return first[:200]


def _body_of(tree: Tree) -> Tree:
    for c in tree.children:
        if isinstance(c, Tree) and c.data == "body":
            return c
    return Tree("body", [])


def _name_of(node: Any) -> str:
    """The text of an identifier / keyword / literal_value / string label node."""
    if isinstance(node, Token):
        return str(node)
    if node.data == "string":
        return "".join(str(p.children[0]) for p in node.children if isinstance(p, Tree) and isinstance(p.children[0], Token))
    for c in node.children:
        if isinstance(c, Token):
            return str(c)
    return ""


def index_body(body: Tree) -> Body:
    out = Body()
    for child in body.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            name = _name_of(child.children[0])
            out.attrs[name] = Attr(name, child.children[-1], _line(child))
        elif child.data == "block":
            kids = [c for c in child.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
            sub = kids[-1]
            labels = [_name_of(k) for k in kids[1:-1]]
            out.blocks.append(
                Block(_name_of(kids[0]), labels, index_body(sub), _line(child), getattr(child.meta, "end_line", _line(child)))
            )
    return out


def _line(node: Tree) -> int:
    return int(getattr(node.meta, "line", 0) or 0)


_BLOCK_HEAD = re.compile(r'^[ \t]*(resource|data)[ \t]+("[^"\n]*"|[A-Za-z_][\w-]*)[ \t]+("[^"\n]*"|[A-Za-z_][\w-]*)[ \t]*\{')
_HEREDOC = re.compile(r"<<-?[ \t]*([A-Za-z_][\w-]*)[ \t]*$")


def scan_block_heads(text: str) -> dict[str, list[int]]:
    """Lines of the `resource` / `data` blocks a line scan sees, outside heredocs and `/* */`
    comments: an independent count the parser's result is checked against (python-hcl2 reads
    some valid inputs, such as a heredoc closed by a marker with trailing spaces, wrongly and
    without an error)."""
    out: dict[str, list[int]] = {"resource": [], "data": []}
    marker: str | None = None
    in_comment = False
    for n, line in enumerate(text.splitlines(), 1):
        if marker is not None:
            if line.strip() == marker:
                marker = None
            continue
        if in_comment:
            if "*/" in line:
                in_comment = False
            continue
        m = _BLOCK_HEAD.match(line)
        if m:
            out[m.group(1)].append(n)
        h = _HEREDOC.search(line)
        if h and "#" not in line[: h.start()]:
            marker = h.group(1)
        elif line.lstrip().startswith("/*") and "*/" not in line:
            in_comment = True
    return out


def trim_heredoc_closers(text: str) -> str:
    """The text with trailing blanks removed from heredoc closing markers (same line numbers)."""
    lines = text.split("\n")
    marker: str | None = None
    for i, line in enumerate(lines):
        if marker is not None:
            if line.strip() == marker:
                lines[i] = line.rstrip()
                marker = None
            continue
        h = _HEREDOC.search(line)
        if h and "#" not in line[: h.start()]:
            marker = h.group(1)
            lines[i] = line.rstrip()
    return "\n".join(lines)


def block_count_error(pf: ParsedFile) -> tuple[str, int | None] | None:
    """(message, line) when the parsed file holds fewer or more resource/data blocks than a line
    scan of its text finds: resources would otherwise be lost without a word."""
    if pf.body is None:
        return None
    heads = scan_block_heads(pf.text)
    parsed = {"resource": [b.line for b in pf.body.blocks if b.type == "resource"],
              "data": [b.line for b in pf.body.blocks if b.type == "data"]}
    for kind in ("resource", "data"):
        found, loaded = heads[kind], parsed[kind]
        if len(found) != len(loaded):
            missing = sorted(set(found) - set(loaded))
            where = missing[0] if missing else None
            return (f"{len(found)} {kind} block(s) in the text, {len(loaded)} parsed: the parser misread this file "
                    f"(often a heredoc whose closing marker has trailing spaces){', first missing at line ' + str(where) if where else ''}; "
                    "its resources were not all scanned", where)
    return None


def comment_run_above(lines: list[str], line: int) -> int:
    """First line of the run of comment lines directly above `line` (1-based)."""
    start = line
    i = line - 2
    while i >= 0:
        s = lines[i].strip()
        if s.startswith(("#", "//", "/*", "*")):
            start = i + 1
            i -= 1
        else:
            break
    return start

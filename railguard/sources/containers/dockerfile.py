"""Dockerfile -> one `RailGuard::Docker::Dockerfile` resource.

Properties (every `Line` is 1-based, in the file):

* `Stages`: `[{Name, BaseImage, Tag, Digest, Line, FromStage, Platform, User}]`, one per `FROM`.
  `BaseImage` is the repository without tag or digest (`python`, `ghcr.io/org/app`), `Tag` and
  `Digest` are None when absent; `FromStage` names the earlier stage a `FROM builder` builds on
  (then the image fields are None). Build arguments in the image reference are expanded with
  the `ARG` defaults declared before the first `FROM`; an argument without default makes the
  reference `Unknown`. `User` is the stage's effective user (its last `USER`, else the user
  of the stage it builds on, else None: the base image's user is not known from the file).
* `User`: the effective user of the final stage (None when no `USER` applies).
* `Instructions`: `[{Instruction, Arguments, Line, Stage}]` in file order, `Instruction`
  upper-cased, `Arguments` the text after it with line continuations joined and heredoc bodies
  appended on following lines; `Stage` is the index in `Stages` (-1 before the first `FROM`).
  `ENV` and `ARG` entries also carry `Pairs: [{Name, Value}]` (`Value` None for an `ARG` without
  default), for both `ENV A=b C="d e"` and the legacy `ENV A b`.

Parser directives (`# syntax=`, `# escape=`) are honoured at the top of the file; comment
lines inside continuations are dropped as Docker does. `# railguard:ignore CONTROL_ID reason`
comment lines become `InlineIgnore`s for the file's resource.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railguard.model import Origin, Resource, Unknown
from railguard.sources.containers._text import read
from railguard.sources.loaded import InlineIgnore, Loaded, ParseError, ignore_comment

DOCKERFILE_TYPE = "RailGuard::Docker::Dockerfile"
WHAT = "a Dockerfile"

INSTRUCTIONS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})

_DIRECTIVE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"(?<!<)<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2(?!<)")
_VAR = re.compile(r"\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class _Line:
    line: int
    text: str  # the logical line: continuations joined
    heredocs: list[str] = field(default_factory=list)


@dataclass
class _Stage:
    index: int
    line: int
    name: str | None
    image: dict[str, Any]
    env: dict[str, str | None]
    user: Any = None  # str | Unknown | None: the stage's own last USER


def load_dockerfile(path: Path) -> Loaded:
    """Read one Dockerfile; never raises for bad input (it becomes a `ParseError`)."""
    file = path.as_posix()
    text = read(path, file, WHAT)
    if isinstance(text, ParseError):
        return Loaded(errors=[text], files=[file])
    return parse_dockerfile(text, file)


def parse_dockerfile(text: str, file: str) -> Loaded:
    out = Loaded(files=[file])
    lines = text.lstrip("\ufeff").splitlines()
    escape, start = _directives(lines, file, out)
    logical = _logical_lines(lines, start, escape, file, out)

    global_args: dict[str, str | None] = {}
    stages: list[_Stage] = []
    instructions: list[dict[str, Any]] = []
    saw_instruction = False
    before_from: ParseError | None = None
    for ll in logical:
        head = ll.text.split(None, 1)
        if not head:
            continue
        word, rest = head[0], (head[1].strip() if len(head) > 1 else "")
        instr = word.upper()
        if instr not in INSTRUCTIONS:
            if not saw_instruction:
                out.errors.append(ParseError(file, f"not a Dockerfile: line starts with {word[:40]!r}, not an instruction", ll.line))
                out.ignores.clear()
                return out
            out.errors.append(ParseError(file, f"unknown instruction {word[:40]!r}", ll.line))
            continue
        saw_instruction = True
        args = rest if not ll.heredocs else "\n".join([rest, *ll.heredocs])
        entry: dict[str, Any] = {"Instruction": instr, "Arguments": args, "Line": ll.line,
                                 "Stage": len(stages) - 1}
        if instr == "FROM":
            stages.append(_from(rest, ll.line, len(stages), global_args, stages, file, out))
            entry["Stage"] = len(stages) - 1
        elif not stages and instr != "ARG" and before_from is None:
            before_from = ParseError(file, f"{instr} before the first FROM (only ARG may come first)", ll.line)
        if instr in ("ENV", "ARG"):
            pairs = _env_pairs(rest) if instr == "ENV" else _arg_pairs(rest)
            entry["Pairs"] = [{"Name": k, "Value": v} for k, v in pairs]
            if not stages:
                global_args.update(pairs)
            else:
                env = stages[-1].env
                for k, v in pairs:
                    if instr == "ARG" and v is None:
                        v = global_args.get(k)
                    env[k] = v
        elif instr == "USER" and stages:
            stages[-1].user = _expand(rest, stages[-1].env) if rest else Unknown("USER without a user")
        instructions.append(entry)

    if not saw_instruction:
        out.errors.append(ParseError(file, "empty Dockerfile: no instructions"))
        return out
    if not stages:
        out.errors.append(ParseError(file, "no FROM instruction: not a buildable Dockerfile (a fragment?)"))
        return out
    if before_from is not None:
        out.errors.append(before_from)

    effective: list[Any] = []
    stage_props = []
    for s in stages:
        user = s.user
        if user is None and s.image.get("FromStage") is not None:
            parent = next((p for p in stages[: s.index] if p.name and p.name.lower() == str(s.image["FromStage"]).lower()), None)
            user = effective[parent.index] if parent is not None else None
        effective.append(user)
        stage_props.append({"Name": s.name, **s.image, "Line": s.line, "User": user})

    rid = file
    out.resources.append(
        Resource(
            type=DOCKERFILE_TYPE,
            id=rid,
            name=file,
            properties={"Stages": stage_props, "User": effective[-1], "Instructions": instructions},
            origin=Origin(file=file, line=stages[-1].line),
        )
    )
    out.ignores[:] = [InlineIgnore(i.file, i.control_id, i.reason, i.line, rid) for i in out.ignores]
    return out


# --------------------------------------------------------------------------- lines


def _directives(lines: list[str], file: str, out: Loaded) -> tuple[str, int]:
    """Parser directives: `# key=value` lines at the very top, before anything else."""
    escape = "\\"
    seen: set[str] = set()
    i = 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if not m:
            break
        key, value = m.group(1).lower(), m.group(2)
        if key in seen:
            break
        seen.add(key)
        if key == "escape":
            if value not in ("\\", "`"):
                out.errors.append(ParseError(file, f"invalid escape directive {value!r}: must be \\ or `", i + 1))
            else:
                escape = value
        i += 1
    return escape, i


def _comment(raw: str, lineno: int, file: str, out: Loaded) -> None:
    ig = ignore_comment(raw, lineno)
    if ig is None or not ig.alone:
        return
    if not ig.control_id or not ig.reason:
        out.errors.append(ParseError(file, "railguard:ignore needs a control id and a reason", lineno))
        return
    out.ignores.append(InlineIgnore(file, ig.control_id, ig.reason, lineno))


def _logical_lines(lines: list[str], start: int, escape: str, file: str, out: Loaded) -> list[_Line]:
    result: list[_Line] = []
    n = len(lines)
    i = start
    while i < n:
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            if stripped.startswith("#"):
                _comment(raw, i + 1, file, out)
            i += 1
            continue
        first = i + 1
        parts: list[str] = []
        cur = raw
        while True:
            s = cur.rstrip()
            if s.endswith(escape):
                parts.append(s[:-1])
                i += 1
                while i < n and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                    if lines[i].lstrip().startswith("#"):
                        _comment(lines[i], i + 1, file, out)
                    i += 1
                if i >= n:
                    break
                cur = lines[i]
            else:
                parts.append(s)
                i += 1
                break
        text = "".join(parts).strip()
        ll = _Line(first, text)
        word = text.split(None, 1)[0].upper() if text else ""
        if word in HEREDOC_INSTRUCTIONS or (word == "ONBUILD" and "<<" in text):
            for m in _HEREDOC.finditer(text):
                strip_tabs, name = m.group(1) == "-", m.group(3)
                body: list[str] = []
                while i < n:
                    line = lines[i]
                    i += 1
                    check = line.lstrip("\t") if strip_tabs else line
                    if check.rstrip("\r") == name:
                        break
                    body.append(line.lstrip("\t") if strip_tabs else line)
                else:
                    out.errors.append(ParseError(file, f"heredoc <<{name} is not terminated", first))
                ll.heredocs.append("\n".join(body))
        result.append(ll)
    return result


# --------------------------------------------------------------------------- words


def split_words(text: str) -> list[str]:
    """Whitespace-separated words with shell-like quotes and backslash escapes removed."""
    words: list[str] = []
    cur: list[str] = []
    quote: str | None = None
    in_word = False
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"' and i + 1 < len(text) and text[i + 1] in '"\\$':
                i += 1
                cur.append(text[i])
            else:
                cur.append(c)
        elif c in "\"'":
            quote = c
            in_word = True
        elif c == "\\" and i + 1 < len(text):
            i += 1
            cur.append(text[i])
            in_word = True
        elif c.isspace():
            if in_word:
                words.append("".join(cur))
                cur = []
                in_word = False
        else:
            cur.append(c)
            in_word = True
        i += 1
    if in_word:
        words.append("".join(cur))
    return words


def _env_pairs(args: str) -> list[tuple[str, str | None]]:
    words = split_words(args)
    if not words:
        return []
    if "=" not in words[0]:  # legacy `ENV NAME value with spaces`
        name, _, value = args.strip().partition(" ")
        value = value.strip()
        return [(name, " ".join(split_words(value)) if value else "")]
    pairs: list[tuple[str, str | None]] = []
    for w in words:
        k, sep, v = w.partition("=")
        pairs.append((k, v if sep else ""))
    return pairs


def _arg_pairs(args: str) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for w in split_words(args):
        k, sep, v = w.partition("=")
        pairs.append((k, v if sep else None))
    return pairs


def _expand(text: str, env: dict[str, str | None]) -> Any:
    """`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}` from build args/ENV, else Unknown."""
    missing: list[str] = []

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "\\$":
            return "$"
        name = m.group(1) or m.group(4)
        value = env.get(name)
        op, word = m.group(2), m.group(3) or ""
        if op == ":-":
            return value if value else word
        if op == ":+":
            return word if value else ""
        if value is None:
            missing.append(name)
            return ""
        return value

    result = _VAR.sub(sub, text)
    if missing:
        return Unknown(f"build argument {missing[0]} has no default (set with --build-arg)")
    return result


# --------------------------------------------------------------------------- FROM


def parse_image(ref: str) -> dict[str, Any]:
    """`registry:5000/org/app:1.2@sha256:...` -> {BaseImage, Tag, Digest}."""
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref, tag = ref.rsplit(":", 1)
    return {"BaseImage": ref, "Tag": tag or None, "Digest": digest or None}


def _from(args: str, line: int, index: int, global_args: dict[str, str | None], stages: list[_Stage],
          file: str, out: Loaded) -> _Stage:
    words = split_words(args)
    platform = None
    while words and words[0].startswith("--"):
        flag = words.pop(0)
        if flag.startswith("--platform="):
            platform = flag.split("=", 1)[1]
    name = None
    image_text = words[0] if words else ""
    if len(words) >= 3 and words[1].lower() == "as":
        name = words[2]
    elif len(words) not in (1, 3):
        out.errors.append(ParseError(file, f"FROM {args[:60]!r}: expected `FROM image [AS name]`", line))
    image: dict[str, Any]
    env: dict[str, str | None] = {}
    if not image_text:
        out.errors.append(ParseError(file, "FROM without an image", line))
        u = Unknown("FROM without an image")
        image = {"BaseImage": u, "Tag": u, "Digest": u, "FromStage": None}
    else:
        expanded = _expand(image_text, dict(global_args))
        if isinstance(expanded, Unknown):
            image = {"BaseImage": expanded, "Tag": expanded, "Digest": expanded, "FromStage": None}
        else:
            earlier = next((s for s in stages if s.name and s.name.lower() == expanded.lower()), None)
            if earlier is not None:
                image = {"BaseImage": None, "Tag": None, "Digest": None, "FromStage": earlier.name}
                env = dict(earlier.env)
            else:
                image = {**parse_image(expanded), "FromStage": None}
    image["Platform"] = platform
    return _Stage(index=index, line=line, name=name, image=image, env=env)

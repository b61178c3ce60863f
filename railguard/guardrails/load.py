"""Load guardrail files: YAML with line marks, `${VAR}` from the environment, the schema, and the
references between guardrails, environments and channels. Every error names file, line and field;
nothing is acted on unless every file is valid. An expanded `${VAR}` value is never printed."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from railguard.config.load import _line_of
from railguard.guardrails.schema import Environment, Guardrail, GuardrailFile

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
Loc = tuple[Any, ...]


class GuardrailError(ValueError):
    """One or more guardrail files are invalid; the message has one `file:line: field ...` line per error."""


@dataclass(frozen=True)
class Rule:
    """A guardrail with what its file declares beside it (environments, notification channels)."""

    guardrail: Guardrail
    environments: Mapping[str, Environment]
    channels: Mapping[str, Any]
    source: str

    @property
    def name(self) -> str:
        return self.guardrail.name


@dataclass(frozen=True)
class GuardrailSet:
    rules: list[Rule]
    files: list[str]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


def expand_env(data: Any, environ: Mapping[str, str], loc: Loc = ()) -> tuple[Any, list[tuple[Loc, str]]]:
    """Replace `${VAR}` in every string; errors name the field and the variable, never a value."""
    errors: list[tuple[Loc, str]] = []
    if isinstance(data, str):
        missing = [m for m in _VAR.findall(data) if m not in environ]
        if missing:
            return data, [(loc, f"environment variable {v} is not set") for v in missing]
        return _VAR.sub(lambda m: environ[m.group(1)], data), []
    if isinstance(data, dict):
        out: dict[Any, Any] = {}
        for k, v in data.items():
            out[k], errs = expand_env(v, environ, (*loc, k))
            errors += errs
        return out, errors
    if isinstance(data, list):
        items = []
        for i, v in enumerate(data):
            item, errs = expand_env(v, environ, (*loc, i))
            items.append(item)
            errors += errs
        return items, errors
    return data, errors


def _references(model: GuardrailFile) -> list[tuple[Loc, str]]:
    errors: list[tuple[Loc, str]] = []
    seen: dict[str, int] = {}
    for i, g in enumerate(model.guardrails):
        if g.name in seen:
            errors.append((("guardrails", i, "name"), f"guardrail name {g.name!r} is used twice"))
        seen[g.name] = i
        for j, ch in enumerate(g.notify):
            if ch not in model.notifications:
                errors.append((("guardrails", i, "notify", j), f"unknown channel {ch!r} (declare it under notifications:)"))
        for j, env in enumerate(g.scope.environments):
            if env not in model.environments:
                errors.append((("guardrails", i, "scope", "environments", j),
                               f"unknown environment {env!r} (declare it under environments:)"))
        if isinstance(g.mode, dict):
            for env in g.mode:
                if env != "default" and env not in model.environments:
                    errors.append((("guardrails", i, "mode", env),
                                   f"unknown environment {env!r} (declare it under environments:, or use `default`)"))
    return errors


def parse_guardrails(text: str, source: str, environ: Mapping[str, str] | None = None) -> GuardrailFile:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise GuardrailError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise GuardrailError(f"{source}:1: a guardrail file is a mapping with a `guardrails:` list")

    def fmt(errs: Iterable[tuple[Loc, str]]) -> str:
        return "\n".join(f"{source}:{_line_of(node, loc) or '?'}: field {'.'.join(map(str, loc)) or '(root)'}: {msg}"
                         for loc, msg in errs)

    data, env_errors = expand_env(data, os.environ if environ is None else environ)
    if env_errors:
        raise GuardrailError(fmt(env_errors))
    try:
        model = GuardrailFile.model_validate(data)
    except ValidationError as exc:
        raise GuardrailError(fmt((tuple(e["loc"]), _msg(e)) for e in exc.errors())) from None
    ref_errors = _references(model)
    if ref_errors:
        raise GuardrailError(fmt(ref_errors))
    return model


def _msg(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def guardrail_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; directories expanded to their *.yaml / *.yml files (sorted)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file())
        elif p.is_file():
            out.append(p)
        else:
            raise GuardrailError(f"{p}: no such file or directory")
    if not out:
        raise GuardrailError("no guardrail files found in " + ", ".join(str(p) for p in paths))
    return out


def load_guardrails(paths: Iterable[Path], environ: Mapping[str, str] | None = None) -> GuardrailSet:
    """Every file validated; all errors of all files reported together; names unique across files."""
    errors: list[str] = []
    rules: list[Rule] = []
    files = guardrail_paths(paths)
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            model = parse_guardrails(text, str(path), environ)
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{path}: cannot read ({exc})")
            continue
        except GuardrailError as exc:
            errors.append(str(exc))
            continue
        for g in model.guardrails:
            other = next((r for r in rules if r.name == g.name), None)
            if other is not None:
                errors.append(f"{path}: guardrail {g.name!r} is also defined in {other.source}")
            rules.append(Rule(g, model.environments, model.notifications, str(path)))
    if errors:
        raise GuardrailError("\n".join(errors))
    return GuardrailSet(rules, [str(p) for p in files])

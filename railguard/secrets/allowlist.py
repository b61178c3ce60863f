"""Allowlisting a team can audit: inline comments with a reason, a baseline file, path globs.

* Inline: ``# railguard:allow test fixture, revoked 2024-05`` on the finding's line or the line
  just above. A bare ``railguard:allow`` without a reason does not suppress (the finding says why).
* Baseline: ``.railguard-secrets-baseline.json`` (``railguard secrets baseline``) lists
  fingerprints; a fingerprint hashes rule, path and secret, not the line, so moving code around
  does not re-alert.
* Config (``.railguard.toml``, the ``secrets:`` section of ``railguard.yaml`` (the file `railguard
  scan` reads), or ``[tool.railguard.secrets]`` in pyproject.toml), first found wins::

      [secrets]
      exclude = ["tests/fixtures/**", "docs/*.md"]   # path globs, relative to the repo root
      baseline = ".railguard-secrets-baseline.json"
      disable = ["jwt"]                               # rule ids to turn off
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railguard.cli.exitcodes import UserError
from railguard.secrets.findings import Finding

DEFAULT_BASELINE = ".railguard-secrets-baseline.json"
CONFIG_NAMES = (".railguard.toml", "railguard.toml")

_ALLOW = re.compile(rb"railguard:allow\b[ \t:=\-]*(?P<reason>[^\r\n]*)")
_CLOSERS = re.compile(r"\s*(?:\*/|-->|%>|#}|\}\}|\"\"\"|''')\s*$")


def inline_allow(line: bytes, prev_line: bytes) -> tuple[bool, str | None]:
    """(allowed, reason). ``allowed`` is False with a reason of None when no comment is there."""
    for text in (line, prev_line):
        m = _ALLOW.search(text)
        if m:
            reason = _CLOSERS.sub("", m.group("reason").decode("utf-8", "replace")).strip()
            return (bool(reason), reason or None)
    return (False, None)


def has_bare_allow(line: bytes, prev_line: bytes) -> bool:
    return any(_ALLOW.search(t) is not None for t in (line, prev_line))


@dataclass
class SecretsConfig:
    exclude: list[str] = field(default_factory=list)
    baseline: str | None = None
    disable: list[str] = field(default_factory=list)
    source: str | None = None

    def excluded(self, rel_path: str) -> str | None:
        """The glob that excludes ``rel_path`` (posix, relative), or None."""
        p = rel_path.removeprefix("./")  # lstrip("./") would also eat the dot of ".env"
        for g in self.exclude:
            if glob_match(p, g):
                return g
        return None


def glob_match(path: str, pattern: str) -> bool:
    """fnmatch with ``**`` for any depth, ``dir/`` for a whole directory, and basename globs."""
    if pattern.endswith("/"):
        return path.startswith(pattern) or f"/{pattern}" in f"/{path}"
    if "/" not in pattern:
        return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern) or fnmatch.fnmatchcase(path, pattern)
    if pattern.startswith("**/"):
        return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern[3:])
    return fnmatch.fnmatchcase(path, pattern)


def load_config(root: Path, explicit: Path | None = None) -> SecretsConfig:
    if explicit is not None and explicit.suffix in (".yaml", ".yml"):
        if not explicit.is_file():
            raise UserError(f"config file not found: {explicit}")
        return _yaml_config(explicit) or SecretsConfig(source=str(explicit))
    candidates = [explicit] if explicit else [root / n for n in CONFIG_NAMES]
    for path in candidates:
        if path is None or not path.is_file():
            if explicit:
                raise UserError(f"config file not found: {explicit}")
            continue
        return _parse_config(path, "secrets")
    shared = root / "railguard.yaml"
    if shared.is_file():
        found = _yaml_config(shared)
        if found is not None:
            return found
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            return SecretsConfig()
        section = data.get("tool", {}).get("railguard", {}).get("secrets")
        if isinstance(section, dict):
            return _config_from(section, str(pyproject))
    return SecretsConfig()


def _yaml_config(path: Path) -> SecretsConfig | None:
    """The `secrets:` section of railguard.yaml (validated with the rest of the file), if any."""
    from railguard.config import ConfigError
    from railguard.config import load_config as load_yaml

    try:
        section = load_yaml(path).secrets
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    if section is None:
        return None
    return SecretsConfig(list(section.exclude), section.baseline, list(section.disable), str(path))


def _parse_config(path: Path, key: str) -> SecretsConfig:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: invalid TOML: {exc}") from exc
    section = data.get(key, {})
    if not isinstance(section, dict):
        raise UserError(f"{path}: [{key}] must be a table")
    return _config_from(section, str(path))


def _config_from(section: dict[str, Any], source: str) -> SecretsConfig:
    def strings(name: str) -> list[str]:
        v = section.get(name, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise UserError(f"{source}: secrets.{name} must be a list of strings")
        return list(v)

    baseline = section.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise UserError(f"{source}: secrets.baseline must be a string")
    unknown = set(section) - {"exclude", "baseline", "disable"}
    if unknown:
        raise UserError(f"{source}: unknown secrets setting(s): {', '.join(sorted(unknown))}")
    return SecretsConfig(strings("exclude"), baseline, strings("disable"), source)


# Baseline -------------------------------------------------------------------------------------


@dataclass
class Baseline:
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None

    def reason(self, fp: str) -> str | None:
        e = self.entries.get(fp)
        if e is None:
            return None
        return str(e.get("reason") or "in baseline")


def load_baseline(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise UserError(f"baseline file not found: {path}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not a railguard secrets baseline: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise UserError(f"{path}: not a railguard secrets baseline (no 'findings' list)")
    entries = {}
    for e in data["findings"]:
        if isinstance(e, dict) and isinstance(e.get("fingerprint"), str):
            entries[e["fingerprint"]] = e
    return Baseline(entries, path)


def write_baseline(path: Path, findings: list[Finding], previous: Baseline | None = None, reason: str | None = None) -> int:
    """Write every current (non-inline-allowed) finding; keep reasons already written by people."""
    rows = []
    seen = set()
    for f in sorted(findings, key=lambda f: (f.path, f.line, f.rule_id)):
        if f.fingerprint in seen or f.suppressed in ("inline", "path"):
            continue
        seen.add(f.fingerprint)
        old = previous.entries.get(f.fingerprint) if previous else None
        rows.append(
            {
                "fingerprint": f.fingerprint,
                "rule": f.rule_id,
                "path": f.path,
                "line": f.line,
                "redacted": f.redacted,
                "reason": (old or {}).get("reason") or reason or "accepted when the baseline was created",
                "added": (old or {}).get("added") or _dt.date.today().isoformat(),
            }
        )
    doc = {
        "tool": "railguard",
        "kind": "secrets-baseline",
        "version": 1,
        "note": "Fingerprints of accepted findings (rule + path + secret hash; line moves do not matter). "
        "Edit 'reason' to say why each is acceptable.",
        "findings": rows,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    return len(rows)

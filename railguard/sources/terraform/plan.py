"""`terraform show -json` output (a plan, or a state): planned values through the same mapping.

Values in a plan are already evaluated. What Terraform will only know after apply is listed in
`resource_changes[].change.after_unknown` and becomes `Unknown`. A reference to a resource that
does not exist yet (a new bucket's `id`) is unknown in the values; the plan's `configuration`
section still names the resource referenced, so we put that resource's address there, which
is what the HCL loader does too and what folding the split resources needs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from railguard.model import Unknown
from railguard.sources.loaded import Loaded, ParseError
from railguard.sources.terraform.hcl import read_text
from railguard.sources.terraform.mapping import TFResource, build_resources

_AFTER_APPLY = "known only after apply"
_RES_ADDR = re.compile(r"^(?:data\.)?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\[[^\]]+\])?$")


def looks_like_plan(data: Any) -> bool:
    return isinstance(data, dict) and (
        "planned_values" in data or ("format_version" in data and ("values" in data or "terraform_version" in data))
    )


MAX_PLAN_BYTES = 200 * 1024 * 1024  # plans of large estates are big; .tf files have their own limit


def load_plan(path: Path, text: str | None = None, max_bytes: int = MAX_PLAN_BYTES) -> Loaded:
    """`terraform show -json` output of a plan (or a state) -> CloudFormation-shaped resources.

    `text`: the file's content when the caller has already read it (as valid UTF-8), so the
    file is not read a second time."""
    path = Path(path)
    file = str(path)
    loaded = Loaded(files=[file])
    if text is None:
        text, err, line = read_text(path, limit=max_bytes)
        if text is None:
            loaded.errors.append(ParseError(file, err or "unreadable", line))
            return loaded
    try:
        data = json.loads(text)
    except ValueError as exc:
        loaded.errors.append(ParseError(file, f"invalid JSON: {exc.msg if hasattr(exc, 'msg') else exc}", getattr(exc, "lineno", None)))
        return loaded
    except RecursionError:
        loaded.errors.append(ParseError(file, "invalid JSON: nested too deeply"))
        return loaded
    if not looks_like_plan(data):
        loaded.errors.append(ParseError(file, "not a Terraform plan or state (terraform show -json): no planned_values"))
        return loaded
    loaded.resources = build_resources(plan_resources(data, file, text))
    return loaded


def plan_resources(data: dict[str, Any], file: str, text: str = "") -> list[TFResource]:
    root = data.get("planned_values") or data.get("values") or {}
    unknowns: dict[str, Any] = {}
    for rc in data.get("resource_changes") or []:
        if isinstance(rc, dict) and isinstance(rc.get("change"), dict):
            unknowns[str(rc.get("address"))] = rc["change"].get("after_unknown")
    config = (data.get("configuration") or {}).get("root_module") or {}
    out: list[TFResource] = []
    for mod in _modules(root.get("root_module") or {}):
        for res in mod.get("resources") or []:
            if not isinstance(res, dict) or res.get("mode", "managed") != "managed":
                continue
            addr = str(res.get("address", ""))
            values = res.get("values")
            values = dict(values) if isinstance(values, dict) else {}
            values = _merge_unknown(values, unknowns.get(addr))
            _resolve_refs(values, addr, config)
            out.append(TFResource(addr, str(res.get("type", "")), values, file, _line_of(text, addr)))
    return out


def _modules(mod: dict[str, Any]) -> list[dict[str, Any]]:
    out = [mod]
    for child in mod.get("child_modules") or []:
        if isinstance(child, dict):
            out.extend(_modules(child))
    return out


def _merge_unknown(value: Any, unk: Any) -> Any:
    if unk is True:
        return Unknown(_AFTER_APPLY)
    if isinstance(unk, dict) and isinstance(value, dict | type(None)):
        if not _any_true(unk):
            return value
        out = dict(value or {})
        for k, u in unk.items():
            out[k] = _merge_unknown(out.get(k), u)
        return out
    if isinstance(unk, list) and isinstance(value, list):
        return [_merge_unknown(v, unk[i] if i < len(unk) else None) for i, v in enumerate(value)]
    return value


def _any_true(u: Any) -> bool:
    if u is True:
        return True
    if isinstance(u, dict):
        return any(_any_true(v) for v in u.values())
    if isinstance(u, list):
        return any(_any_true(v) for v in u)
    return False


_MODULE_RE = re.compile(r'module\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.')


def _config_resource(config: dict[str, Any], addr: str) -> tuple[str, dict[str, Any] | None]:
    """(module prefix of `addr`, its configuration block) from the plan's `configuration`."""
    mod = config
    prefix = ""
    rest = addr
    while True:
        m = _MODULE_RE.match(rest)
        if not m:
            break
        prefix += m.group(0)
        rest = rest[m.end():]
        call = (mod.get("module_calls") or {}).get(m.group(1)) or {}
        mod = call.get("module") or {}
    base = re.sub(r"\[[^\]]*\]$", "", rest)
    for r in mod.get("resources") or []:
        if isinstance(r, dict) and r.get("address") == base:
            return prefix, r
    return prefix, None


def _resolve_refs(values: dict[str, Any], addr: str, config: dict[str, Any]) -> None:
    prefix, conf = _config_resource(config, addr)
    if conf is None:
        return
    for key, expr in (conf.get("expressions") or {}).items():
        if not isinstance(expr, dict) or not isinstance(values.get(key), Unknown):
            continue
        refs = [r for r in expr.get("references") or [] if isinstance(r, str)]
        target = next((r for r in refs if _RES_ADDR.match(r) and not r.startswith(("var.", "local.", "module.", "data."))), None)
        if target is not None:
            values[key] = prefix + target


def _line_of(text: str, addr: str) -> int | None:
    if not text:
        return None
    m = re.search(r'"address"\s*:\s*' + re.escape(json.dumps(addr)), text)
    if m is None:
        return None
    return text.count("\n", 0, m.start()) + 1

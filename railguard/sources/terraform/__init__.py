"""Terraform loader: HCL root modules and `terraform show -json` plans -> CloudFormation-shaped resources.

`load_directory` reads one root module (the `*.tf` files of a directory, plus its local
modules), evaluates what can be known before apply, and maps each `aws_*` resource into the
CloudFormation shape of its counterpart so that the controls written for CloudFormation fire
on Terraform unchanged. `load_plan` does the same from a plan's planned values. See
docs/terraform.md for what is mapped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from railguard.model import Resource, find_unknown
from railguard.sources.loaded import InlineIgnore, Loaded, ParseError, scan_ignore_comments
from railguard.sources.terraform.hcl import (
    comment_run_above,
    parse_expression,
    parse_file,
    read_text,
)
from railguard.sources.terraform.mapping import MAPPED_TYPES, Builder, TFResource
from railguard.sources.terraform.module import Context, ModuleInstance, _literal_scope, load_module_def
from railguard.sources.terraform.plan import load_plan, looks_like_plan

__all__ = ["MAPPED_TYPES", "load_directory", "load_plan", "looks_like_plan"]


def load_directory(
    path: Path,
    variables: dict[str, str] | None = None,
    var_files: list[Path] | None = None,
) -> Loaded:
    """One root module: the `*.tf` files of `path` (or the single file `path`), with its local modules.

    Variables come, lowest precedence first, from defaults, `terraform.tfvars`,
    `*.auto.tfvars` (and their `.json` forms), `var_files`, then `variables` (`-var`).
    """
    path = Path(path)
    only = [path] if path.is_file() else None
    root_dir = path.parent if only else path
    ctx = Context(root_dir)
    mdef = load_module_def(root_dir, only)
    ctx.defs[root_dir.resolve()] = mdef
    ctx.errors.extend(mdef.errors)

    values = _root_values(root_dir, mdef, variables or {}, list(var_files or []), ctx.errors)
    inputs: dict[str, Callable[[], Any]] = {k: _const(v) for k, v in values.items()}
    root = ModuleInstance(ctx, mdef, "", inputs, (root_dir.resolve(),))

    items: list[TFResource] = []
    by_block: dict[tuple[str, int], list[str]] = {}
    for inst in root.walk():
        cfg = inst.config()
        items.append(TFResource(inst.address, inst.type, cfg, inst.decl.file, inst.decl.block.line or None))
        by_block.setdefault((inst.decl.file, inst.decl.block.line), []).append(inst.address)

    builder = Builder()
    resources = builder.build(items)

    loaded = Loaded(resources=resources, errors=list(ctx.errors))
    if ctx.ev.exhausted:
        first = mdef.files[0].path if mdef.files else str(root_dir)
        loaded.errors.append(ParseError(first, "evaluation stopped: the expressions are too expensive to evaluate "
                                               "(values left unknown)"))
    seen: set[str] = set()
    for d in ctx.defs.values():
        for pf in d.files:
            if pf.path not in seen:
                seen.add(pf.path)
                loaded.files.append(pf.path)
        _ignores(d.files, d, by_block, resources, builder, loaded)
    return loaded


def _const(v: Any) -> Callable[[], Any]:
    return lambda: v


def _root_values(
    root_dir: Path, mdef: Any, cli: dict[str, str], var_files: list[Path], errors: list[ParseError]
) -> dict[str, Any]:
    files: list[Path] = []
    for name in ("terraform.tfvars", "terraform.tfvars.json"):
        if (root_dir / name).is_file():
            files.append(root_dir / name)
    files += sorted(p for p in root_dir.glob("*.auto.tfvars") if p.is_file())
    files += sorted(p for p in root_dir.glob("*.auto.tfvars.json") if p.is_file())
    files += [Path(p) for p in var_files]
    values: dict[str, Any] = {}
    for f in files:
        values.update(_read_tfvars(f, errors))
    for name, raw in cli.items():
        values[name] = _cli_value(mdef, name, raw)
    return values


def _read_tfvars(path: Path, errors: list[ParseError]) -> dict[str, Any]:
    if not path.is_file():
        errors.append(ParseError(str(path), "variables file not found"))
        return {}
    if path.name.endswith(".json"):
        text, err, line = read_text(path)
        if text is None:
            errors.append(ParseError(str(path), err or "unreadable", line))
            return {}
        try:
            data = json.loads(text)
        except ValueError as exc:
            errors.append(ParseError(str(path), f"invalid JSON: {exc}", getattr(exc, "lineno", None)))
            return {}
        if not isinstance(data, dict):
            errors.append(ParseError(str(path), "a .tfvars.json file must hold an object"))
            return {}
        return data
    pf = parse_file(path)
    if pf.body is None:
        errors.append(ParseError(str(path), pf.error or "unreadable", pf.error_line))
        return {}
    from railguard.sources.terraform.expr import Evaluator

    ev = Evaluator()
    return {name: ev.eval(attr.expr, _literal_scope()) for name, attr in pf.body.attrs.items()}


def _cli_value(mdef: Any, name: str, raw: str) -> Any:
    """`-var name=value`: a string, unless the variable's type asks for HCL (lists, maps, numbers)."""
    decl = mdef.variables.get(name)
    type_attr = decl.block.body.attrs.get("type") if decl is not None else None
    if type_attr is None:
        return raw
    from railguard.sources.terraform.expr import Evaluator, _name_text

    if _name_text(type_attr.expr) == "string":
        return raw
    try:
        value = Evaluator().eval(parse_expression(raw), _literal_scope())
    except Exception:
        return raw
    return raw if find_unknown(value) is not None else value  # `any` typed: a bare word is a string


def _ignores(
    files: list[Any],
    mdef: Any,
    by_block: dict[tuple[str, int], list[str]],
    resources: list[Resource],
    builder: Builder,
    loaded: Loaded,
) -> None:
    blocks_by_file: dict[str, list[tuple[int, int]]] = {}
    for d in (*mdef.resources, *mdef.data):
        blocks_by_file.setdefault(d.file, []).append((d.block.line, d.block.end_line))
    for pf in files:
        if not pf.text or "railguard:ignore" not in pf.text:
            continue
        lines = pf.text.splitlines()
        spans = sorted(blocks_by_file.get(pf.path, []))
        for ig in scan_ignore_comments(pf.text, hcl=True):
            if not ig.control_id or not ig.reason:
                what = "a control id and a reason" if not ig.control_id else f"a reason after {ig.control_id}"
                loaded.errors.append(ParseError(pf.path, f"railguard:ignore needs {what}", ig.line))
                continue
            target = None
            for start, end in spans:
                if start <= ig.line <= end or comment_run_above(lines, start) <= ig.line < start:
                    target = start
                    break
            if target is None:
                loaded.ignores.append(InlineIgnore(pf.path, ig.control_id, ig.reason, ig.line, None))
                continue
            addrs = by_block.get((pf.path, target), [])
            ids = _resource_ids(addrs, resources, builder)
            if not ids:
                loaded.ignores.append(InlineIgnore(pf.path, ig.control_id, ig.reason, ig.line, None))
            for rid in ids:
                loaded.ignores.append(InlineIgnore(pf.path, ig.control_id, ig.reason, ig.line, rid))


def _resource_ids(addrs: list[str], resources: list[Resource], builder: Builder) -> list[str]:
    out: list[str] = []
    for a in addrs:
        target = builder.folded.get(a)
        if target is not None:
            out.append(target)
            continue
        for r in resources:
            if r.id == a or r.id.startswith((a + ".", a + "#")):
                out.append(r.id)
    return list(dict.fromkeys(out))

"""A Terraform module on disk, instantiated with its inputs, evaluated lazily.

Variables, locals, outputs and resource attributes are evaluated on first use and memoised,
with a guard that turns a reference cycle into `Unknown` instead of a recursion crash.
A reference to a resource (`aws_s3_bucket.logs.id`) evaluates to the argument when the
configuration sets it (`.bucket`, `.name`), else to the resource's Terraform address, which
is the `Resource.id` the loader gives it: that is how a flow log finds its VPC and a public
access block finds its bucket.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railguard.model import Unknown
from railguard.sources.loaded import ParseError
from railguard.sources.terraform.expr import (
    MAX_RANGE,
    Evaluator,
    JsonDoc,
    Lazy,
    Named,
    OutsideRef,
    Scope,
    iterate,
)
from railguard.sources.terraform.hcl import (
    Attr,
    Block,
    Body,
    ParsedFile,
    block_count_error,
    parse_file,
    parse_text,
    trim_heredoc_closers,
)

MAX_MODULE_DEPTH = 24
META_ARGS = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection", "timeouts"}
MODULE_META = {"source", "version", "count", "for_each", "providers", "depends_on"}
# attributes whose value, when the configuration does not set it, is the resource's identity
_ID_ATTRS = {"id", "arn", "name", "bucket", "key_id", "unique_id", "bucket_regional_domain_name", "bucket_domain_name"}
_IN_PROGRESS = object()
_RESOURCE_TYPE = re.compile(r"^(aws|awscc|random|tls|null|time|local|archive)_[a-z0-9_]+$")
# types whose Terraform `id` is one of their arguments (the bucket of the split S3 resources)
_SELF_NAMES = {"id", "arn", "name", "bucket", "identifier", "function_name", "cluster_identifier"}
_ID_IS_NAME = {
    "aws_s3_bucket": "bucket", "aws_rds_cluster": "cluster_identifier", "aws_iam_user": "name", "aws_iam_role": "name", "aws_iam_group": "name",
    **{f"aws_s3_bucket_{k}": "bucket" for k in ("policy", "public_access_block", "versioning", "logging",
                                               "server_side_encryption_configuration", "ownership_controls")},
}


@dataclass
class Decl:
    mode: str  # managed | data | module
    type: str
    name: str
    block: Block
    file: str


@dataclass
class ModuleDef:
    dir: Path
    files: list[ParsedFile] = field(default_factory=list)
    variables: dict[str, Decl] = field(default_factory=dict)
    locals: dict[str, tuple[Attr, str]] = field(default_factory=dict)
    outputs: dict[str, Decl] = field(default_factory=dict)
    resources: list[Decl] = field(default_factory=list)
    data: list[Decl] = field(default_factory=list)
    calls: list[Decl] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)


def load_module_def(directory: Path, only: list[Path] | None = None) -> ModuleDef:
    mdef = ModuleDef(directory)
    paths = only if only is not None else sorted(p for p in directory.glob("*.tf") if p.is_file())
    for p in paths:
        pf = parse_file(p)
        if pf.body is None and "<<" in pf.text:  # python-hcl2 rejects heredoc markers with trailing blanks
            fixed = parse_text(trim_heredoc_closers(pf.text), pf.path)
            if fixed.body is not None and block_count_error(fixed) is None:
                pf = ParsedFile(pf.path, pf.text, fixed.body)
        mdef.files.append(pf)
        if pf.error is not None or pf.body is None:
            mdef.errors.append(ParseError(str(p), pf.error or "unreadable", pf.error_line))
            continue
        fixed_body = pf.body
        mismatch = block_count_error(pf)
        if mismatch is not None:  # a heredoc closed by "EOF  ": read the text without those blanks
            fixed = parse_text(trim_heredoc_closers(pf.text), pf.path)
            if fixed.body is not None and block_count_error(fixed) is None:
                pf, mismatch, fixed_body = ParsedFile(pf.path, pf.text, fixed.body), None, fixed.body
                mdef.files[-1] = pf
        if mismatch is not None:
            mdef.errors.append(ParseError(str(p), mismatch[0], mismatch[1]))
        for blk in fixed_body.blocks:
            _declare(mdef, blk, str(p))
    return mdef


def _declare(mdef: ModuleDef, blk: Block, file: str) -> None:
    t, labels = blk.type, blk.labels
    if t == "resource" and len(labels) == 2:
        mdef.resources.append(Decl("managed", labels[0], labels[1], blk, file))
    elif t == "data" and len(labels) == 2:
        mdef.data.append(Decl("data", labels[0], labels[1], blk, file))
    elif t == "variable" and len(labels) == 1:
        mdef.variables[labels[0]] = Decl("variable", "variable", labels[0], blk, file)
    elif t == "locals":
        for name, attr in blk.body.attrs.items():
            mdef.locals[name] = (attr, file)
    elif t == "output" and len(labels) == 1:
        mdef.outputs[labels[0]] = Decl("output", "output", labels[0], blk, file)
    elif t == "module" and len(labels) == 1:
        mdef.calls.append(Decl("module", "module", labels[0], blk, file))


def _installed_modules(root_dir: Path) -> dict[str, Path]:
    """Module key -> directory, from the manifest `terraform init` writes (remote modules)."""
    manifest = root_dir / ".terraform" / "modules" / "modules.json"
    if not manifest.is_file():
        return {}
    from railguard.sources.terraform.hcl import read_text

    text, _, _ = read_text(manifest)
    try:
        data = json.loads(text or "")
    except ValueError:
        return {}
    out: dict[str, Path] = {}
    root = root_dir.resolve()
    modules = data.get("Modules") if isinstance(data, dict) else None
    for m in modules if isinstance(modules, list) else []:
        if isinstance(m, dict) and isinstance(m.get("Key"), str) and m["Key"] and isinstance(m.get("Dir"), str):
            d = Path(os.path.normpath(root_dir / m["Dir"]))
            if root in (d.resolve(), *d.resolve().parents):  # never a directory outside the root module
                out[m["Key"]] = d
    return out


def _literal_scope() -> Scope:
    return Scope(lambda name: Unknown(f"{name} cannot be referenced here"))


class Context:
    """Shared by every module instance of one load: the evaluator, errors, definitions cache."""

    def __init__(self, root_dir: Path) -> None:
        self.ev = Evaluator()
        self.root_dir = root_dir
        self.errors: list[ParseError] = []
        self.defs: dict[Path, ModuleDef] = {}
        self.instances: list[ModuleInstance] = []
        self.installed = _installed_modules(root_dir)

    def module_def(self, directory: Path) -> ModuleDef:
        key = directory.resolve()
        if key not in self.defs:
            mdef = load_module_def(directory)
            self.defs[key] = mdef
            self.errors.extend(mdef.errors)
        return self.defs[key]


class ModuleInstance:
    def __init__(
        self,
        ctx: Context,
        mdef: ModuleDef,
        prefix: str,
        inputs: dict[str, Callable[[], Any]],
        stack: tuple[Path, ...],
        key: str = "",
    ) -> None:
        self.ctx = ctx
        self.mdef = mdef
        self.prefix = prefix
        self.inputs = inputs
        self.stack = stack
        self.key = key  # the module's key in .terraform/modules/modules.json ("" for the root)
        self.scope = Scope(self._resolve, {"__module_dir__": str(mdef.dir), "__root_dir__": str(ctx.root_dir)})
        self._vars: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._outputs: dict[str, Any] = {}
        self.groups: dict[str, dict[str, ResourceGroup]] = {}
        for d in mdef.resources:
            self.groups.setdefault(d.type, {})[d.name] = ResourceGroup(self, d)
        self.data: dict[str, dict[str, ResourceGroup]] = {}
        for d in mdef.data:
            self.data.setdefault(d.type, {})[d.name] = ResourceGroup(self, d)
        self.calls = {d.name: ModuleCall(self, d) for d in mdef.calls}
        ctx.instances.append(self)

    # ---- names ----------------------------------------------------------------------------
    def _resolve(self, name: str) -> Any:
        if name == "var":
            return _NS(self.var, "var")
        if name == "local":
            return _NS(self.local, "local")
        if name == "module":
            return _NS(self.module_value, "module")
        if name == "data":
            return _NS(lambda t: _NS(lambda n: self._group_value(self.data, t, n, "data"), f"data.{t}"), "data")
        if name == "path":
            return {"module": str(self.mdef.dir), "root": str(self.ctx.root_dir), "cwd": str(self.ctx.root_dir)}
        if name == "terraform":
            return {"workspace": "default"}
        if name in ("self", "count", "each"):
            return Unknown(f"{name} is not available here")
        if name in self.groups:
            return _NS(lambda n: self._group_value(self.groups, name, n, ""), name)
        if _RESOURCE_TYPE.match(name):  # a resource type this module does not declare
            return OutsideRef(f"{name} is not declared in this module")
        return Unknown(f"{name} is not defined")

    def _group_value(self, table: dict[str, dict[str, ResourceGroup]], type_: str, name: str, mode: str) -> Any:
        g = table.get(type_, {}).get(name)
        if g is None:
            where = f"data.{type_}.{name}" if mode == "data" else f"{type_}.{name}"
            return OutsideRef(f"{where} is not declared in this module")
        return g.value()

    def _memo(self, table: dict[str, Any], key: str, compute: Callable[[], Any], what: str) -> Any:
        v = table.get(key)
        if v is _IN_PROGRESS:
            return Unknown(f"{what} refers to itself")
        if key in table:
            return v
        table[key] = _IN_PROGRESS
        try:
            v = compute()
        except RecursionError:
            v = Unknown(f"{what}: references nested too deeply")
        table[key] = v
        return v

    def var(self, name: str) -> Any:
        return self._memo(self._vars, name, lambda: self._var(name), f"var.{name}")

    def _var(self, name: str) -> Any:
        decl = self.mdef.variables.get(name)
        if decl is None:
            return Unknown(f"var.{name} is not declared")
        body = decl.block.body
        if name in self.inputs:
            v = self.inputs[name]()
        elif "default" in body.attrs:
            v = self.ctx.ev.eval(body.attrs["default"].expr, _literal_scope())
        else:
            return OutsideRef(f"var.{name} has no value")
        type_attr = body.attrs.get("type")
        if type_attr is None:
            return v
        return apply_type(self.ctx.ev, type_attr.expr, v, f"var.{name}")

    def local(self, name: str) -> Any:
        entry = self.mdef.locals.get(name)
        if entry is None:
            return Unknown(f"local.{name} is not declared")
        return self._memo(self._locals, name, lambda: self.ctx.ev.eval(entry[0].expr, self.scope), f"local.{name}")

    def module_value(self, name: str) -> Any:
        call = self.calls.get(name)
        if call is None:
            return Unknown(f"module.{name} is not declared")
        return call.value()

    def output(self, name: str) -> Any:
        decl = self.mdef.outputs.get(name)
        if decl is None or "value" not in decl.block.body.attrs:
            return Unknown(f"output {name} is not declared")
        expr = decl.block.body.attrs["value"].expr
        return self._memo(self._outputs, name, lambda: self.ctx.ev.eval(expr, self.scope), f"output.{name}")

    # ---- walking --------------------------------------------------------------------------
    def walk(self) -> Iterator[ResourceInstance]:
        """Every managed resource instance of this module and its child modules."""
        for by_name in self.groups.values():
            for g in by_name.values():
                yield from g.instances()
        for call in self.calls.values():
            for child in call.children():
                yield from child.walk()


def _type_parts(node: Any) -> tuple[str, list[Any]]:
    """A type constraint's constructor and arguments: `map(object({...}))` -> ("map", [node])."""
    from lark import Tree

    from railguard.sources.terraform.expr import _name_text, _tokens_stripped

    while isinstance(node, Tree) and node.data == "expr_term":
        kids = _tokens_stripped(node)
        if len(kids) != 1:
            break
        node = kids[0]
    if isinstance(node, Tree) and node.data == "function_call":
        kids = _tokens_stripped(node)
        args = next((k for k in kids if k.data == "arguments"), None)
        return _name_text(kids[0]), (_tokens_stripped(args) if args is not None else [])
    if isinstance(node, Tree) and node.data in ("object", "tuple"):
        return "{" if node.data == "object" else "[", [node]
    return _name_text(node), []


def apply_type(ev: Evaluator, type_node: Any, value: Any, what: str) -> Any:
    """Convert a value to its declared type as Terraform does where it matters here: strings to
    numbers and bools, and the defaults of `optional(type, default)` attributes of objects."""
    if isinstance(value, Unknown) or value is None:
        return value
    kind, args = _type_parts(type_node)
    if kind == "number" and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return Unknown(f"{what}: {value!r} is not a number")
    if kind == "bool" and value in ("true", "false"):
        return value == "true"
    if kind == "map" and args and isinstance(value, dict):
        return {k: apply_type(ev, args[0], v, f"{what}.{k}") for k, v in value.items()}
    if kind in ("list", "set") and args and isinstance(value, list):
        return [apply_type(ev, args[0], v, f"{what}[{i}]") for i, v in enumerate(value)]
    if kind == "object" and args and isinstance(value, dict):
        from railguard.sources.terraform.expr import _tokens_stripped

        out = dict(value)
        obj = _type_parts(args[0])[1]
        for elem in _tokens_stripped(obj[0]) if obj else []:
            key_node, t_node = _tokens_stripped(elem)[0], _tokens_stripped(elem)[-1]
            key = ev._object_key(key_node, _literal_scope())
            if not isinstance(key, str):
                continue
            t_kind, t_args = _type_parts(t_node)
            if t_kind == "optional":
                if out.get(key) is None:
                    out[key] = ev.eval(t_args[1], _literal_scope()) if len(t_args) > 1 else None
                if out[key] is not None and t_args:
                    out[key] = apply_type(ev, t_args[0], out[key], f"{what}.{key}")
            elif key in out:
                out[key] = apply_type(ev, t_node, out[key], f"{what}.{key}")
        return out
    return value


class _NS(Lazy):
    def __init__(self, get: Callable[[str], Any], label: str) -> None:
        self._get = get
        self._label = label

    def attr(self, name: str) -> Any:
        return self._get(name)

    def __repr__(self) -> str:
        return self._label


class ResourceGroup:
    """One `resource`/`data` block, expanded by its `count` or `for_each` when they are static."""

    def __init__(self, module: ModuleInstance, decl: Decl) -> None:
        self.module = module
        self.decl = decl
        base = f"{decl.type}.{decl.name}" if decl.mode == "managed" else f"data.{decl.type}.{decl.name}"
        self.address = module.prefix + base
        self._instances: list[ResourceInstance] | None = None
        self._value: Any = None

    def _expand(self) -> None:
        if self._instances is not None:
            return
        body = self.decl.block.body
        ev, scope = self.module.ctx.ev, self.module.scope
        self._instances = []
        if "count" in body.attrs:
            n = ev.eval(body.attrs["count"].expr, scope)
            if isinstance(n, bool) or not isinstance(n, int | float):
                reason = n.reason if isinstance(n, Unknown) else f"{n!r} is not a number"
                inst = ResourceInstance(self, self.address, {"count": {"index": Unknown(f"count is unknown: {reason}")}}, True)
                self._instances = [inst]
                self._value = inst
                return
            n = int(n)
            if n > MAX_RANGE:
                self.module.ctx.errors.append(ParseError(self.decl.file, f"{self.address}: count {n} is too large", self.decl.block.line))
                n = 0
            self._instances = [ResourceInstance(self, f"{self.address}[{i}]", {"count": {"index": i}}) for i in range(max(n, 0))]
            self._value = list(self._instances)
        elif "for_each" in body.attrs:
            coll = ev.eval(body.attrs["for_each"].expr, scope)
            if isinstance(coll, JsonDoc):
                coll = coll.value
            pairs: Any
            if isinstance(coll, dict):
                pairs = [(str(k), coll[k]) for k in sorted(coll)]
            elif isinstance(coll, list | tuple | set):
                pairs = [(str(x), x) for x in coll]
            else:
                pairs = Unknown(coll.reason if isinstance(coll, Unknown) else "for_each is not a map or set")
            if isinstance(pairs, Unknown) or any(isinstance(k, Unknown) for k, _ in pairs):
                reason = pairs.reason if isinstance(pairs, Unknown) else "a for_each key is unknown"
                u = Unknown(f"for_each is unknown: {reason}")
                inst = ResourceInstance(self, self.address, {"each": {"key": u, "value": u}}, True)
                self._instances = [inst]
                self._value = inst
                return
            out = {}
            for k, v in pairs[:MAX_RANGE]:
                key = k.replace("\\", "\\\\").replace('"', '\\"')
                inst = ResourceInstance(self, f'{self.address}["{key}"]', {"each": {"key": k, "value": v}})
                self._instances.append(inst)
                out[k] = inst
            self._value = out
        else:
            inst = ResourceInstance(self, self.address, {})
            self._instances = [inst]
            self._value = inst

    def instances(self) -> list[ResourceInstance]:
        self._expand()
        return list(self._instances or [])

    def value(self) -> Any:
        self._expand()
        return self._value


SKIP_BLOCKS = {"lifecycle", "provisioner", "connection", "timeouts"}


def eval_body(ev: Evaluator, body: Body, scope: Scope, *, top: bool = False) -> dict[str, Any]:
    """A block's arguments, with nested blocks as lists of dicts (dynamic blocks expanded)."""
    out: dict[str, Any] = {}
    for name, attr in body.attrs.items():
        if top and name in META_ARGS:
            continue
        out[name] = ev.eval(attr.expr, scope)
    for blk in body.blocks:
        if blk.type in SKIP_BLOCKS:
            continue
        if blk.type == "dynamic" and blk.labels:
            out.setdefault(blk.labels[0], [])
            if isinstance(out[blk.labels[0]], list):
                out[blk.labels[0]].extend(_expand_dynamic(ev, blk, scope))
            continue
        sub = eval_body(ev, blk.body, scope)
        sub["__line__"] = blk.line
        existing = out.setdefault(blk.type, [])
        if isinstance(existing, list):
            existing.append(sub)
    return out


def _expand_dynamic(ev: Evaluator, blk: Block, scope: Scope) -> list[dict[str, Any]]:
    from railguard.sources.terraform.expr import _name_text

    label = blk.labels[0]
    it_attr = blk.body.attrs.get("iterator")
    it_name = _name_text(it_attr.expr) if it_attr is not None else label
    content = next((b for b in blk.body.blocks if b.type == "content"), None)
    if content is None or "for_each" not in blk.body.attrs:
        return []
    coll = ev.eval(blk.body.attrs["for_each"].expr, scope)
    pairs = iterate(coll)
    if isinstance(pairs, Unknown):
        u = Unknown(f"dynamic {label!r}: for_each is unknown ({pairs.reason})")
        pairs = [(u, u)]
    out = []
    for k, v in pairs[:MAX_RANGE]:
        sub = eval_body(ev, content.body, scope.child(**{it_name: {"key": k, "value": v}}))
        sub["__line__"] = content.line
        out.append(sub)
    return out


class ResourceInstance(Lazy):
    def __init__(self, group: ResourceGroup, address: str, names: dict[str, Any], any_index: bool = False) -> None:
        self.group = group
        self.decl = group.decl
        self.address = address
        self.any_index = any_index
        self.scope = group.module.scope.child(**names)
        self._attrs: dict[str, Any] = {}
        self._config: dict[str, Any] | None = None

    @property
    def type(self) -> str:
        return self.decl.type

    def __repr__(self) -> str:
        return self.address

    def index(self, key: Any) -> Any:
        if self.any_index:
            return self
        return Unknown(f"{self.address} has no count or for_each")

    def config(self) -> dict[str, Any]:
        if self._config is None:
            self._config = {}
            try:
                self._config = eval_body(self.group.module.ctx.ev, self.decl.block.body, self.scope, top=True)
            except RecursionError:
                self._config = {"__error__": Unknown("configuration nested too deeply")}
        return self._config

    def attr(self, name: str) -> Any:
        return self.group.module._memo(self._attrs, name, lambda: self._attr(name), f"{self.address}.{name}")

    def _attr(self, name: str) -> Any:
        ev = self.group.module.ctx.ev
        body = self.decl.block.body
        if self.decl.mode == "data":
            return self._data_attr(name)
        if name in body.attrs and name not in META_ARGS:
            v = ev.eval(body.attrs[name].expr, self.scope)
            if isinstance(v, Unknown) and name in _SELF_NAMES:
                # a name not known before apply still names this resource: refer to it by address,
                # so that a policy, an attachment or a rule still finds its owner
                return self.address
            if isinstance(v, str) and not isinstance(v, Named) and name in _SELF_NAMES:
                return Named(v, self.address)
            return v
        if any(b.type == name or (b.type == "dynamic" and b.labels[:1] == [name]) for b in body.blocks):
            return eval_body(ev, Body(blocks=[b for b in body.blocks if name in (b.type, *b.labels[:1])]), self.scope).get(name, [])
        if name == "id" and self.decl.type in _ID_IS_NAME:
            # Terraform's id of these is their name: use it when the configuration states it
            v = self.attr(_ID_IS_NAME[self.decl.type])
            return Named(v, self.address) if isinstance(v, str) else self.address
        if name == "arn" and self.decl.type == "aws_s3_bucket":
            # an S3 ARN is the bucket's name; a bucket without one is named by its address
            b = self.attr("bucket")
            return Named(f"arn:aws:s3:::{b if isinstance(b, str) else self.address}", self.address)
        if name in _ID_ATTRS or name.endswith(("_id", "_arn")):
            return self.address
        return Unknown(f"{self.address}.{name} is known only after apply")

    def _data_attr(self, name: str) -> Any:
        if self.decl.type == "aws_iam_policy_document" and name in ("json", "minified_json"):
            from railguard.sources.terraform.policydoc import policy_document

            return policy_document(self.config())
        return OutsideRef(f"{self.address} is read from AWS at plan time")


class ModuleCall:
    """A `module` block: its child instances (one, or one per count/for_each key)."""

    def __init__(self, parent: ModuleInstance, decl: Decl) -> None:
        self.parent = parent
        self.decl = decl
        self._children: list[ModuleInstance] | None = None
        self._value: Any = None

    def _error(self, message: str) -> None:
        self.parent.ctx.errors.append(ParseError(self.decl.file, message, self.decl.block.line))

    def _build(self) -> None:
        if self._children is not None:
            return
        self._children = []
        parent, name = self.parent, self.decl.name
        body = self.decl.block.body
        ev = parent.ctx.ev
        base = f"{parent.prefix}module.{name}"
        source = ev.eval(body.attrs["source"].expr, _literal_scope()) if "source" in body.attrs else None
        if not isinstance(source, str):
            self._value = Unknown(f"module.{name} has no literal source")
            return
        key = f"{parent.key}.{name}" if parent.key else name
        if source.startswith(("./", "../")) or source in (".", ".."):
            child_path = Path(os.path.normpath(parent.mdef.dir / source))  # keeps relative paths relative
        elif key in parent.ctx.installed:  # fetched by `terraform init`: read it from .terraform/modules
            child_path = parent.ctx.installed[key]
        else:
            self._value = _NS(lambda _o: Unknown(
                f"module.{name} comes from {source}: remote modules are read only once `terraform init` "
                "has installed them"), base)
            return
        child_dir = child_path.resolve()
        if not child_dir.is_dir():
            self._error(f"module {name!r}: source {source!r} is not a directory")
            self._value = Unknown(f"module.{name}: source {source} not found")
            return
        if child_dir in parent.stack:
            chain = " -> ".join(p.name or str(p) for p in (*parent.stack, child_dir))
            self._error(f"circular module reference: module {name!r} ({source}) closes the loop {chain}")
            self._value = Unknown(f"module.{name} is circular")
            return
        if len(parent.stack) >= MAX_MODULE_DEPTH:
            self._error(f"module {name!r}: modules nested deeper than {MAX_MODULE_DEPTH}")
            self._value = Unknown(f"module.{name} nested too deeply")
            return
        mdef = parent.ctx.module_def(child_path)
        stack = (*parent.stack, child_dir)

        def make(prefix: str, names: dict[str, Any]) -> ModuleInstance:
            scope = parent.scope.child(**names)
            inputs: dict[str, Callable[[], Any]] = {}
            for aname, attr in body.attrs.items():
                if aname not in MODULE_META:
                    inputs[aname] = _deferred(ev, attr.expr, scope)
            child = ModuleInstance(parent.ctx, mdef, prefix, inputs, stack, key)
            assert self._children is not None
            self._children.append(child)
            return child

        if "count" in body.attrs:
            n = ev.eval(body.attrs["count"].expr, parent.scope)
            if isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_RANGE:
                self._value = [_NS(make(f"{base}[{i}].", {"count": {"index": i}}).output, f"{base}[{i}]") for i in range(n)]
                return
            child = make(f"{base}.", {"count": {"index": Unknown("module count is unknown")}})
            self._value = _AnyIndex(child.output, base)
            return
        if "for_each" in body.attrs:
            coll = ev.eval(body.attrs["for_each"].expr, parent.scope)
            if isinstance(coll, dict | list | set):
                keys = sorted(coll) if isinstance(coll, dict) else [str(x) for x in coll]
                vals = [coll[k] for k in keys] if isinstance(coll, dict) else list(keys)
                out = {}
                for k, v in zip(keys, vals, strict=True):
                    out[str(k)] = _NS(make(f'{base}["{k}"].', {"each": {"key": k, "value": v}}).output, f"{base}[{k}]")
                self._value = out
                return
            u = Unknown("module for_each is unknown")
            child = make(f"{base}.", {"each": {"key": u, "value": u}})
            self._value = _AnyIndex(child.output, base)
            return
        child = make(f"{base}.", {})
        self._value = _NS(child.output, base)

    def children(self) -> list[ModuleInstance]:
        self._build()
        return list(self._children or [])

    def value(self) -> Any:
        self._build()
        return self._value


def _deferred(ev: Evaluator, expr: Any, scope: Scope) -> Callable[[], Any]:
    return lambda: ev.eval(expr, scope)


class _AnyIndex(_NS):
    def index(self, key: Any) -> Any:
        return self

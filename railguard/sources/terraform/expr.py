"""Evaluate HCL expressions (python-hcl2's Lark tree) into Python values.

What cannot be known before `terraform apply` (a variable without a value, a data source, a
function we do not implement, a computed attribute) evaluates to `Unknown(reason)`, and an
`Unknown` operand makes the whole operation `Unknown`: a guessed value could turn a FAIL
into a false PASS.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lark import Token, Tree

from railguard.model import PartialText, Unknown, find_unknown

MAX_RANGE = 10_000  # guard against `range(1e9)` or `count = 1e9` in hostile input
MAX_STRING = 1_000_000  # a string template longer than this is not built (locals that double a string)
MAX_STEPS = 2_000_000  # expression nodes evaluated per load: nested `for` over ranges cannot hang a scan


class EvalError(Unknown):
    """An expression Terraform itself would reject (a missing key, a type error).

    Kept apart from a value that is merely unknown before apply, because `try()` and `can()`
    treat them differently: `try(var.m["missing"], "d")` is "d", but `try(var.unset, "d")` is
    unknown, not "d" (a default there would be a guess).
    """

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"


class OutsideRef(Unknown):
    """A reference to something the scanned configuration does not declare: a variable without a
    value, a data source, a resource or module output from elsewhere. Its identity is unknown,
    but the argument holding it is set: enough for "encrypted with a KMS key" or "logging is on"
    (see `mapping.PRESENT_KEYS`); a control that needs to know which key or bucket still says
    UNKNOWN. Equal to a plain `Unknown` with the same reason."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and self.reason == other.reason

    def __hash__(self) -> int:
        return hash(self.reason)


class Named(str):
    """A resource's name read through a reference (`aws_s3_bucket.logs.bucket`, `.id`): the same
    text, plus the address of the resource it came from, so that a split resource attaches to
    the resource it references even when two resources share a name."""

    address: str

    def __new__(cls, value: str, address: str) -> Named:
        obj = super().__new__(cls, value)
        obj.address = address
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Named, (str(self), self.address))


HOLE = "\x00?\x00"  # stands for an unknown interpolation in `PartialText.text`


# A string template with unknown interpolations is a `PartialText` (the model's, as CloudFormation's
# `Fn::Sub`/`Fn::Join` make): unknown as a whole, with its text kept, each unknown part replaced by
# `HOLE`, so that a heredoc JSON policy whose ARNs interpolate a data source still shows its
# `Principal: "*"` (see `policydoc.parse_policy`), and user data still shows its literal secrets.


def derive(u: Unknown, reason: str) -> Unknown:
    """A new Unknown that keeps whether `u` was an error."""
    return EvalError(reason) if isinstance(u, EvalError) else Unknown(reason)


class JsonDoc:
    """The result of `jsonencode(x)` or a policy document data source.

    Kept as the Python value so that a policy with one unknown ARN still shows its `*:*`
    action to a control; it becomes a JSON string only where text is needed.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def text(self) -> str | Unknown:
        u = find_unknown(self.value)
        if u is not None:
            return u
        return json.dumps(self.value, separators=(",", ":"), default=_json_default)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonDoc) and other.value == self.value

    def __hash__(self) -> int:
        return hash(json.dumps(self.value, sort_keys=True, default=str))

    def __repr__(self) -> str:
        return f"JsonDoc({self.value!r})"


def _json_default(o: Any) -> Any:
    if isinstance(o, JsonDoc):
        return o.value
    raise TypeError(type(o).__name__)


class Lazy:
    """A namespace whose attributes are evaluated on demand (var, local, a resource, a module)."""

    def attr(self, name: str) -> Any:
        raise KeyError(name)

    def index(self, key: Any) -> Any:
        return Unknown(f"cannot index {self!r}")


class Scope:
    """Names visible to an expression: local names (for, dynamic, count, each) over a resolver."""

    __slots__ = ("names", "resolve")

    def __init__(self, resolve: Callable[[str], Any], names: Mapping[str, Any] | None = None) -> None:
        self.resolve = resolve
        self.names: dict[str, Any] = dict(names or {})

    def child(self, **names: Any) -> Scope:
        s = Scope(self.resolve, self.names)
        s.names.update(names)
        return s

    def lookup(self, name: str) -> Any:
        if name in self.names:
            return self.names[name]
        return self.resolve(name)


def _tokens_stripped(node: Tree) -> list[Any]:
    """Children that carry meaning (no punctuation tokens, no newlines/comments)."""
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def get_attr(value: Any, name: str) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Lazy):
        return value.attr(name)
    if isinstance(value, JsonDoc):
        value = value.value
    if isinstance(value, Mapping):
        if name in value:
            return value[name]
        return EvalError(f"no attribute {name!r}")
    if value is None:
        return EvalError(f"attribute {name!r} of null")
    return EvalError(f"attribute {name!r} of a {type(value).__name__}")


def get_index(value: Any, key: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(key, Unknown):
        return key
    if isinstance(value, Lazy):
        return value.index(key)
    if isinstance(value, JsonDoc):
        value = value.value
    if isinstance(value, list | tuple):
        try:
            i = int(key)
        except (TypeError, ValueError):
            return EvalError(f"index {key!r} of a list")
        if 0 <= i < len(value):
            return value[i]
        return EvalError(f"index {i} out of range")
    if isinstance(value, Mapping):
        k = _to_str(key)
        if isinstance(k, str) and k in value:
            return value[k]
        return EvalError(f"no key {key!r}")
    return EvalError(f"index {key!r} of a {type(value).__name__}")


def _to_str(v: Any) -> Any:
    if isinstance(v, Unknown | str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, JsonDoc):
        return v.text()
    if v is None:
        return EvalError("null in a string template")
    return EvalError(f"a {type(v).__name__} is not a string")


def _to_num(v: Any) -> Any:
    if isinstance(v, Unknown) or (isinstance(v, int | float) and not isinstance(v, bool)):
        return v
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return EvalError(f"{v!r} is not a number")
    return EvalError(f"a {type(v).__name__} is not a number")


def _to_bool(v: Any) -> Any:
    if isinstance(v, Unknown | bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    return EvalError(f"{v!r} is not a bool")


def iterate(v: Any) -> list[tuple[Any, Any]] | Unknown:
    """(key, value) pairs of a collection, as Terraform's `for` and `for_each` see them."""
    if isinstance(v, Unknown):
        return v
    if isinstance(v, JsonDoc):
        v = v.value
    if isinstance(v, Mapping):
        return [(k, v[k]) for k in sorted(v)]
    if isinstance(v, list | tuple):
        return list(enumerate(v))
    if isinstance(v, set | frozenset):
        return [(i, x) for i, x in enumerate(sorted(v, key=str))]
    if v is None:
        return EvalError("iterating over null")
    return EvalError(f"cannot iterate over a {type(v).__name__}")


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESC_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s

    def rep(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] in "uU" and len(e) > 1:
            try:
                return chr(int(e[1:], 16))
            except ValueError:
                return m.group(0)
        return _ESCAPES.get(e, m.group(0))

    return _ESC_RE.sub(rep, s)


class Evaluator:
    """Evaluates expressions; `base_dir` is where `file()` reads from when no path.module is given."""

    def __init__(self, max_steps: int | None = None) -> None:
        self._heredoc_cache: dict[str, Any] = {}
        self.steps = 0
        self.max_steps = max_steps or MAX_STEPS

    @property
    def exhausted(self) -> bool:
        return self.steps > self.max_steps

    def eval(self, node: Any, scope: Scope) -> Any:
        try:
            return self._eval(node, scope)
        except RecursionError:
            return Unknown("expression nested too deeply")

    def _eval(self, node: Any, scope: Scope) -> Any:
        self.steps += 1
        if self.steps > self.max_steps:
            return Unknown("evaluation budget exhausted (expressions too expensive)")
        if isinstance(node, Token):
            return Unknown(f"unexpected token {node.type}")
        d = node.data
        m = getattr(self, "_e_" + d, None)
        if m is None:
            return Unknown(f"{d} expressions are not evaluated")
        return m(node, scope)

    # ---- terms -------------------------------------------------------------------------
    def _e_expr_term(self, node: Tree, scope: Scope) -> Any:
        kids = _tokens_stripped(node)
        if not kids:
            return Unknown("empty expression")
        return self._eval(kids[0], scope)

    def _e_int_lit(self, node: Tree, scope: Scope) -> Any:
        return int(str(node.children[0]))

    def _e_float_lit(self, node: Tree, scope: Scope) -> Any:
        return float(str(node.children[0]))

    def _e_literal_value(self, node: Tree, scope: Scope) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _e_identifier(self, node: Tree, scope: Scope) -> Any:
        return scope.lookup(str(node.children[0]))

    def _e_keyword(self, node: Tree, scope: Scope) -> Any:
        return scope.lookup(str(node.children[0]))

    def _e_template_string(self, node: Tree, scope: Scope) -> Any:
        return Unknown("template directives are not evaluated")

    def _e_string(self, node: Tree, scope: Scope) -> Any:
        parts = [c for c in node.children if isinstance(c, Tree) and c.data == "string_part"]
        if len(parts) == 1 and isinstance(parts[0].children[0], Tree) and parts[0].children[0].data == "interpolation":
            return self._eval(_tokens_stripped(parts[0].children[0])[0], scope)  # "${x}" keeps x's type
        out: list[str] = []
        for p in parts:
            c = p.children[0]
            if isinstance(c, Token):
                if c.type == "STRING_CHARS":
                    out.append(_unescape(str(c)))
                elif c.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                    out.append(str(c)[1:])
                else:
                    out.append(str(c))
            elif c.data == "interpolation":
                v = _to_str(self._eval(_tokens_stripped(c)[0], scope))
                if isinstance(v, Unknown):
                    return v
                out.append(v)
            else:
                return Unknown("template directives (%{...}) are not evaluated")
        return _capped("".join(out))

    def _heredoc(self, raw: str, trim: bool, scope: Scope) -> Any:
        first_nl = raw.index("\n")
        marker = raw[(3 if trim else 2) : first_nl].strip()
        body = raw[first_nl + 1 :]
        body = body.rstrip("\n").rstrip("\r")
        # drop the closing marker line
        nl = body.rfind("\n")
        body = body[: nl + 1] if nl >= 0 else ""
        if body.strip() == marker:
            body = ""
        if trim:
            lines = body.split("\n")
            indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
            cut = min(indents) if indents else 0
            body = "\n".join(ln[cut:] for ln in lines)
        return self._interpolate_text(body, scope)

    def _e_heredoc_template(self, node: Tree, scope: Scope) -> Any:
        return self._heredoc(str(node.children[0]), False, scope)

    def _e_heredoc_template_trim(self, node: Tree, scope: Scope) -> Any:
        return self._heredoc(str(node.children[0]), True, scope)

    def _interpolate_text(self, text: str, scope: Scope) -> Any:
        """`${...}` inside heredocs, which the grammar keeps as one opaque token."""
        if "${" not in text and "%{" not in text:
            return text.replace("$${", "${")
        out: list[str] = []
        hole: Unknown | None = None
        i = 0
        n = len(text)
        while i < n:
            j = text.find("${", i)
            k = text.find("%{", i)
            if k != -1 and (j == -1 or k < j) and not (k > 0 and text[k - 1] == "%"):
                return Unknown("template directives (%{...}) are not evaluated")
            if j == -1:
                out.append(text[i:])
                break
            if j > 0 and text[j - 1] == "$":  # $${ is a literal ${
                out.append(text[i : j - 1] + "${")
                i = j + 2
                continue
            out.append(text[i:j])
            end = _match_brace(text, j + 2)
            if end < 0:
                return Unknown("unterminated ${ in heredoc")
            inner = text[j + 2 : end]
            expr = self._heredoc_cache.get(inner)
            if expr is None:
                from railguard.sources.terraform.hcl import parse_expression

                try:
                    expr = parse_expression(inner)
                except Exception:
                    return Unknown(f"cannot parse ${{{inner[:40]}}} in heredoc")
                self._heredoc_cache[inner] = expr
            v = _to_str(self._eval(expr, scope))
            if isinstance(v, EvalError):
                return v
            if isinstance(v, Unknown):
                hole = hole or v
                v = HOLE
            out.append(v)
            i = end + 1
        if hole is not None:
            return PartialText(hole.reason, "".join(out)[:MAX_STRING])
        return _capped("".join(out))

    def _e_tuple(self, node: Tree, scope: Scope) -> Any:
        return [self._eval(c, scope) for c in _tokens_stripped(node)]

    def _e_object(self, node: Tree, scope: Scope) -> Any:
        out: dict[str, Any] = {}
        for elem in _tokens_stripped(node):
            key_node, val_node = _tokens_stripped(elem)[0], _tokens_stripped(elem)[-1]
            key = self._object_key(key_node, scope)
            if isinstance(key, Unknown):
                return key
            out[key] = self._eval(val_node, scope)
        return out

    def _object_key(self, key_node: Tree, scope: Scope) -> Any:
        kids = _tokens_stripped(key_node)
        if not kids:
            return _name_text(key_node)
        k = kids[0]
        if k.data == "keyword":
            return str(k.children[0])
        if k.data == "expr_term":
            inner = _tokens_stripped(k)
            if len(inner) == 1 and inner[0].data == "identifier" and not any(
                isinstance(c, Token) and c.type == "LPAR" for c in k.children
            ):
                return str(inner[0].children[0])
        return _to_str(self._eval(k, scope))

    # ---- access --------------------------------------------------------------------------
    def _e_get_attr_expr_term(self, node: Tree, scope: Scope) -> Any:
        base, op = _tokens_stripped(node)
        return self._apply_op(self._eval(base, scope), op, scope)

    def _e_index_expr_term(self, node: Tree, scope: Scope) -> Any:
        base, op = _tokens_stripped(node)
        return self._apply_op(self._eval(base, scope), op, scope)

    def _apply_op(self, value: Any, op: Tree, scope: Scope) -> Any:
        if op.data == "get_attr":
            return get_attr(value, _name_text(_tokens_stripped(op)[0]))
        if op.data == "braces_index":
            return get_index(value, self._eval(_tokens_stripped(op)[0], scope))
        if op.data == "short_index":
            return get_index(value, int(str(op.children[-1])))
        return Unknown(f"{op.data} is not evaluated")

    def _splat(self, node: Tree, scope: Scope) -> Any:
        base, splat = _tokens_stripped(node)
        value = self._eval(base, scope)
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Lazy):
            value = value.index("*")
            if isinstance(value, Unknown):
                return value
        if value is None:
            items: list[Any] = []
        elif isinstance(value, list | tuple):
            items = list(value)
        elif isinstance(value, Mapping) and value and all(isinstance(v, Lazy) for v in value.values()):
            return Unknown("splat over a for_each resource")
        else:
            items = [value]
        ops = _tokens_stripped(splat)
        out = []
        for it in items:
            v = it
            for op in ops:
                v = self._apply_op(v, op, scope)
            out.append(v)
        return out

    _e_attr_splat_expr_term = _splat
    _e_full_splat_expr_term = _splat

    # ---- operators -------------------------------------------------------------------------
    def _e_conditional(self, node: Tree, scope: Scope) -> Any:
        cond_n, a_n, b_n = _tokens_stripped(node)
        cond = _to_bool(self._eval(cond_n, scope))
        if isinstance(cond, Unknown):
            a, b = self._eval(a_n, scope), self._eval(b_n, scope)
            if a == b and not isinstance(a, Unknown):
                return a
            return derive(cond, f"condition is unknown ({cond.reason})")
        return self._eval(a_n if cond else b_n, scope)

    def _e_unary_op(self, node: Tree, scope: Scope) -> Any:
        op = str(node.children[0])
        v = self._eval(node.children[-1], scope)
        if op == "!":
            b = _to_bool(v)
            return b if isinstance(b, Unknown) else not b
        n = _to_num(v)
        return n if isinstance(n, Unknown) else -n

    def _e_binary_op(self, node: Tree, scope: Scope) -> Any:
        lhs_n, term = _tokens_stripped(node)[:2]
        term_kids = _tokens_stripped(term)
        op = str(term_kids[0].children[0])
        rhs_n = term_kids[-1]
        lhs = self._eval(lhs_n, scope)
        if op in ("&&", "||"):
            a = _to_bool(lhs)
            if not isinstance(a, Unknown):
                if op == "&&" and not a:
                    return False
                if op == "||" and a:
                    return True
            b = _to_bool(self._eval(rhs_n, scope))
            if isinstance(b, Unknown):
                return b
            if isinstance(a, Unknown):
                if (op == "&&" and not b) or (op == "||" and b):
                    return b
                return a
            return b
        rhs = self._eval(rhs_n, scope)
        if op in ("==", "!="):
            if isinstance(lhs, Unknown):
                return lhs
            if isinstance(rhs, Unknown):
                return rhs
            eq = _norm_eq(lhs) == _norm_eq(rhs)
            return eq if op == "==" else not eq
        a, b = _to_num(lhs), _to_num(rhs)
        if isinstance(a, Unknown):
            return a
        if isinstance(b, Unknown):
            return b
        try:
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                r = a / b
                return int(r) if isinstance(r, float) and r.is_integer() else r
            if op == "%":
                return a % b
            if op == "<":
                return a < b
            if op == ">":
                return a > b
            if op == "<=":
                return a <= b
            if op == ">=":
                return a >= b
        except (ZeroDivisionError, OverflowError) as exc:
            return EvalError(f"arithmetic error: {exc}")
        return Unknown(f"operator {op} is not evaluated")

    # ---- for expressions ---------------------------------------------------------------------
    def _for_parts(self, node: Tree) -> tuple[list[str], Tree, list[Tree], Tree | None, bool]:
        kids = _tokens_stripped(node)
        intro = kids[0]
        intro_kids = _tokens_stripped(intro)
        names = [str(k.children[0]) for k in intro_kids if k.data == "identifier"]
        coll = intro_kids[-1]
        cond = None
        exprs = []
        for k in kids[1:]:
            if k.data == "for_cond":
                cond = _tokens_stripped(k)[0]
            else:
                exprs.append(k)
        grouping = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
        return names, coll, exprs, cond, grouping

    def _for_items(self, names: list[str], coll: Any, cond: Tree | None, scope: Scope) -> list[Scope] | Unknown:
        pairs = iterate(coll)
        if isinstance(pairs, Unknown):
            return pairs
        out = []
        for k, v in pairs:
            s = scope.child(**({names[0]: k, names[1]: v} if len(names) == 2 else {names[0]: v}))
            if cond is not None:
                c = _to_bool(self._eval(cond, s))
                if isinstance(c, Unknown):
                    return c
                if not c:
                    continue
            out.append(s)
        return out

    def _e_for_tuple_expr(self, node: Tree, scope: Scope) -> Any:
        names, coll_n, exprs, cond, _ = self._for_parts(node)
        scopes = self._for_items(names, self._eval(coll_n, scope), cond, scope)
        if isinstance(scopes, Unknown):
            return scopes
        return [self._eval(exprs[0], s) for s in scopes]

    def _e_for_object_expr(self, node: Tree, scope: Scope) -> Any:
        names, coll_n, exprs, cond, grouping = self._for_parts(node)
        scopes = self._for_items(names, self._eval(coll_n, scope), cond, scope)
        if isinstance(scopes, Unknown):
            return scopes
        out: dict[str, Any] = {}
        for s in scopes:
            k = _to_str(self._eval(exprs[0], s))
            if isinstance(k, Unknown):
                return k
            v = self._eval(exprs[1], s)
            if grouping:
                out.setdefault(k, []).append(v)
            else:
                out[k] = v
        return out

    # ---- functions -------------------------------------------------------------------------
    def _e_function_call(self, node: Tree, scope: Scope) -> Any:
        kids = _tokens_stripped(node)
        idents = [k for k in kids if k.data == "identifier"]
        name = "::".join(str(i.children[0]) for i in idents)
        args_node = next((k for k in kids if k.data == "arguments"), None)
        arg_nodes = _tokens_stripped(args_node) if args_node is not None else []
        expand = args_node is not None and any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in args_node.children)
        if name in ("try", "can"):
            return self._try(name, arg_nodes, scope)
        if name == "templatefile":
            return self._templatefile(arg_nodes, scope)
        fn = FUNCTIONS.get(name)
        if fn is None:
            return Unknown(f"function {name}() is not evaluated")
        args = [self._eval(a, scope) for a in arg_nodes]
        if expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return last
            if not isinstance(last, list | tuple):
                return EvalError(f"{name}(...): expanding a non-list")
            args.extend(last)
        if name not in _TOLERANT:
            for a in args:
                if isinstance(a, Unknown):
                    return derive(a, f"{name}(): {a.reason}")
        try:
            return fn(*args, scope=scope) if name in _NEEDS_SCOPE else fn(*args)
        except Exception as exc:
            return EvalError(f"{name}() failed: {type(exc).__name__}: {exc}")

    def _templatefile(self, arg_nodes: list[Tree], scope: Scope) -> Any:
        if len(arg_nodes) != 2:
            return Unknown("templatefile() takes a path and a map of variables")
        path = self._eval(arg_nodes[0], scope)
        if isinstance(path, Unknown):
            return path
        try:
            text = _file(path, scope=scope)
        except ValueError as exc:
            return Unknown(f"templatefile(): {exc}")
        if isinstance(text, Unknown):
            return text
        variables = self._eval(arg_nodes[1], scope)
        if not isinstance(variables, Mapping):
            return variables if isinstance(variables, Unknown) else Unknown("templatefile() variables are not a map")
        inner = Scope(lambda n: Unknown(f"{n} is not a template variable"), {"__module_dir__": scope.lookup("__module_dir__"),
                                                                              "__root_dir__": scope.lookup("__root_dir__"),
                                                                              **variables})
        return self._interpolate_text(text, inner)

    def _try(self, name: str, arg_nodes: list[Tree], scope: Scope) -> Any:
        for a in arg_nodes:
            v = self._eval(a, scope)
            err = _find_error(v)
            if name == "can":
                if err is not None:
                    return False
                u = find_unknown(v)
                return True if u is None else Unknown(f"can(): {u.reason}")
            if err is None:
                return v  # may be unknown: a value known only later is no reason to fall back
        return EvalError("try(): no argument could be evaluated")


def _find_error(v: Any) -> EvalError | None:
    if isinstance(v, EvalError):
        return v
    if isinstance(v, JsonDoc):
        v = v.value
    if isinstance(v, Mapping):
        v = list(v.values())
    if isinstance(v, list | tuple):
        for x in v:
            e = _find_error(x)
            if e is not None:
                return e
    return None


def _capped(text: str) -> Any:
    return text if len(text) <= MAX_STRING else Unknown(f"string longer than {MAX_STRING} characters")


def _name_text(node: Any) -> str:
    if isinstance(node, Token):
        return str(node)
    for c in node.children:
        if isinstance(c, Token):
            return str(c)
        return _name_text(c)
    return ""


def _norm_eq(v: Any) -> Any:
    if isinstance(v, JsonDoc):
        return v.value
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    return v


def _match_brace(text: str, start: int) -> int:
    depth = 1
    i = start
    in_str = False
    while i < len(text):
        c = text[i]
        if in_str:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


# ---- the function library ---------------------------------------------------------------------


def _plain(v: Any) -> Any:
    return v.value if isinstance(v, JsonDoc) else v


def _s(v: Any) -> str:
    r = _to_str(v)
    if isinstance(r, Unknown):
        raise ValueError(r.reason)
    return r


def _jsonencode(v: Any) -> Any:
    return JsonDoc(v)


def _jsondecode(s: Any) -> Any:
    if isinstance(s, JsonDoc):
        return s.value
    return json.loads(_s(s))


def _tolist(v: Any) -> Any:
    v = _plain(v)
    if isinstance(v, set | frozenset):
        return sorted(v, key=str)
    if isinstance(v, list | tuple):
        return list(v)
    raise TypeError("not a list")


def _toset(v: Any) -> Any:
    items = _tolist(v)
    out: list[Any] = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def _merge(*maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        m = _plain(m)
        if not isinstance(m, Mapping):
            raise TypeError("merge of a non-map")
        out.update(m)
    return out


def _concat(*lists: Any) -> Any:
    out: list[Any] = []
    for x in lists:
        out.extend(_tolist(x))
    return out


def _flatten(v: Any) -> Any:
    out: list[Any] = []
    for x in _tolist(v):
        if isinstance(x, list | tuple):
            out.extend(_flatten(list(x)))
        else:
            out.append(x)
    return out


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    m = _plain(m)
    if isinstance(m, Mapping) and _s(key) in m:
        return m[_s(key)]
    if default:
        return default[0]
    raise KeyError(key)


def _element(lst: Any, i: Any) -> Any:
    lst = _tolist(lst)
    return lst[int(i) % len(lst)]


def _length(v: Any) -> Any:
    v = _plain(v)
    if isinstance(v, str | list | tuple | dict | set):
        return len(v)
    raise TypeError("length of a non-collection")


def _coalesce(*args: Any) -> Any:
    for a in args:
        if isinstance(a, Unknown):
            return a
        if a is not None and a != "":
            return a
    raise ValueError("no non-null argument")


def _format(fmt: Any, *args: Any) -> Any:
    if any(int(w) > 1000 for w in re.findall(r"%[-+# 0]*(\d+)", _s(fmt))):
        raise ValueError("format width too large")
    spec = re.sub(r"%(\d*)v", r"%\1s", _s(fmt))
    conv = tuple(_s(a) if isinstance(a, bool | JsonDoc) else a for a in args)
    return spec % conv


def _range(*args: Any) -> Any:
    nums = [int(a) for a in args]
    r = range(*nums)
    if len(r) > MAX_RANGE:
        raise ValueError("range too large")
    return list(r)


def _zipmap(keys: Any, values: Any) -> Any:
    return dict(zip([_s(k) for k in _tolist(keys)], _tolist(values), strict=False))


def _file(path: Any, *, scope: Scope) -> Any:
    from railguard.sources.terraform.hcl import read_text

    p = Path(_s(path))
    base = scope.lookup("__module_dir__")
    if not p.is_absolute() and isinstance(base, str):
        p = Path(base) / p
    # a scanned configuration must not pull arbitrary local files (~/.aws/credentials) into a report
    allowed = [Path(d).resolve() for d in (base, scope.lookup("__root_dir__")) if isinstance(d, str)]
    real = p.resolve()
    if not any(real == a or a in real.parents for a in allowed):
        return Unknown(f"file({_s(path)}) is outside the configuration: not read")
    text, err, _ = read_text(p)
    if text is None:
        return Unknown(f"file({path}): {err}")
    return text


def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> Any:
    net = ipaddress.ip_network(_s(prefix), strict=False)
    bits, n = int(newbits), int(netnum)
    new_len = net.prefixlen + bits
    if bits < 0 or new_len > net.max_prefixlen or n < 0 or n >= 2**bits:
        raise ValueError(f"cannot take subnet {n} of {net} with {bits} new bits")
    start = int(net.network_address) + n * 2 ** (net.max_prefixlen - new_len)
    return str(ipaddress.ip_network((start, new_len)))


def _cidrhost(prefix: Any, hostnum: Any) -> Any:
    net = ipaddress.ip_network(_s(prefix), strict=False)
    n = int(hostnum)
    base = net.broadcast_address if n < 0 else net.network_address
    return str(ipaddress.ip_address(int(base) + n + (1 if n < 0 else 0)))


def _compact(v: Any) -> Any:
    return [x for x in _tolist(v) if x not in (None, "")]


def _one(v: Any) -> Any:
    lst = _tolist(v)
    if not lst:
        return None
    if len(lst) == 1:
        return lst[0]
    raise ValueError("more than one element")


def _values(m: Any) -> Any:
    m = _plain(m)
    return [m[k] for k in sorted(m)]


def _replace(s: Any, old: Any, new: Any) -> Any:
    """`replace`; on a jsonencode / policy document value it works on the string leaves, so an
    unknown replacement spoils only the leaves that hold the placeholder, not the document."""
    if isinstance(old, Unknown):
        return derive(old, f"replace(): {old.reason}")
    old_s = _s(old)
    regex = re.compile(old_s[1:-1]) if len(old_s) > 1 and old_s.startswith("/") and old_s.endswith("/") else None

    def one(text: str) -> Any:
        hit = regex.search(text) if regex else (old_s in text)
        if not hit:
            return text
        if isinstance(new, Unknown):
            return derive(new, f"replace(): {new.reason}")
        if regex is not None:
            return _capped(regex.sub(re.sub(r"\$(\d)", r"\\\1", _s(new)), text))
        return _capped(text.replace(old_s, _s(new)))

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return one(v)
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    if isinstance(s, JsonDoc):
        return JsonDoc(walk(s.value))
    if isinstance(s, Unknown):
        return derive(s, f"replace(): {s.reason}")
    return one(_s(s))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "format": _format,
    "join": lambda sep, lst: _capped(_s(sep).join(_s(x) for x in _tolist(lst))),
    "split": lambda sep, s: _s(s).split(_s(sep)),
    "concat": _concat,
    "merge": _merge,
    "lookup": _lookup,
    "element": _element,
    "length": _length,
    "lower": lambda s: _s(s).lower(),
    "upper": lambda s: _s(s).upper(),
    "title": lambda s: _s(s).title(),
    "trimspace": lambda s: _s(s).strip(),
    "trim": lambda s, c: _s(s).strip(_s(c)),
    "trimprefix": lambda s, p: _s(s)[len(_s(p)) :] if _s(s).startswith(_s(p)) else _s(s),
    "trimsuffix": lambda s, p: _s(s)[: -len(_s(p))] if _s(p) and _s(s).endswith(_s(p)) else _s(s),
    "startswith": lambda s, p: _s(s).startswith(_s(p)),
    "endswith": lambda s, p: _s(s).endswith(_s(p)),
    "replace": _replace,
    "substr": lambda s, o, n: _s(s)[int(o) : (None if int(n) < 0 else int(o) + int(n))],
    "tostring": lambda v: None if v is None else _s(v),
    "tonumber": lambda v: None if v is None else _to_num(v),
    "tobool": lambda v: None if v is None else _to_bool(v),
    "tolist": _tolist,
    "toset": _toset,
    "tomap": lambda m: dict(_plain(m)),
    "flatten": _flatten,
    "distinct": _toset,
    "keys": lambda m: sorted(_plain(m)),
    "values": _values,
    "contains": lambda lst, v: v in _tolist(lst),
    "coalesce": _coalesce,
    "coalescelist": lambda *ls: next((list(x) for x in ls if x), []),
    "compact": _compact,
    "range": _range,
    "zipmap": _zipmap,
    "min": lambda *a: min(_to_num(x) for x in a),
    "max": lambda *a: max(_to_num(x) for x in a),
    "abs": lambda n: abs(_to_num(n)),
    "ceil": lambda n: math.ceil(_to_num(n)),
    "floor": lambda n: math.floor(_to_num(n)),
    "one": _one,
    "sort": lambda lst: sorted(_s(x) for x in _tolist(lst)),
    "reverse": lambda lst: list(reversed(_tolist(lst))),
    "index": lambda lst, v: _tolist(lst).index(v),
    "slice": lambda lst, a, b: _tolist(lst)[int(a) : int(b)],
    "base64encode": lambda s: base64.b64encode(_s(s).encode()).decode(),
    "base64decode": lambda s: base64.b64decode(_s(s)).decode("utf-8"),
    "file": _file,
    "chomp": lambda s: _s(s).rstrip("\r\n"),
    "setunion": lambda *ls: _toset(_concat(*ls)),
    "cidrsubnet": _cidrsubnet,
    "cidrhost": _cidrhost,
    "cidrnetmask": lambda p: str(ipaddress.ip_network(_s(p), strict=False).netmask),
}

_NEEDS_SCOPE = {"file"}
_TOLERANT = {"coalesce", "replace"}  # handle Unknown arguments themselves

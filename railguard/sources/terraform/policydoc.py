"""IAM policy documents as Terraform writes them: `data "aws_iam_policy_document"`, jsonencode, heredoc JSON."""

from __future__ import annotations

import json
from typing import Any

from railguard.model import Unknown
from railguard.sources.terraform.expr import HOLE, JsonDoc, PartialText


def _blocks(cfg: Any, name: str) -> list[dict[str, Any]]:
    v = cfg.get(name) if isinstance(cfg, dict) else None
    if isinstance(v, dict):
        return [v]
    if isinstance(v, list):
        return [x for x in v if isinstance(x, dict)]
    return []


def _one_or_list(v: Any) -> Any:
    if isinstance(v, list) and len(v) == 1:
        return v[0]
    return v


def _strings(v: Any) -> Any:
    """Condition values are list(string) in Terraform: true -> "true", 5 -> "5"."""
    if isinstance(v, list):
        return [_strings(x) for x in v]
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return v


def policy_document(cfg: dict[str, Any]) -> JsonDoc:
    """`data "aws_iam_policy_document"` arguments -> the JSON policy it renders (as a JsonDoc)."""
    statements: list[Any] = []
    for src in ("source_policy_documents", "source_json"):
        docs = cfg.get(src)
        for d in docs if isinstance(docs, list) else ([docs] if docs is not None else []):
            parsed = parse_policy(d)
            if isinstance(parsed, Unknown):
                statements.append(parsed)
            elif isinstance(parsed, dict):
                st = parsed.get("Statement", [])
                statements.extend(st if isinstance(st, list) else [st])
    for st in _blocks(cfg, "statement"):
        out: dict[str, Any] = {}
        if st.get("sid") is not None:
            out["Sid"] = st["sid"]
        out["Effect"] = st.get("effect") if st.get("effect") is not None else "Allow"
        for tf, cfn in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                        ("not_resources", "NotResource")):
            if st.get(tf) is not None:
                out[cfn] = _one_or_list(st[tf])
        for tf, cfn in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            blocks = _blocks(st, tf)
            if blocks:
                p: dict[str, Any] = {}
                for b in blocks:
                    t, ids = b.get("type"), b.get("identifiers")
                    if t == "*" and (ids == ["*"] or ids == "*"):
                        p = {"__star__": True}
                        break
                    if isinstance(t, str):
                        p[t] = _one_or_list(ids)
                out[cfn] = "*" if p.get("__star__") else p
        conds = _blocks(st, "condition")
        if conds:
            c: dict[str, Any] = {}
            for b in conds:
                test, var = b.get("test"), b.get("variable")
                if isinstance(test, str) and isinstance(var, str):
                    c.setdefault(test, {})[var] = _one_or_list(_strings(b.get("values")))
                else:
                    c = {"__unknown__": Unknown("condition test or variable is unknown")}
            out["Condition"] = c
        statements.append(out)
    for d in cfg.get("override_policy_documents") or []:
        parsed = parse_policy(d)
        if not isinstance(parsed, dict):
            statements.append(parsed if isinstance(parsed, Unknown) else Unknown("override policy is not an object"))
            continue
        st = parsed.get("Statement", [])
        for o in st if isinstance(st, list) else [st]:
            sid = o.get("Sid") if isinstance(o, dict) else None
            same = [i for i, x in enumerate(statements) if sid and isinstance(x, dict) and x.get("Sid") == sid]
            if same:
                statements[same[0]] = o
            else:
                statements.append(o)
    doc: dict[str, Any] = {"Version": cfg.get("version") or "2012-10-17", "Statement": statements}
    if cfg.get("policy_id"):
        doc["Id"] = cfg["policy_id"]
    return JsonDoc(doc)


def parse_policy(value: Any) -> Any:
    """A policy as a dict (JsonDoc, JSON text, already a dict), Unknown, or None when absent."""
    if isinstance(value, PartialText):  # heredoc JSON with unknown interpolations: keep what is known
        try:
            return _fill_holes(json.loads(value.text, strict=False), Unknown(value.reason))
        except ValueError:
            return value
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, JsonDoc):
        return value.value
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError:
            return Unknown("policy is not valid JSON")
    return Unknown(f"policy is a {type(value).__name__}")


def _fill_holes(v: Any, unknown: Unknown) -> Any:
    """A string holding an unknown interpolation is Unknown; everything else stays as written."""
    if isinstance(v, str):
        return unknown if HOLE in v else v
    if isinstance(v, list):
        return [_fill_holes(x, unknown) for x in v]
    if isinstance(v, dict):
        return {k: _fill_holes(x, unknown) for k, x in v.items()}
    return v

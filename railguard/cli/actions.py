"""`railguard actions list|show`: the remediation actions, what they call, need and risk."""

from __future__ import annotations

import json
from typing import Any

import typer

from railguard.cli.exitcodes import UserError

actions_app = typer.Typer(help="Remediation actions: what each changes, its API calls, IAM permissions and risk.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(actions_app, name="actions")


def _params(model: Any) -> list[dict[str, Any]]:
    """Each param: name, type, default, description (from the pydantic model's JSON schema)."""
    schema = model.model_json_schema()
    out = []
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type") or " | ".join(
            str(x.get("type") or x.get("const") or x.get("enum") or "?") for x in prop.get("anyOf", []))
        if "enum" in prop:
            kind = " | ".join(map(str, prop["enum"]))
        out.append({"name": name, "type": kind or "object", "default": prop.get("default"),
                    "required": name in schema.get("required", []), "description": prop.get("description", "")})
    return out


def action_dict(a: Any) -> dict[str, Any]:
    return {
        "id": a.id, "title": a.title, "resource_types": list(a.resource_types), "calls": list(a.calls),
        "permissions": list(a.permissions),
        "risk": {"breaks_traffic": a.risk.breaks_traffic, "costs_money": a.risk.costs_money, "note": a.risk.note},
        "reversible": a.reversible, "reversible_note": a.reversible_note, "params": _params(a.params_model),
        "fixes": list(a.fixes), "description": a.description,
    }


@actions_app.command("list")
def actions_list(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Every action: id, reversible, risk, title."""
    from railguard.remediation.actions import all_actions

    rows = all_actions()
    if as_json:
        typer.echo(json.dumps([action_dict(a) for a in rows], indent=2))
        return
    for a in rows:
        flags = ("undo" if a.reversible else "NO-UNDO") + (" traffic" if a.risk.breaks_traffic else "") + (
            " cost" if a.risk.costs_money else "")
        typer.echo(f"{a.id:32} {flags:22} {a.title}")


@actions_app.command("show")
def actions_show(
    action_id: str = typer.Argument(..., help="Action id, e.g. ec2.restrict-world-ingress"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Everything about one action: resource types, API calls, IAM permissions, risk, undo, params,
    and the controls it fixes."""
    from railguard.remediation.actions import get

    try:
        a = get(action_id)
    except KeyError as exc:
        raise UserError(f"{exc.args[0]} (see `railguard actions list`)") from None
    d = action_dict(a)
    if as_json:
        typer.echo(json.dumps(d, indent=2))
        return
    lines = [
        ("id", a.id), ("title", a.title), ("resources", ", ".join(a.resource_types)),
        ("fixes", ", ".join(a.fixes)), ("calls", ", ".join(a.calls)), ("permissions", ", ".join(a.permissions)),
        ("risk", a.risk.describe()),
        ("reversible", "yes" + (f" ({a.reversible_note})" if a.reversible_note else "") if a.reversible
         else f"no: {a.reversible_note}"),
    ]
    for k, v in lines:
        typer.echo(f"{k:12} {v}")
    params = d["params"]
    typer.echo(f"{'params':12} {'' if params else 'none'}")
    for p in params:
        default = "required" if p["required"] else f"default {json.dumps(p['default'])}"
        desc = f" - {p['description']}" if p["description"] else ""
        typer.echo(f"  {p['name']:22} {p['type']} ({default}){desc}")
    if a.description:
        typer.echo(f"\n{a.description}")

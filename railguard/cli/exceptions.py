"""`railguard exceptions add|list|remove`: exceptions kept in the store, beside those in guardrail files."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import typer

from railguard.cli.exitcodes import UserError
from railguard.cli.respond_opts import db_option, open_db, who

exceptions_app = typer.Typer(help="Reviewed exceptions: a resource, tag or account, with reason, owner and expiry.",
                             no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(exceptions_app, name="exceptions")


def _expiry(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--expires: {text!r} is not a date (YYYY-MM-DD)") from None
    return datetime.combine(day, datetime.max.time(), tzinfo=UTC)


@exceptions_app.command("add")
def add(
    reason: str = typer.Option(..., "--reason", help="Why (a ticket)."),
    owner: str = typer.Option(..., "--owner", help="Who answers for it."),
    expires: str = typer.Option(..., "--expires", help="Last day it holds (YYYY-MM-DD)."),
    resource: str = typer.Option(None, "--resource", help="Resource id, name or ARN."),
    tag: str = typer.Option(None, "--tag", help="KEY=VALUE."),
    account: str = typer.Option(None, "--account", help="Account id."),
    guardrail: str = typer.Option(None, "--guardrail", help="Only for this guardrail (default: every guardrail)."),
    db: str = db_option(),
) -> None:
    """Add an exception; an expired one stops excusing and the finding fires again."""
    named = [x for x in (resource, tag, account) if x]
    if len(named) != 1:
        raise UserError("name exactly one of --resource, --tag, --account")
    if not reason.strip() or not owner.strip():
        raise UserError("--reason and --owner must not be empty")
    tag_key = tag_value = None
    if tag:
        if "=" not in tag:
            raise UserError(f"--tag: {tag!r} is not KEY=VALUE")
        tag_key, tag_value = tag.split("=", 1)
    when = _expiry(expires)
    if when < datetime.now(UTC):
        raise UserError(f"--expires: {expires} is in the past")
    with open_db(db) as store:
        row = store.exceptions.add(reason=reason, owner=owner, expires=when, guardrail=guardrail, resource=resource,
                                   tag_key=tag_key, tag_value=tag_value, account=account, created_by=who(None))
    typer.echo(f"added {row.id}")


@exceptions_app.command("list")
def list_(db: str = db_option(), as_json: bool = typer.Option(False, "--json")) -> None:
    """Every exception in the store, expired ones marked."""
    now = datetime.now(UTC)
    with open_db(db) as store:
        rows = store.exceptions.list()
    out = [{"id": r.id, "guardrail": r.guardrail, "resource": r.resource,
            "tag": f"{r.tag_key}={r.tag_value}" if r.tag_key else None, "account": r.account, "reason": r.reason,
            "owner": r.owner, "expires": r.expires.date().isoformat() if r.expires else None,
            "expired": bool(r.expires and r.expires < now)} for r in rows]
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    if not out:
        typer.echo("no exceptions")
    for e in out:
        what = e["resource"] or (f"tag {e['tag']}" if e["tag"] else f"account {e['account']}")
        state = "EXPIRED" if e["expired"] else "active"
        typer.echo(f"{e['id']}  {state:<7} {what}  until {e['expires']}  owner {e['owner']}  "
                   f"guardrail {e['guardrail'] or '*'}: {e['reason']}")


@exceptions_app.command("remove")
def remove(exception_id: str = typer.Argument(...), db: str = db_option()) -> None:
    """Remove an exception from the store (exceptions in guardrail files are removed by editing the file)."""
    with open_db(db) as store:
        if not store.exceptions.remove(exception_id):
            raise UserError(f"no exception {exception_id} in the store")
    typer.echo(f"removed {exception_id}")

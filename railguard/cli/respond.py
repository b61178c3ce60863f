"""`railguard approvals list|approve|reject` and `railguard undo`: the human side of the pipeline."""

from __future__ import annotations

import json

import typer

from railguard.cli import respond_opts as opts
from railguard.cli.exitcodes import UserError
from railguard.cli.respond_opts import db_option, open_db, sessions, who

approvals_app = typer.Typer(help="Changes waiting for a person (guardrails in mode approve).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(approvals_app, name="approvals")
    app.command("undo")(undo)


@approvals_app.command("list")
def approvals_list(db: str = db_option(), as_json: bool = typer.Option(False, "--json")) -> None:
    """Pending changes: id, guardrail, resource, what would change."""
    from railguard.store.journal import PENDING

    with open_db(db) as store:
        rows = store.journal.query(statuses=[PENDING])
    if as_json:
        typer.echo(json.dumps([{"id": r.id, "guardrail": r.guardrail, "action": r.action_id,
                                "resource_id": r.resource_id, "account": r.account, "region": r.region,
                                "summary": r.summary, "created_at": r.created_at.isoformat()} for r in rows], indent=2))
        return
    if not rows:
        typer.echo("no pending changes")
    for r in rows:
        typer.echo(f"{r.id}  {r.created_at:%Y-%m-%d %H:%M}  {r.guardrail}  {r.resource_id} ({r.account}/{r.region}): {r.summary}")


def _aws(profile: str | None, endpoint_url: str | None, role_arn: str | None, accounts: list[str] | None,
         role_name: str) -> dict[str, object]:
    return sessions(profile, endpoint_url, role_arn, accounts, role_name)


@approvals_app.command("approve")
def approvals_approve(
    action_id: str = typer.Argument(..., help="Journal id from `railguard approvals list`."),
    by: str = typer.Option(None, "--by", help="Approver (default: the OS user)."),
    db: str = db_option(),
    profile: opts.Profile = None,
    endpoint_url: opts.EndpointUrl = None,
    role_arn: opts.RoleArn = None,
    accounts: opts.Accounts = None,
    role_name: opts.RoleName = opts.ROLE_NAME,
) -> None:
    """Approve a pending change: re-planned against the resource now, refused if it changed, then applied and verified."""
    from railguard.remediation.approvals import ApprovalError, approve

    with open_db(db) as store:
        try:
            row = approve(store, action_id, _aws(profile, endpoint_url, role_arn, accounts, role_name), approver=who(by))
        except ApprovalError as exc:
            raise UserError(str(exc), 1) from None
    typer.echo(f"{row.id} {row.status} (approved by {row.approver}): {row.summary if row.status == 'applied' else row.error}")
    if row.status != "applied":
        raise typer.Exit(1)


@approvals_app.command("reject")
def approvals_reject(
    action_id: str = typer.Argument(...),
    by: str = typer.Option(None, "--by", help="Who rejects (default: the OS user)."),
    reason: str = typer.Option("", "--reason"),
    db: str = db_option(),
) -> None:
    """Reject a pending change: nothing is applied; the rejection is journaled."""
    from railguard.remediation.approvals import ApprovalError, reject

    with open_db(db) as store:
        try:
            row = reject(store, action_id, approver=who(by), reason=reason)
        except ApprovalError as exc:
            raise UserError(str(exc), 1) from None
    typer.echo(f"{row.id} rejected by {row.approver}")


def undo(
    action_id: str = typer.Argument(..., help="Journal id of an applied action."),
    force: bool = typer.Option(False, "--force", help="Undo even if the resource changed since the action."),
    by: str = typer.Option(None, "--by", help="Who undoes (default: the OS user)."),
    db: str = db_option(),
    profile: opts.Profile = None,
    endpoint_url: opts.EndpointUrl = None,
    role_arn: opts.RoleArn = None,
    accounts: opts.Accounts = None,
    role_name: opts.RoleName = opts.ROLE_NAME,
) -> None:
    """Restore the prior state an applied action recorded, and verify the restore."""
    from railguard.remediation.undo import UndoError, undo_action

    with open_db(db) as store:
        try:
            row, check = undo_action(store, action_id, _aws(profile, endpoint_url, role_arn, accounts, role_name),
                                     force=force, by=who(by))
        except UndoError as exc:
            raise UserError(str(exc), 1) from None
    typer.echo(f"{row.id} undone on {row.resource_id}: {check}")

"""`railguard ir`: incident response as resumable cases.

Exit codes: 0 the workflow finished (or the dry run was printed); 1 the case needs a person: it
waits for approval, or a step failed and the case stopped (resumable: `ir resume CASE`); 2 bad input
(unknown instance, instance not in that region, unknown principal or case; a case is recorded
when one was opened); 3 no AWS credentials or store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from railguard.cli import exitcodes
from railguard.cli.exitcodes import UserError
from railguard.cli.respond_opts import (
    EndpointUrl,
    Profile,
    chosen_executor,
    db_option,
    open_db,
    project_settings,
    run_errors,
    who,
)

ir_app = typer.Typer(help="Incident response: isolate an instance, contain a principal, resume, report, release.",
                     no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(ir_app, name="ir")


def _region() -> Any:
    return typer.Option(None, "--region", help="Region of the subject (default: the profile's).")


def _max_isolations() -> Any:
    return typer.Option(2, "--max-isolations", min=0,
                        help="Isolations allowed in the window before one waits for approval.")


def _window() -> Any:
    return typer.Option(60, "--window-minutes", min=1, help="The breaker's window.")


def _notify() -> Any:
    return typer.Option(None, "--notify", help="Where 'needs a human' goes: stdout, webhook=URL, slack_webhook=URL, "
                                               "sns_topic=ARN (repeatable).")


def _options(max_isolations: int, window: int, notify: list[str] | None) -> dict[str, Any]:
    """Run-time options of a case run: the breaker and the notification channels."""
    return {"max_isolations": max_isolations, "window_s": window * 60, "channels": _channels(notify)}


def _session(profile: str | None, endpoint_url: str | None, region: str | None) -> Any:
    from railguard.sources.aws.session import AwsSetupError, open_sessions

    try:
        (home,) = open_sessions(profile=profile, endpoint_url=endpoint_url, region=region)
    except AwsSetupError as exc:
        raise UserError(str(exc), exitcodes.ENVIRONMENT) from None
    return home


def _channels(specs: list[str] | None) -> dict[str, Any]:
    """`--notify stdout`, `--notify webhook=URL`, `--notify slack_webhook=URL`, `--notify sns_topic=ARN`."""
    from pydantic import ValidationError

    from railguard.notify import ChannelConfig

    out: dict[str, Any] = {}
    for i, spec in enumerate(specs or []):
        kind, _, value = spec.partition("=")
        data: dict[str, Any] = {"stdout": True} if kind == "stdout" else {kind: value}
        try:
            out[f"{kind}-{i + 1}"] = ChannelConfig.model_validate(data)
        except ValidationError as exc:
            msg = "; ".join(e["msg"] for e in exc.errors())
            raise UserError(f"--notify {kind}: {msg} (use stdout, webhook=URL, slack_webhook=URL or sns_topic=ARN)") \
                from None
    return out


def _finish(result: Any, store: Any) -> None:
    from railguard.store import cases as C

    typer.echo(f"case {result.case_id}: {result.status}")
    if result.status == C.WAITING:
        typer.echo(f"railguard: needs a human: {result.message}", err=True)
        raise typer.Exit(1)
    if result.status == C.STOPPED:
        typer.echo(f"railguard: {result.message}", err=True)
        raise typer.Exit(1)


def _print_plan(session: Any, kind: str, subject: str, where: str, params: dict[str, Any]) -> None:
    from railguard.ir import service

    typer.echo(f"dry run: {kind} {subject} in {session.account or '?'}/{where} would run, in order:")
    for i, (name, title) in enumerate(service.plan(None, session, kind, subject, where, params), 1):
        typer.echo(f"  {i:>2}. {name}: {title}")
    typer.echo("nothing was changed and no case was recorded")


def _run(store: Any, session: Any, case_id: str, actor: str, options: dict[str, Any]) -> None:
    from railguard.ir import service
    from railguard.ir.workflow import IrError

    try:
        result = service.run(store, session, case_id, actor=actor, options=options)
    except IrError as exc:
        raise UserError(f"case {case_id}: {exc}", exc.code) from None
    _finish(result, store)


@ir_app.command("isolate")
def isolate(
    instance_id: str = typer.Argument(..., help="The instance to isolate (i-...)."),
    region: str = _region(),
    stop: bool = typer.Option(False, "--stop", help="Stop the instance at the end (off: memory is evidence)."),
    forensics_account: str = typer.Option(None, "--forensics-account", help="Share the snapshots with this account."),
    forensics_instance: str = typer.Option(None, "--forensics-instance",
                                           help="Attach volumes made from the snapshots to this instance."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the steps; change nothing, record nothing."),
    max_isolations: int = _max_isolations(),
    window: int = _window(),
    notify: list[str] = _notify(),
    reason: str = typer.Option("", "--reason", help="Why (recorded in the case)."),
    by: str = typer.Option(None, "--by", help="Who runs it (default: the OS user)."),
    db: str = db_option(),
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Capture evidence, then isolate an instance in ordered, recorded, resumable steps."""
    from railguard.ir import service

    if not instance_id.startswith("i-"):
        raise UserError(f"{instance_id!r} is not an instance id (i-...)")
    options = _options(max_isolations, window, notify)
    session = _session(profile, endpoint_url, region)
    where = region or session.session.region_name or "us-east-1"
    params = {"stop": stop, "forensics_account": forensics_account, "forensics_instance": forensics_instance}
    if dry_run:
        _print_plan(session, service.ISOLATE, instance_id, where, params)
        return
    with open_db(db) as store:
        case = service.open_isolation(store, session, instance_id, where, stop=stop,
                                      forensics_account=forensics_account, forensics_instance=forensics_instance,
                                      actor=who(by), reason=reason)
        typer.echo(f"case {case.id} opened: isolate {instance_id} ({session.account}/{where})", err=True)
        _run(store, session, case.id, who(by), options)


@ir_app.command("contain-principal")
def contain_principal(
    principal: str = typer.Argument(..., help="IAM user name, role name, ARN, or access key id (AKIA...)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the steps; change nothing."),
    reason: str = typer.Option("", "--reason"),
    by: str = typer.Option(None, "--by"),
    db: str = db_option(),
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Deactivate keys, remove console login, attach deny-all, revoke sessions; prior state recorded."""
    from railguard.ir import service

    session = _session(profile, endpoint_url, None)
    where = session.session.region_name or "us-east-1"
    if dry_run:
        _print_plan(session, service.CONTAIN, principal, where, {})
        return
    with open_db(db) as store:
        case = service.open_containment(store, session, principal, where, actor=who(by), reason=reason)
        typer.echo(f"case {case.id} opened: contain {principal} ({session.account})", err=True)
        _run(store, session, case.id, who(by), {})


@ir_app.command("resume")
def resume(
    case_id: str = typer.Argument(...),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the steps still to run; change nothing."),
    max_isolations: int = _max_isolations(),
    window: int = _window(),
    notify: list[str] = _notify(),
    by: str = typer.Option(None, "--by"),
    db: str = db_option(),
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Finish an interrupted case: steps already done are not repeated."""
    options = _options(max_isolations, window, notify)
    with open_db(db) as store:
        case = _case(store, case_id)
        session = _session(profile, endpoint_url, case.region)
        if dry_run:
            _print_pending(store, session, case, "respond")
            return
        _run(store, session, case_id, who(by), options)


def _print_pending(store: Any, session: Any, case: Any, phase: str) -> None:
    from railguard.ir import service
    from railguard.ir.workflow import IrError

    try:
        todo = service.pending(store, session, case.id, phase)
    except IrError as exc:
        raise UserError(str(exc), exc.code) from None
    verb = "resume" if phase == "respond" else "release"
    typer.echo(f"dry run: {verb} of case {case.id} ({case.kind} {case.subject}, {case.status}) would run, in order:")
    for i, (name, title, note) in enumerate(todo, 1):
        typer.echo(f"  {i:>2}. {name}: {title}" + (f" [{note}]" if note else ""))
    if not todo:
        typer.echo("  nothing: every step is done")
    typer.echo("nothing was changed")


@ir_app.command("release")
def release(
    case_id: str = typer.Argument(...),
    keep_revocation: bool = typer.Option(False, "--keep-revocation",
                                         help="Keep credentials issued before the case denied."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what release would undo, in order; change nothing."),
    by: str = typer.Option(None, "--by"),
    db: str = db_option(),
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Undo what the case changed and verify it; the evidence (artefacts, snapshots) is kept."""
    from railguard.ir import service
    from railguard.ir.workflow import IrError

    with open_db(db) as store:
        case = _case(store, case_id)
        session = _session(profile, endpoint_url, case.region)
        if dry_run:
            if case.status == "released":
                raise UserError(f"case {case_id} is already released")
            _print_pending(store, session, case, "release")
            return
        try:
            result = service.release(store, session, case_id, actor=who(by), keep_revocation=keep_revocation)
        except IrError as exc:
            raise UserError(str(exc), exc.code) from None
        _finish(result, store)


@ir_app.command("status")
def status(case_id: str = typer.Argument(None, help="A case (default: every case)."), db: str = db_option(),
           as_json: bool = typer.Option(False, "--json")) -> None:
    """A case's steps (or every case, one line each)."""
    from railguard.ir.report import case_json

    with open_db(db) as store:
        if case_id is None:
            rows = store.cases.query()
            if as_json:
                typer.echo(json.dumps([{"case": c.id, "kind": c.kind, "subject": c.subject, "status": c.status,
                                        "created_at": c.created_at.isoformat()} for c in rows], indent=2))
                return
            for c in rows:
                typer.echo(f"{c.id}  {c.created_at:%Y-%m-%d %H:%M}  {c.kind:<8} {c.subject}  {c.status}")
            if not rows:
                typer.echo("no case")
            return
        _case(store, case_id)
        data = case_json(store, case_id)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"case {data['case']}: {data['kind']} {data['subject']} ({data['account']}/{data['region']}) "
               f"{data['status']}")
    for s in data["steps"]:
        typer.echo(f"  {s['phase']:<8} {s['seq']:>2}. {s['name']:<16} {s['status']:<8} {s['summary']}"
                   + (f" [{s['error']}]" if s["error"] else ""))
    if data["message"]:
        typer.echo(f"  {data['message']}")


@ir_app.command("report")
def report(
    case_id: str = typer.Argument(...),
    fmt: str = typer.Option("json", "--format", help="json or html."),
    with_content: bool = typer.Option(False, "--with-content", help="JSON: include each artefact's content."),
    output: Path = typer.Option(None, "--output", "-o", help="Write here (default: stdout)."),
    db: str = db_option(),
) -> None:
    """The case as JSON, or as a self-contained HTML timeline."""
    from railguard.ir.report import case_html, case_json

    if fmt not in ("json", "html"):
        raise UserError(f"--format: {fmt!r} is not json or html")
    if output is not None and (output.is_dir() or not output.parent.exists()):  # a late mistake, checked first
        raise UserError(f"--output: cannot write {output} (not a file in an existing directory)")
    with open_db(db) as store:
        _case(store, case_id)
        text = (json.dumps(case_json(store, case_id, with_content=with_content), indent=2) if fmt == "json"
                else case_html(store, case_id))
    if output is None:
        typer.echo(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--output: cannot write {output}: {exc.strerror}") from None


@ir_app.command("from-events")
def from_events(
    source: str = typer.Argument(..., help="JSON lines: detections (`railguard events replay --format json`) or "
                                           "CloudTrail records; a CloudTrail file ({\"Records\": [...]}); - for stdin."),
    apply: bool = typer.Option(False, "--apply", help="Open and run the cases (default: say what would open)."),
    max_isolations: int = _max_isolations(),
    window: int = _window(),
    notify: list[str] = _notify(),
    by: str = typer.Option(None, "--by"),
    db: str = db_option(),
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    executor: str = typer.Option(None, "--executor", help="local (default) or celery: one task per case on "
                                 "`railguard worker` processes, each in the case's account."),
    role_name: str = typer.Option("OrganizationAccountAccessRole", "--role-name",
                                  help="With --executor celery: the role workers assume in a detection's account."),
) -> None:
    """Open cases from detections and Tainted tags (with every safeguard of a manual case)."""
    import sys

    from railguard.ir import service
    from railguard.ir.triggers import read_items, request_for
    from railguard.ir.workflow import IrError
    from railguard.store import cases as C

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{source}: cannot read ({exc.strerror})") from None
    try:
        items = read_items(text)
    except ValueError as exc:
        raise UserError(f"{source}: {exc}") from None
    requests = list(dict.fromkeys(r for r in (request_for(i) for i in items) if r is not None))
    if not requests:
        typer.echo("no detection or tag calls for a case")
        return
    if not apply:
        for r in requests:
            typer.echo(f"would open: {r.kind} {r.subject} ({r.trigger}: {r.reason})")
        typer.echo("nothing was changed (--apply opens and runs the cases)")
        return
    options = _options(max_isolations, window, notify)
    chosen = chosen_executor(executor, project_settings())
    if chosen.name == "celery":
        _from_events_celery(requests, options, chosen, role_name, db, who(by), profile, endpoint_url)
        return
    needs_person = False
    with open_db(db) as store:
        for r in requests:  # one case per subject: a case still active on it is reported, not opened again
            session = _session(profile, endpoint_url, r.region)
            where = r.region or session.session.region_name or "us-east-1"
            try:
                req = service.request_case(store, session, r.kind, r.subject, where, trigger=r.trigger,
                                           actor=who(by), reason=r.reason, options=options)
            except IrError as exc:
                raise UserError(str(exc), exc.code) from None
            if req.result is None:
                typer.echo(f"case {req.case.id}: {r.kind} {r.subject}: {req.case.status} (already open: not opened "
                           "again)")
                continue
            status, message = req.result.status, req.result.message
            needs_person |= status != C.DONE
            typer.echo(f"case {req.case.id}: {r.kind} {r.subject}: {status}"
                       + (f" ({message})" if status != C.DONE else ""))
    if needs_person:
        raise typer.Exit(1)


def _from_events_celery(requests: list[Any], options: dict[str, Any], settings: Any, role_name: str,
                        db: str | None, actor: str, profile: str | None, endpoint_url: str | None) -> None:
    """One task per case on the workers (railguard/executor/response.py); exit 1 when a case needs a person."""
    from railguard.engine.scan import ScanOptions
    from railguard.executor.distributed import CeleryExecutor
    from railguard.executor.response import run_cases
    from railguard.store import cases as C

    scan_opts = ScanOptions(profile=profile, endpoint_url=endpoint_url, role_name=role_name, executor=settings,
                            store_url=db)
    with open_db(db) as store, run_errors():
        outcomes = run_cases(CeleryExecutor(settings, db), requests, scan_opts, store, actor=actor,
                             run_options=options)
    for o in outcomes:
        typer.echo(f"case {o.case_id}: {o.kind} {o.subject} in {o.account}: {o.status}"
                   + (f" ({o.message})" if o.status != C.DONE else ""))
    if any(o.status != C.DONE for o in outcomes):
        raise typer.Exit(1)


@ir_app.command("marker-script")
def marker_script() -> None:
    """A PAM hook that tags the instance Tainted on interactive login (install on immutable hosts)."""
    from railguard.ir.triggers import marker_script as script

    typer.echo(script(), nl=False)


def _case(store: Any, case_id: str) -> Any:
    case = store.cases.get(case_id)
    if case is None:
        raise UserError(f"no case {case_id} in the store {store.url} (see `railguard ir status`)")
    return case

"""Options shared by the respond commands: the store (`--db`) and the AWS sessions."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from railguard.cli import exitcodes
from railguard.cli.exitcodes import UserError

if TYPE_CHECKING:  # the store (SQLAlchemy) loads when a command opens it, not for every `railguard`
    from railguard.store import Store

DB_HELP = "Store URL (sqlite:///path, postgresql://...) or a file path; default $RAILGUARD_DB, else ~/.local/state/railguard/railguard.db."


# the AWS options of every respond command, defined once
Profile = Annotated[str | None, typer.Option("--profile", help="AWS profile.")]
EndpointUrl = Annotated[str | None, typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL", help="AWS endpoint (moto).")]
RoleArn = Annotated[str | None, typer.Option("--role-arn", help="Assume this role first.")]
Accounts = Annotated[list[str] | None, typer.Option("--accounts", help="Account ids, entered via --role-name.")]
RoleName = Annotated[str, typer.Option("--role-name", help="Role assumed in each of --accounts.")]
ROLE_NAME = "OrganizationAccountAccessRole"


def db_option() -> Any:
    return typer.Option(None, "--db", envvar="RAILGUARD_DB", help=DB_HELP)


def open_db(url: str | None) -> Store:
    from railguard.store import StoreError, open_store

    try:
        return open_store(url)
    except StoreError as exc:
        raise UserError(str(exc), exitcodes.ENVIRONMENT) from None


def sessions(profile: str | None, endpoint_url: str | None, role_arn: str | None,
             accounts: list[str] | None, role_name: str) -> dict[str, Any]:
    from railguard.cli.options import split_csv
    from railguard.sources.aws.session import AwsSetupError, open_sessions

    try:
        out = open_sessions(profile=profile, endpoint_url=endpoint_url, role_arn=role_arn,
                            accounts=split_csv(accounts), role_name=role_name)
    except AwsSetupError as exc:
        raise UserError(str(exc), exitcodes.ENVIRONMENT) from None
    return {s.account: s for s in out}


def who(by: str | None) -> str:
    """The person recorded as approver: `--by`, else the OS user."""
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def project_settings() -> Any:
    """./railguard.yaml (its `executor:` and `timeouts:` apply to every command that reads AWS)."""
    from railguard.config import ConfigError, find_config, load_config

    try:
        return load_config(find_config(None))
    except ConfigError as exc:
        raise UserError(str(exc)) from None


def chosen_executor(flag: str | None, settings: Any) -> Any:
    """`--executor` over the file's `executor:`; an unknown name is a usage error."""
    from railguard.executor.settings import EXECUTORS, resolve

    if flag and flag not in EXECUTORS:
        raise UserError(f"--executor: unknown executor {flag}; choose from {', '.join(EXECUTORS)}")
    return resolve(flag, settings.executor)


@contextmanager
def run_errors() -> Iterator[None]:
    """What a run over AWS can meet that is the user's to fix, as one line and its exit code."""
    from railguard.executor.distributed import ExecutorSetupError
    from railguard.executor.seam import RunCancelled
    from railguard.sources.aws.session import AwsSetupError

    try:
        yield
    except AwsSetupError as exc:
        raise UserError(str(exc), exitcodes.ENVIRONMENT) from None
    except ExecutorSetupError as exc:
        raise UserError(str(exc)) from None
    except RunCancelled as exc:
        raise UserError(str(exc), 130) from None

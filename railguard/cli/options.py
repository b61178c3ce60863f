"""Option parsing shared by command groups: comma lists, severities, formats."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from railguard.cli.exitcodes import UserError
from railguard.model import Severity


def split_csv(values: list[str] | str | None) -> list[str]:
    """`a,b --x c` style: accept repeated options and comma-separated values alike."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


def severity(value: str | None, flag: str) -> Severity | None:
    if value is None or value == "" or value.lower() == "none":
        return None
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise UserError(f"{flag}: {exc}") from None


# What each option's value is, as help shows it (typer would show the Python type: `<list[str]>`).
METAVARS = {
    "--framework": "ID[,ID...]", "--controls": "ID[,ID...]", "--severity": "LEVEL", "--fail-on": "LEVEL",
    "--regions": "REGION[,REGION...]", "--profile": "NAME", "--endpoint-url": "URL", "--role-arn": "ARN",
    "--accounts": "ACCOUNT[,ACCOUNT...]", "--role-name": "NAME", "--output-dir": "DIR", "--output": "PATH",
    "--format": "FORMAT[,FORMAT...]", "--workers": "N", "--jobs": "N", "--config": "FILE", "--exclude": "GLOB",
    "--param": "KEY=VALUE", "--var": "KEY=VALUE", "--var-file": "FILE", "--baseline": "FILE",
    "--service": "SERVICE", "--repo": "DIR", "--command": "COMMAND", "--disable": "RULE[,RULE...]",
    "--reason": "TEXT",
}


def apply_metavars(cmd: Any) -> None:
    """Give every option of `cmd` and its sub-commands a metavar that says what to write; flags none.

    Duck-typed: typer either wraps click or ships its own copy of it, depending on the version."""
    for param in cmd.params:
        kind = getattr(param, "param_type_name", "")
        if kind == "argument":  # its name says what it is; no Python type beside it
            param.display_type_rich = lambda ctx: None
        if kind != "option" or param.metavar:
            continue
        if param.is_flag or param.count:
            param.metavar = ""
            continue
        long = max(param.opts, key=len)
        param.metavar = METAVARS.get(long, long.lstrip("-").replace("-", "_").upper())
    help_option = cmd.get_help_option

    def quiet_help(ctx: Any) -> Any:
        opt = help_option(ctx)
        if opt is not None:
            opt.metavar = ""
        return opt

    cmd.get_help_option = quiet_help
    for sub in (getattr(cmd, "commands", None) or {}).values():
        apply_metavars(sub)


def endpoint_url(value: str | None) -> str | None:
    """`--endpoint-url`: a URL with its scheme (boto3 would fail much later with a traceback)."""
    from urllib.parse import urlsplit

    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"--endpoint-url: {value!r} is not a URL; write it with its scheme, e.g. http://{value}"
                        if "://" not in value else f"--endpoint-url: {value!r} is not an http(s) URL")
    return value


_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")


def role_arn(value: str | None) -> str | None:
    """`--role-arn`: an IAM role ARN (arn:aws:iam::111111111111:role/Name)."""
    if value and not _ROLE_ARN.fullmatch(value):
        raise UserError(f"--role-arn: {value!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    return value


def output_dir(path: Path) -> Path:
    """`--output-dir`: refused before the scan when reports could not be written there."""
    if path.exists() and not path.is_dir():
        raise UserError(f"--output-dir: {path} exists and is not a directory; reports are files written into it")
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"--output-dir: cannot write into {existing}")
    return path


def suggest(word: str, choices: Iterable[str]) -> str:
    """`; did you mean X?` for a near miss, else an empty string."""
    import difflib

    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.5)
    return f"; did you mean {close[0]}?" if close else ""

"""`railguard demo`: an emulated, deliberately misconfigured lab account, scanned end to end.

Starts moto's ThreadedMotoServer on a free 127.0.0.1 port, runs every `seed_*` module
against it, scans it over real HTTP like any account, writes the reports, and stops the
server whatever happens.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import pkgutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from railguard.config import BaselineSettings, Config
from railguard.demo.lab import Lab
from railguard.model import Result, RunResult

DEMO_REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
_ENV = {
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 (never another interface); yields its endpoint URL."""
    # the lab never sees a real credential: dummy keys, no profile, no session token
    os.environ.update(_ENV)
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(k, None)
    import logging

    from moto.server import ThreadedMotoServer

    # no line per request, and no traceback for the calls moto does not emulate (they become gaps)
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        reset_moto(url)  # moto's backends are process-global: start from an empty account
        yield url
    finally:
        server.stop()


def reset_moto(url: str) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=30).read()


def seed_modules() -> list[str]:
    import railguard.demo as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name.startswith("seed_"))


def seed_lab(lab: Lab) -> None:
    for name in seed_modules():
        importlib.import_module(f"railguard.demo.{name}").seed(lab)


DEMO_FRAMEWORKS = "cis-aws-foundations-3.0,railguard-baseline"
LAB_ADMINS = ["lab-admin"]


def lab_config(lab: Lab) -> Config:
    """The lab's own railguard.yaml: its account is owned, `lab-admin` may use the console."""
    return Config(baseline=BaselineSettings(owned_accounts=[lab.account], console_admins=LAB_ADMINS))


def scan_lab(
    framework: str = DEMO_FRAMEWORKS, regions: list[str] | None = None, scale: int = 1,
    then: Callable[[RunResult, Lab], None] | None = None,
) -> tuple[RunResult, Lab]:
    """Seed a fresh lab on a private moto server and scan it: the run and what was planted.
    `then(run, lab)` runs while the emulator is still up (the server stops when it returns)."""
    from railguard import frameworks
    from railguard.engine.plan import build_plan
    from railguard.engine.scan import ScanOptions, run_scan

    regions = regions or DEMO_REGIONS
    # moto prints a line to stdout for every call to a service it does not emulate (Access
    # Analyzer): the demo reports those as gaps, so the emulator's own chatter is dropped
    with moto_server() as endpoint:
        with contextlib.redirect_stdout(io.StringIO()):
            lab = Lab(endpoint_url=endpoint, regions=regions, scale=scale)
            plan = build_plan(frameworks.resolve(framework), overrides=lab_config(lab).overrides())
            print(f"seeding the lab account on {endpoint} in {', '.join(regions)} ...", file=sys.stderr)
            seed_lab(lab)
            run = run_scan(plan, ScanOptions(endpoint_url=endpoint, regions=regions, region=regions[0]))
        run.meta["demo"] = {"planted_misconfigurations": len(lab.expected_fail), "compliant": len(lab.expected_pass)}
        if then is not None:
            then(run, lab)
    return run, lab


def caught(run: RunResult, lab: Lab) -> tuple[int, int]:
    """(planted, found): the planted misconfigurations of the controls this run planned, and how
    many of them the scan reported FAIL."""
    planned = {f.control_id for f in run.findings}
    failed = {(f.control_id, f.resource_name or f.resource_id) for f in run.findings if f.result == Result.FAIL}
    planted = [k for k in lab.expected_fail if k[0] in planned]
    return len(planted), sum(1 for k in planted if k in failed)


def try_by_hand(endpoint: str, regions: list[str], framework: str) -> str:
    """What to paste into another terminal while `railguard demo --keep` holds the emulator up."""
    env = " ".join(f"{k}={v}" for k, v in {
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": regions[0],
    }.items())
    lines = [
        f"The emulated lab account stays up at {endpoint} until you press Ctrl-C.",
        "In another terminal:",
        f"  export {env}",
        f"  railguard scan --framework {framework} --regions {','.join(regions)} -o railguard-by-hand",
        "  railguard scan --controls ec2.sg-admin-port-open-to-world,s3.deny-http --fail-on high",
        "  aws ec2 describe-security-groups --query 'SecurityGroups[].GroupName'   # the AWS CLI works too",
    ]
    from railguard.cli.main import command

    for group in ("respond", "remediate", "guardrails"):
        if group in command().commands:
            lines.append(f"  railguard {group} --help")
    return "\n".join(lines)


def wait_for_interrupt() -> None:
    """Block until Ctrl-C (the emulator lives in this process)."""
    import threading

    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nstopping the emulator", file=sys.stderr)


def run_demo(
    output_dir: Path, framework: str = DEMO_FRAMEWORKS, regions: list[str] | None = None,
    keep: Callable[[str], None] | None = None,
) -> Path:
    """Scan the lab and write the reports. With `keep`, the emulator stays up while `keep(endpoint)`
    runs (`wait_for_interrupt` for `railguard demo --keep`), after the endpoint and environment
    to try commands by hand are printed."""
    from railguard.cli.summary import print_summary
    from railguard.report import write_reports

    regions = regions or DEMO_REGIONS
    written: list[Path] = []

    def report(run: RunResult, lab: Lab) -> None:
        written.extend(write_reports(run, ["json", "failed", "csv", "html"], output_dir))
        print_summary(run)
        for p in written:
            print(f"wrote {p}", file=sys.stderr)
        planted, found = caught(run, lab)
        print(f"{planted} planted misconfigurations, {found} found", file=sys.stderr)
        if keep is not None:
            print(try_by_hand(lab.endpoint_url, regions, framework), file=sys.stderr)
            keep(lab.endpoint_url)

    scan_lab(framework, regions, then=report)
    return next(p for p in written if p.suffix == ".html")

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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from railguard.config import BaselineSettings, Config
from railguard.demo.lab import Lab
from railguard.model import RunResult

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
    framework: str = DEMO_FRAMEWORKS, regions: list[str] | None = None, scale: int = 1
) -> tuple[RunResult, Lab]:
    """Seed a fresh lab on a private moto server and scan it: the run and what was planted."""
    from railguard import frameworks
    from railguard.engine.plan import build_plan
    from railguard.engine.scan import ScanOptions, run_scan

    regions = regions or DEMO_REGIONS
    # moto prints a line to stdout for every call to a service it does not emulate (Access
    # Analyzer): the demo reports those as gaps, so the emulator's own chatter is dropped
    with contextlib.redirect_stdout(io.StringIO()), moto_server() as endpoint:
        lab = Lab(endpoint_url=endpoint, regions=regions, scale=scale)
        plan = build_plan(frameworks.resolve(framework), overrides=lab_config(lab).overrides())
        print(f"seeding the lab account on {endpoint} in {', '.join(regions)} ...", file=sys.stderr)
        seed_lab(lab)
        run = run_scan(plan, ScanOptions(endpoint_url=endpoint, regions=regions, region=regions[0]))
    run.meta["demo"] = {"planted_misconfigurations": len(lab.expected_fail), "compliant": len(lab.expected_pass)}
    return run, lab


def run_demo(output_dir: Path, framework: str = DEMO_FRAMEWORKS, regions: list[str] | None = None) -> Path:
    from railguard.cli.summary import print_summary
    from railguard.report import write_reports

    run, _ = scan_lab(framework, regions)
    paths = write_reports(run, ["json", "failed", "csv", "html"], output_dir)
    print_summary(run)
    for p in paths:
        print(f"wrote {p}", file=sys.stderr)
    return next(p for p in paths if p.suffix == ".html")

"""Each iac control on its Terraform fixtures: tests/fixtures/iac/tf/<control-id>/{fail,pass}/main.tf.

The same control ids as the CloudFormation fixtures (tests/fixtures/iac/cfn/): one control,
one misconfiguration, the same verdict whatever the template language.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from railguard.controls import IAC, all_controls, get_control, has_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Inventory, Result
from railguard.sources.terraform import load_directory

TF = Path(__file__).resolve().parent.parent / "fixtures" / "iac" / "tf"

# resource types no Terraform configuration produces (Dockerfiles, CloudFormation parameters)
NOT_TERRAFORM = ("RailGuard::Docker::", "RailGuard::CloudFormation::", "AWS::Serverless::")
NO_TF_FAIL_FIXTURE = {
    "ec2.vpc-peering-unknown-account": "fails only against the site's owned_accounts parameter",
    "iam.console-access-restricted": "fails only against the site's console_admins parameter (MANUAL without it)",
    "iam.password-expiry": "fails only when the site sets password_max_age_days",
}


def _cases() -> list[tuple[str, str]]:
    return [(d.name, kind) for d in sorted(TF.iterdir()) if d.is_dir()
            for kind in ("fail", "pass") if (d / kind / "main.tf").is_file()]


def _results(control_id: str, directory: Path) -> list[tuple[Result, str, int | None]]:
    loaded = load_directory(directory)
    assert not loaded.errors, loaded.errors
    c = get_control(control_id)
    findings = evaluate([PlannedControl(c, dict(c.params))], Inventory(loaded.resources), place=IAC)
    return [(f.result, f.reason, f.origin.line) for f in findings]


@pytest.mark.parametrize(("control_id", "expect"), _cases())
def test_terraform_fixture(control_id: str, expect: str) -> None:
    if not has_control(control_id):
        pytest.skip(f"{control_id} is not in this build")
    got = _results(control_id, TF / control_id / expect)
    results = [g[0] for g in got]
    if expect == "fail":
        assert Result.FAIL in results, got
        assert all(line for res, _, line in got if res == Result.FAIL)
    else:
        assert results and set(results) == {Result.PASS}, got


def test_every_iac_control_has_terraform_fixtures() -> None:
    missing = []
    for c in all_controls():
        if IAC not in c.places or all(t.startswith(NOT_TERRAFORM) for t in c.resource):
            continue
        for kind in ("pass", *(() if c.id in NO_TF_FAIL_FIXTURE else ("fail",))):
            if not (TF / c.id / kind / "main.tf").is_file():
                missing.append(f"{c.id}/{kind}")
    assert not missing, "iac controls without Terraform fixtures: " + ", ".join(missing)

"""AWS FSBP as a third framework, and framework pins that make an item mean what it says.

- every FSBP item maps to catalogue controls or says why it is not implemented (never absent);
- a live scan of one account against CIS 3.0, railguard-baseline and FSBP at once: the AWS-managed
  AdministratorAccess on a break-glass role whose trust requires MFA fails CIS 1.16 (which covers
  attached AWS-managed policies) and passes baseline IAM.11 and FSBP IAM.1 (customer-managed and
  inline only), from one control with two pinned parameter sets;
- the JSON and HTML reports and the HTML framework switch carry all three frameworks.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from railguard import frameworks
from railguard.cli.main import app
from railguard.controls import get_control, has_control
from railguard.engine.plan import build_plan
from railguard.engine.scan import ScanOptions, run_scan
from railguard.model import Result, RunResult
from railguard.report import html, json_report
from railguard.sources.aws import runner

FSBP = "aws-fsbp"
THREE = ["cis-aws-foundations-3.0", "railguard-baseline", FSBP]
MFA_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole",
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}


def test_every_fsbp_item_is_mapped_or_says_why_not() -> None:
    fw = frameworks.load(FSBP)
    ids = [i.id for i in fw.items]
    assert len(ids) == len(set(ids)) and len(ids) >= 280
    for item in fw.items:
        assert item.controls or item.not_implemented, item.id
        assert not (item.controls and item.not_implemented), item.id
        for cid in item.controls:
            assert has_control(cid), f"{item.id}: unknown control {cid}"
    for cid, pins in fw.params.items():
        assert set(pins) <= set(get_control(cid).params), f"{cid} pins a parameter it does not have"
    mapped = {i.id for i in fw.items if i.controls}
    assert {"S3.2", "S3.6", "SNS.4", "SQS.3", "KMS.5", "Lambda.1", "IAM.1"} <= mapped
    assert frameworks.resolve("fsbp")[0].id == FSBP


def test_frameworks_show_lists_not_implemented_items_with_their_reason() -> None:
    result = CliRunner().invoke(app, ["frameworks", "show", "fsbp"])
    assert result.exit_code == 0, result.output
    assert "Lambda.1" in result.output and "lambda.function-policy-exposed" in result.output
    assert "Account.1" in result.output and "NOT IMPLEMENTED: railguard does not read Account" in result.output


@pytest.fixture
def three_framework_run(aws: None, monkeypatch: pytest.MonkeyPatch) -> RunResult:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    monkeypatch.setattr(runner, "discover_regions", lambda session, wanted: list(wanted or ["us-east-1"]))
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(RoleName="break-glass", AssumeRolePolicyDocument=json.dumps(MFA_TRUST))
    iam.attach_role_policy(RoleName="break-glass", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    plan = build_plan(frameworks.resolve(THREE), only_controls=[
        "iam.policy-full-admin", "iam.policy-dangerous-permissions", "iam.privileged-role-trust-mfa",
        "iam.role-trust-exposed"])
    return run_scan(plan, ScanOptions(regions=["us-east-1"], max_workers=4))


def _item(run: RunResult, fw: str, iid: str) -> tuple[Result, str]:
    [item] = [i for i in run.items if i.framework == fw and i.id == iid]
    return item.result, item.reason


def test_one_control_two_pins_each_item_means_what_it_says(three_framework_run: RunResult) -> None:
    run = three_framework_run
    full_admin = [f for f in run.findings if f.control_id == "iam.policy-full-admin"]
    # one control, planned twice: CIS's defaults and the baseline/FSBP pin
    assert {f.params.get("include_aws_managed") for f in full_admin} == {True, False}
    assert _item(run, "cis-aws-foundations-3.0", "1.16")[0] == Result.FAIL
    assert _item(run, "railguard-baseline", "IAM.11")[0] == Result.PASS
    assert _item(run, "railguard-baseline", "IAM.8")[0] == Result.PASS  # the trust requires MFA
    assert _item(run, FSBP, "IAM.1")[0] == Result.PASS
    result, reason = _item(run, FSBP, "Account.1")
    assert result == Result.MANUAL and reason.startswith("not implemented in railguard:")


def test_json_and_html_reports_carry_three_frameworks(three_framework_run: RunResult, tmp_path: Path) -> None:
    run = three_framework_run
    data = json_report.to_dict(run)
    assert [f["id"] for f in data["frameworks"]] == THREE
    fsbp_items = [i for i in data["items"] if i["framework"] == FSBP]
    # items of controls left out by --controls are not part of this run; not-implemented ones always are
    not_implemented = {i.id for i in frameworks.load(FSBP).items if i.not_implemented}
    assert not_implemented <= {i["id"] for i in fsbp_items}
    assert {"IAM.1"} <= {i["id"] for i in fsbp_items}
    account1 = next(i for i in fsbp_items if i["id"] == "Account.1")
    assert account1["result"] == "MANUAL" and "not implemented" in account1["reason"]
    page = html.render(run)
    assert 'id="fw-switch"' in page
    for fid in THREE:
        assert f'data-fw="{fid}"' in page
    (tmp_path / "report.html").write_text(page)

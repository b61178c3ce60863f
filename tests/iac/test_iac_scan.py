"""The IaC scan use case: discovery, kinds, evaluation with place "iac", suppressions, errors,
and one failing and one passing CloudFormation fixture per iac-capable control."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from railguard.controls import IAC, all_controls
from railguard.engine.iac import (
    PARSE_ERROR,
    IacInputError,
    IacOptions,
    baseline_document,
    discover,
    run_iac,
)
from railguard.model import Result, RunResult

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "iac"
CFN = FIXTURES / "cfn"

# Controls whose resource types have no CloudFormation form (the account password policy is
# not a CloudFormation resource) or whose failing case needs site parameters.
NO_CFN_FIXTURE = {
    "iam.password-min-length": "the account password policy is not a CloudFormation resource",
    "iam.password-reuse-prevention": "the account password policy is not a CloudFormation resource",
    "iam.password-policy": "the account password policy is not a CloudFormation resource",
}
NO_CFN_FAIL_FIXTURE = {
    "ec2.vpc-peering-unknown-account": "fails only against the site's owned_accounts parameter",
    "iam.console-access-restricted": "fails only against the site's admins parameter (else MANUAL)",
}


def scan(*paths: Path, **kw: object) -> RunResult:
    """A scan that keeps its PASS findings (these tests read them; a default scan only counts them)."""
    return run_iac(list(paths), IacOptions(**{"show_pass": True, **kw}))  # type: ignore[arg-type]


def results_of(run: RunResult, control_id: str) -> list[Result]:
    return [f.result for f in run.findings if f.control_id == control_id]


def _fixture_cases() -> list[tuple[str, str]]:
    cases = []
    for d in sorted(CFN.iterdir()) if CFN.is_dir() else []:
        for name in ("fail", "pass"):
            if (d / f"{name}.yaml").is_file():
                cases.append((d.name, name))
    return cases


@pytest.mark.parametrize(("control_id", "expect"), _fixture_cases())
def test_control_fixture(control_id: str, expect: str) -> None:
    from railguard.controls import has_control

    if not has_control(control_id):
        pytest.skip(f"{control_id} is not in this build")
    run = scan(CFN / control_id / f"{expect}.yaml", only_controls=[control_id], show_pass=True)
    got = results_of(run, control_id)
    assert not [f for f in run.findings if f.result == Result.ERROR], run.findings
    if expect == "fail":
        assert Result.FAIL in got, [(f.result, f.reason) for f in run.findings]
        failing = [f for f in run.findings if f.result == Result.FAIL]
        assert all(f.origin.file and f.origin.line for f in failing)
    else:
        assert got and set(got) == {Result.PASS}, [(f.result, f.reason) for f in run.findings]


def test_every_iac_control_has_cloudformation_fixtures() -> None:
    """The gap stays visible: an iac-capable control without fixtures is listed here."""
    missing = []
    for c in all_controls():
        if IAC not in c.places or c.id in NO_CFN_FIXTURE:
            continue
        if all(t.startswith("RailGuard::") for t in c.resource):
            continue  # account-level settings: no template form
        d = CFN / c.id
        wanted = ["pass"] + ([] if c.id in NO_CFN_FAIL_FIXTURE else ["fail"])
        for name in wanted:
            if not (d / f"{name}.yaml").is_file():
                missing.append(f"{c.id}/{name}.yaml")
    if missing:
        pytest.xfail("iac-capable controls without CloudFormation fixtures: " + ", ".join(missing))


# --- discovery -------------------------------------------------------------------------------


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "infra" / "nested").mkdir(parents=True)
    (tmp_path / "infra" / "a.yaml").write_text("Resources:\n  B: {Type: AWS::S3::Bucket}\n")
    (tmp_path / "infra" / "nested" / "b.json").write_text('{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')
    (tmp_path / "infra" / "ci.yml").write_text("on: [push]\njobs: {}\n")
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    (tmp_path / "Dockerfile").write_text("FROM python\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "t.yaml").write_text("Resources:\n  B: {Type: AWS::S3::Bucket}\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.yaml").write_text("Resources:\n  B: {Type: AWS::S3::Bucket}\n")
    return tmp_path


def test_discover_kinds_and_excludes(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    targets = discover([root], ["tests/**"])
    rel = {(t.path.relative_to(root).as_posix(), t.kind) for t in targets}
    assert ("infra/a.yaml", "data") in rel
    assert ("infra/nested/b.json", "data") in rel
    assert ("tf", "terraform") in rel
    assert ("Dockerfile", "dockerfile") in rel
    assert not any(p.startswith(("node_modules", "tests")) for p, _ in rel)


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(IacInputError):
        discover([tmp_path / "nope"])


def test_non_templates_in_directories_are_skipped_silently(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    run = scan(root / "infra")
    assert run.meta["files"] == 2
    assert any(s.endswith("ci.yml") for s in run.meta["skipped"])
    assert not [f for f in run.findings if f.result == Result.ERROR]


def test_non_template_given_by_name_is_an_error(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    run = scan(root / "infra" / "ci.yml")
    (err,) = [f for f in run.findings if f.result == Result.ERROR]
    assert err.control_id == PARSE_ERROR and "not a CloudFormation template" in err.reason


def test_run_result_shape_and_origins(tmp_path: Path) -> None:
    run = scan(CFN / "ec2.sg-admin-port-open-to-world" / "fail.yaml")
    assert run.kind == "iac"
    fails = [f for f in run.findings if f.result == Result.FAIL and f.control_id == "ec2.sg-admin-port-open-to-world"]
    assert fails and fails[0].origin.line == 4 and fails[0].origin.file.endswith("fail.yaml")
    item = next(i for i in run.items if i.id == "ec2.sg-admin-port-open-to-world")
    assert item.result == Result.FAIL
    parse_item = next(i for i in run.items if i.id == PARSE_ERROR)
    assert parse_item.result == Result.PASS


def test_same_control_ids_as_the_live_catalogue() -> None:
    run = scan(CFN)
    live_ids = {c.id for c in all_controls()}
    assert {f.control_id for f in run.findings} - {PARSE_ERROR} <= live_ids


# --- the special cases ---------------------------------------------------------------


SPECIAL = """\
Parameters:
  World: {Type: String, Default: "0.0.0.0"}
Mappings:
  Nets: {any: {v4: 0.0.0.0/0}}
Resources:
  AllTraffic:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: all
      SecurityGroupIngress: [{IpProtocol: "-1", CidrIp: 0.0.0.0/0, Description: x}]
  SubCidr:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: sub
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Sub "${World}/0"}]
  MapCidr:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: map
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: !FindInMap [Nets, any, v4]}]
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Admin:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: {Statement: [{Effect: Allow, Action: "*:*", Resource: "*"}]}
"""


def test_cases_other_tools_miss(tmp_path: Path) -> None:
    p = tmp_path / "special.yaml"
    p.write_text(SPECIAL)
    run = scan(p)
    failed = {(f.control_id, f.resource_id) for f in run.findings if f.result == Result.FAIL}
    assert ("ec2.sg-admin-port-open-to-world", "AllTraffic") in failed
    assert ("ec2.sg-admin-port-open-to-world", "SubCidr") in failed
    assert ("ec2.sg-admin-port-open-to-world", "MapCidr") in failed
    assert ("ec2.vpc-flow-logs", "Vpc") in failed
    assert ("iam.policy-full-admin", "Admin") in failed


def test_unknown_parameter_gives_unknown_not_pass(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(
        "Parameters:\n  Cidr: {Type: String}\nResources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n"
        "    Properties:\n      GroupDescription: g\n"
        "      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}]\n"
    )
    run = scan(p, only_controls=["ec2.sg-admin-port-open-to-world"])
    assert results_of(run, "ec2.sg-admin-port-open-to-world") == [Result.UNKNOWN]
    run = scan(p, only_controls=["ec2.sg-admin-port-open-to-world"], params={"Cidr": "0.0.0.0/0"})
    assert results_of(run, "ec2.sg-admin-port-open-to-world") == [Result.FAIL]


# --- suppressions ----------------------------------------------------------------------------


IGNORED = """\
Resources:
  # railguard:ignore ec2.sg-admin-port-open-to-world bastion host, ticket SEC-42
  Bastion:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: bastion
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0, Description: ssh}]
  Bucket:
    Type: AWS::S3::Bucket
    Metadata:
      railguard:
        ignore:
          - {id: "s3.*", reason: scratch bucket for the demo}
"""


def test_inline_ignores_suppress_with_reason_and_can_be_disabled(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(IGNORED)
    run = scan(p)
    sg = [f for f in run.findings if f.control_id == "ec2.sg-admin-port-open-to-world"]
    assert [f.result for f in sg] == [Result.SUPPRESSED]
    assert "SEC-42" in (sg[0].suppressed_by or "")
    s3 = [f for f in run.findings if f.resource_id == "Bucket" and f.control_id.startswith("s3.")]
    assert s3 and all(f.result in (Result.SUPPRESSED, Result.PASS) for f in s3)
    assert any(f.result == Result.SUPPRESSED for f in s3)
    named = scan(p, only_controls=["ec2.sg-admin-port-open-to-world", "ec2.sg-admin-port-open-to-world-ipv4"])
    ipv4 = [f for f in named.findings if f.control_id == "ec2.sg-admin-port-open-to-world-ipv4"]
    assert [f.result for f in ipv4] == [Result.FAIL]  # the ignore names one control only
    off = scan(p, inline_ignores=False)
    assert not [f for f in off.findings if f.result == Result.SUPPRESSED]


def test_baseline_suppresses_existing_findings_only(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(IGNORED)
    first = scan(p, inline_ignores=False)
    doc = baseline_document(first)
    assert doc["findings"] and all(e["fingerprint"] for e in doc["findings"])
    base = tmp_path / "baseline.json"
    base.write_text(json.dumps(doc))
    p.write_text(IGNORED + "  New:\n    Type: AWS::EFS::FileSystem\n")
    second = scan(p, inline_ignores=False, baseline=base)
    fails = [f for f in second.findings if f.result == Result.FAIL]
    assert fails and {f.resource_id for f in fails} == {"New"}
    assert all((f.suppressed_by or "").startswith("baseline") for f in second.findings if f.result == Result.SUPPRESSED)


def test_bad_baseline_is_an_input_error(tmp_path: Path) -> None:
    base = tmp_path / "b.json"
    base.write_text("{not json")
    with pytest.raises(ValueError):
        scan(CFN / "efs.encrypted" / "fail.yaml", baseline=base)


# --- errors ----------------------------------------------------------------------------------


def test_parse_errors_are_error_findings_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("Resources:\n  A:\n    Type: [x\n")
    (tmp_path / "good.yaml").write_text("Resources:\n  F: {Type: AWS::EFS::FileSystem}\n")
    run = scan(tmp_path)
    errors = [f for f in run.findings if f.result == Result.ERROR]
    assert len(errors) == 1 and errors[0].origin.file.endswith("bad.yaml") and errors[0].origin.line
    assert errors[0].control_id == PARSE_ERROR
    assert results_of(run, "efs.encrypted") == [Result.FAIL]
    item = next(i for i in run.items if i.id == PARSE_ERROR)
    assert item.result == Result.UNKNOWN and item.findings


def test_unavailable_loaders_are_noted_not_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import railguard.engine.iac as iac

    monkeypatch.setattr(iac, "_optional", lambda module, name: None)
    root = _tree(tmp_path)
    run = scan(root / "tf", root / "Dockerfile")
    assert not [f for f in run.findings if f.result == Result.ERROR]
    assert len(run.meta["not_scanned"]) == 2 and run.errors


def test_a_crashing_loader_costs_one_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import railguard.engine.iac as iac

    def boom(*args: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(iac, "_optional", lambda module, name: boom)
    root = _tree(tmp_path)
    run = scan(root / "tf", root / "infra")
    errors = [f for f in run.findings if f.result == Result.ERROR]
    assert len(errors) == 1 and "kaput" in errors[0].reason
    assert run.meta["files"] >= 3


def test_terraform_plan_json_is_routed_to_the_plan_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import railguard.engine.iac as iac
    from railguard.sources.loaded import Loaded

    calls: list[tuple[str, str]] = []

    def fake(module: str, name: str) -> object:
        return lambda *a: calls.append((name, str(a[0]))) or Loaded(files=[str(a[0])])

    monkeypatch.setattr(iac, "_optional", fake)
    (tmp_path / "plan.json").write_text('{"format_version": "1.2", "terraform_version": "1.6.0", "planned_values": {}}')
    (tmp_path / "taskdef.json").write_text('{"family": "web", "containerDefinitions": []}')
    scan(tmp_path)
    assert sorted(n for n, _ in calls) == ["load_plan", "load_task_definition"]


def test_pipes_and_devices_are_never_read(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "ok.yaml").write_text("Resources:\n  F: {Type: AWS::EFS::FileSystem}\n")
    run = scan(tmp_path)
    assert run.meta["files"] == 1
    with pytest.raises(IacInputError):
        discover([tmp_path / "pipe.yaml"])


BRANCHES = """\
Parameters:
  Env: {Type: String}
Conditions:
  Prod: !Equals [!Ref Env, prod]
Resources:
  BothPrivate:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: a
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !If [Prod, 10.0.0.0/8, 192.168.0.0/16]}
  BothOpen:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: b
      SecurityGroupIngress:
        - {IpProtocol: !If [Prod, "-1", tcp], FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
  OpenInDev:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: c
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !If [Prod, 10.0.0.0/8, 0.0.0.0/0]}
"""


def test_conditions_left_open_are_decided_when_every_branch_agrees(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(BRANCHES)
    run = scan(p, only_controls=["ec2.sg-admin-port-open-to-world"], show_pass=True)
    got = {f.resource_id: f for f in run.findings}
    assert got["BothPrivate"].result == Result.PASS and "whichever way Prod go" in got["BothPrivate"].reason
    assert got["BothOpen"].result == Result.FAIL
    assert got["OpenInDev"].result == Result.UNKNOWN and "FAIL when Prod=false" in got["OpenInDev"].reason
    dev = scan(p, only_controls=["ec2.sg-admin-port-open-to-world"], params={"Env": "dev"})
    assert {f.resource_id: f.result for f in dev.findings}["OpenInDev"] == Result.FAIL


def test_plan_and_task_definition_are_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan reads a small data file once to tell its kind and hands that text to the loader."""
    import railguard.sources.containers.taskdef as taskdef
    import railguard.sources.terraform.plan as plan

    def no_second_read(*args: object, **kw: object) -> None:
        raise AssertionError("read a second time")

    monkeypatch.setattr(plan, "read_text", no_second_read)
    monkeypatch.setattr(taskdef, "read", no_second_read)
    (tmp_path / "plan.json").write_text(
        '{"format_version": "1.2", "terraform_version": "1.6.0", "planned_values": {"root_module": {"resources": ['
        '{"address": "aws_ebs_volume.v", "type": "aws_ebs_volume", "values": {"encrypted": false}}]}}}'
    )
    (tmp_path / "taskdef.json").write_text('{"family": "web", "containerDefinitions": [{"name": "app", "image": "x"}]}')
    run = scan(tmp_path)
    assert not [f for f in run.findings if f.result == Result.ERROR]
    assert {"aws_ebs_volume.v", "web"} <= {f.resource_id for f in run.findings}


def test_paths_may_be_any_iterable(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text("Resources:\n  F: {Type: AWS::EFS::FileSystem}\n")
    run = run_iac(iter([tmp_path / "ok.yaml"]), IacOptions())
    assert run.meta["files"] == 1 and len(run.meta["paths"]) == 1

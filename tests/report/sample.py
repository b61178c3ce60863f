"""Hand-built runs for the report tests: every result, two frameworks, gaps, hostile strings."""

from __future__ import annotations

from railguard.model import (
    Finding,
    FrameworkInfo,
    Gap,
    ItemResult,
    Origin,
    Result,
    RunResult,
    Severity,
)

CIS = "cis-aws-foundations-3.0"
BASE = "railguard-baseline"
ACCOUNT = "123456789012"
XSS = "<script>alert(1)</script>"
FORMULA = "=HYPERLINK(\"http://evil.example\",\"x\")"
NOTE = "CIS marks this item Manual; railguard checks it automatically and a person should confirm the result."


def _f(control: str, result: Result, rid: str, *, sev: Severity = Severity.HIGH, reason: str = "",
       region: str = "us-east-1", rtype: str = "AWS::EC2::SecurityGroup", name: str | None = None,
       evidence: dict[str, object] | None = None, suppressed_by: str | None = None,
       origin: Origin | None = None, account: str | None = ACCOUNT) -> Finding:
    return Finding(
        control_id=control, title=f"title of {control}", severity=sev, result=result,
        resource_type=rtype, resource_id=rid, reason=reason, evidence=evidence or {},
        account=account, region=region, resource_name=name,
        arn=f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/{rid}" if origin is None else None,
        origin=origin or Origin(account=account, region=region), remediation=f"fix {control}",
        suppressed_by=suppressed_by,
    )


ROOT_KEY = _f("iam.root-access-key", Result.FAIL, "root", rtype="RailGuard::IAM::Root", region="global",
              reason="root has an active access key", evidence={"access_key_1_active": True})
ROOT_MFA = _f("iam.root-mfa", Result.PASS, "root", rtype="RailGuard::IAM::Root", region="global")
HW_MFA = _f("iam.root-hardware-mfa", Result.FAIL, "root", rtype="RailGuard::IAM::Root", region="global",
            sev=Severity.MEDIUM, reason="root MFA is virtual")
SG_XSS = _f("ec2.sg-admin-port-open-to-world", Result.FAIL, "sg-0xss", name=XSS,
            reason=f"port 22 open to 0.0.0.0/0 on {XSS}",
            evidence={"rule": {"CidrIp": "0.0.0.0/0", "FromPort": 22, "Description": 'say "hi" & <b>bye</b>'},
                      "note": "</script><script>alert(2)</script>"})
SG_FORMULA = _f("ec2.sg-admin-port-open-to-world", Result.FAIL, "sg-0formula", name=FORMULA,
                region="eu-west-1", reason="-port 3389 open", evidence={"cmd": "@SUM(1+1)"})
SG_SUPPRESSED = _f("ec2.sg-admin-port-open-to-world", Result.SUPPRESSED, "sg-0bastion", name="bastion",
                   reason="port 22 open to 0.0.0.0/0", suppressed_by="exception bastion-ssh: ticket SEC-42")
SG_OK = _f("ec2.sg-admin-port-open-to-world", Result.PASS, "sg-0ok", name="ok")
S3_UNKNOWN = _f("s3.bucket-public-access-block", Result.UNKNOWN, "logs-bucket", rtype="AWS::S3::Bucket",
                region="us-west-2", reason="could not list AWS::S3::Bucket: AccessDenied")
TRAIL_SUP = _f("cloudtrail.multi-region", Result.SUPPRESSED, "trail-a", rtype="AWS::CloudTrail::Trail",
               sev=Severity.MEDIUM, reason="not multi-region", suppressed_by="baseline accepted 2026-11-01")

GAP = Gap("AWS::S3::Bucket", ACCOUNT, "us-west-2", "AccessDenied: s3:ListAllMyBuckets <denied & logged>")


def _item(fw: str, iid: str, section: str, result: Result, findings: list[Finding], *,
          controls: list[str], sev: Severity | None = Severity.HIGH, reason: str = "", note: str = "",
          assessment: str = "automated", title: str | None = None) -> ItemResult:
    return ItemResult(
        framework=fw, id=iid, title=title or f"Item {iid} of {fw}", section=section, result=result,
        level=1, assessment=assessment, severity=sev, controls=controls, note=note, reason=reason,
        findings=findings,
    )


def live_run() -> RunResult:
    """A live scan over CIS 3.0 and the baseline, with every result and the hostile strings."""
    iam, net, s3, log = "1 Identity and Access Management", "5 Networking", "2.1 Simple Storage Service", "3 Logging"
    items = [
        _item(CIS, "1.1", iam, Result.MANUAL, [], controls=[], sev=None, assessment="manual",
              reason="Check the contact details in the account settings page.", title="Maintain current contact details"),
        _item(CIS, "1.4", iam, Result.FAIL, [ROOT_KEY], controls=["iam.root-access-key"],
              reason=ROOT_KEY.reason, title="Ensure no 'root' user account access key exists"),
        _item(CIS, "1.5", iam, Result.PASS, [ROOT_MFA], controls=["iam.root-mfa"]),
        _item(CIS, "1.6", iam, Result.FAIL, [HW_MFA], controls=["iam.root-hardware-mfa"], sev=Severity.MEDIUM,
              note=NOTE, assessment="manual", reason=HW_MFA.reason),
        _item(CIS, "2.1.4", s3, Result.UNKNOWN, [S3_UNKNOWN], controls=["s3.bucket-public-access-block"],
              reason=S3_UNKNOWN.reason),
        _item(CIS, "3.1", log, Result.SUPPRESSED, [TRAIL_SUP], controls=["cloudtrail.multi-region"],
              sev=Severity.MEDIUM, reason=TRAIL_SUP.reason),
        _item(CIS, "5.2", net, Result.FAIL, [SG_XSS, SG_FORMULA, SG_SUPPRESSED, SG_OK],
              controls=["ec2.sg-admin-port-open-to-world"], reason=SG_XSS.reason),
        _item(BASE, "iam.root-mfa", "IAM", Result.PASS, [ROOT_MFA], controls=["iam.root-mfa"]),
        _item(BASE, "net.admin-ports", "Network", Result.FAIL, [SG_XSS, SG_FORMULA, SG_SUPPRESSED, SG_OK],
              controls=["ec2.sg-admin-port-open-to-world"], reason=SG_XSS.reason),
        _item(BASE, "ci.iac", "CI and automation", Result.MANUAL, [], controls=[], sev=None, assessment="manual",
              reason="Run `railguard iac scan` in CI on every pull request."),
    ]
    findings = [ROOT_KEY, ROOT_MFA, HW_MFA, S3_UNKNOWN, TRAIL_SUP, SG_XSS, SG_FORMULA, SG_SUPPRESSED, SG_OK]
    return RunResult(
        kind="scan",
        started_at="2026-11-24T18:00:00+00:00",
        duration_s=4.25,
        frameworks=[
            FrameworkInfo(CIS, "CIS Amazon Web Services Foundations Benchmark v3.0.0", "3.0.0"),
            FrameworkInfo(BASE, "railguard baseline", "1.0"),
        ],
        items=items,
        findings=findings,
        gaps=[GAP],
        api_calls={"iam.GetCredentialReport": 2, "ec2.DescribeSecurityGroups": 3, "s3.ListBuckets": 1},
        accounts=[ACCOUNT],
        regions=["eu-west-1", "us-east-1", "us-west-2"],
        errors=["region ap-south-1: endpoint unreachable <timeout>"],
        meta={"resources": 42},
    )


def single_framework_run() -> RunResult:
    run = live_run()
    run.frameworks = run.frameworks[:1]
    run.items = run.items_of(CIS)
    return run


def iac_run() -> RunResult:
    """An IaC scan: findings with files and lines, no framework items."""
    def o(file: str, line: int | None) -> Origin:
        return Origin(file=file, line=line)

    findings = [
        _f("ec2.sg-admin-port-open-to-world", Result.FAIL, "WebSG", origin=o("templates/app.yaml", 12),
           account=None, region="", reason="port 22 open to 0.0.0.0/0", evidence={"CidrIp": "0.0.0.0/0"}),
        _f("ec2.sg-admin-port-open-to-world", Result.PASS, "DbSG", origin=o("templates/app.yaml", 40),
           account=None, region=""),
        _f("s3.bucket-encryption", Result.UNKNOWN, "aws_s3_bucket.logs", rtype="AWS::S3::Bucket",
           origin=o("infra/main.tf", 3), account=None, region="", sev=Severity.MEDIUM,
           reason="BucketEncryption is unknown (var.kms_key has no default)"),
        _f("iac.parse-error", Result.ERROR, "broken dir/bad file.yaml", rtype="RailGuard::IaC::File",
           origin=o("broken dir/bad file.yaml", None), account=None, region="", sev=Severity.HIGH,
           reason="mapping values are not allowed here\x07 (line 3)"),
        _f("s3.bucket-versioning", Result.SUPPRESSED, "LogsBucket", rtype="AWS::S3::Bucket",
           origin=o("templates/app.yaml", 60), account=None, region="", sev=Severity.LOW,
           reason="versioning is off", suppressed_by="inline ignore (templates/app.yaml:59): logs are immutable"),
    ]
    return RunResult(kind="iac", started_at="2026-11-24T18:00:00+00:00", duration_s=0.5, findings=findings)

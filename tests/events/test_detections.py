"""Every detection: a firing and a non-firing case on CloudTrail-shaped records; nulls never crash."""

from __future__ import annotations

import json
from typing import Any

import pytest

from railguard.events.detections import EventsConfig, all_rules
from railguard.events.detector import Detector, RuleOverride
from tests.events.records import (
    ACCOUNT,
    OUTSIDE,
    OWNED_OTHER,
    assumed_role,
    console_login,
    console_user,
    ct,
    iam_user,
    instance_role,
    root,
    service,
)

CFG = EventsConfig(
    owned_accounts=frozenset({ACCOUNT, OWNED_OTHER}),
    ci_roles=("arn:aws:iam::*:role/ci-deployer",),
    log_buckets=frozenset({"org-trail-logs"}),
)
CI = assumed_role("ci-deployer", "gh-run-42")


def t(sec: int) -> str:
    return f"2024-05-01T10:{sec // 60:02d}:{sec % 60:02d}Z"


def burst(n: int, make: Any, step: int = 1) -> list[dict[str, Any]]:
    return [make(i, t(i * step)) for i in range(n)]


def trust(account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                               "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]})


def bucket_policy(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Sid": "x", "Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                          "Resource": "arn:aws:s3:::data/*"}
    if condition:
        st["Condition"] = condition
    return {"bucketName": "data", "Host": "data.s3.amazonaws.com", "policy": "",
            "bucketPolicy": {"Version": "2012-10-17", "Statement": [st]}}


def selectors(mgmt: bool, rw: str = "All") -> dict[str, Any]:
    return {"trailName": "main", "eventSelectors": [
        {"readWriteType": rw, "includeManagementEvents": mgmt, "dataResources": [], "excludeManagementEventSources": []}]}


def share(kind: str, grantee: dict[str, str]) -> dict[str, Any]:
    if kind == "snapshot":
        return {"snapshotId": "snap-0123456789abcdef0", "attributeType": "CREATE_VOLUME_PERMISSION",
                "createVolumePermission": {"add": {"items": [grantee]}}}
    return {"imageId": "ami-0123456789abcdef0", "attributeType": "launchPermission",
            "launchPermission": {"add": {"items": [grantee]}}}


def denied(i: int, when: str, who: dict[str, Any] | None = None) -> dict[str, Any]:
    return ct("DescribeInstances", "ec2", who=who or iam_user("mallory"), error="Client.UnauthorizedOperation",
              time=when, read_only=True)


# rule id -> (records that fire it, records that must not)
CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "root.console-login": (
        [console_login(root(), mfa="Yes")],
        [console_login(iam_user(), mfa="Yes"), console_login(root(), ok=False)],
    ),
    "root.access-key-used": (
        [ct("ListBuckets", "s3", who=root("AKIAROOTKEYEXAMPLE11"), read_only=True)],
        # railguard:allow a made-up temporary key id: the shape of a root console session
        [ct("ListBuckets", "s3", who=root("ASIAROOTCONSOLEEXAMP"), read_only=True),
         ct("ListBuckets", "s3", who=iam_user(), read_only=True)],
    ),
    "signin.console-login-without-mfa": (
        [console_login(console_user("carol"), mfa="No")],
        [console_login(console_user("carol"), mfa="Yes"), console_login(assumed_role("sso-admin"), mfa="No"),
         console_login(console_user("carol"), ok=False, mfa="No")],
    ),
    "signin.failed-login-burst": (
        burst(5, lambda i, w: console_login(iam_user("HIDDEN_DUE_TO_SECURITY_REASONS"), ok=False, time=w), 10),
        burst(4, lambda i, w: console_login(iam_user("dave"), ok=False, time=w), 10)
        + [console_login(iam_user("dave"), ok=False, time=t(400 + i * 400)) for i in range(5)],
    ),
    "iam.access-denied-burst": (
        burst(10, denied, 5),
        burst(9, denied, 5) + burst(10, lambda i, w: denied(i, w, service()), 1),
    ),
    "iam.user-created": (
        [ct("CreateUser", "iam", request={"userName": "backdoor"},
            response={"user": {"userName": "backdoor", "userId": "AIDAEXAMPLE", "arn": "x", "path": "/"}})],
        [ct("CreateUser", "iam", who=CI, request={"userName": "svc"}),
         ct("CreateUser", "iam", request={"userName": "x"}, error="AccessDenied")],
    ),
    "iam.credentials-for-another-user": (
        [ct("CreateAccessKey", "iam", who=iam_user("alice"), request={"userName": "bob"},
            response={"accessKey": {"userName": "bob", "accessKeyId": "AKIANEWKEYEXAMPLE123", "status": "Active"}}),
         ct("CreateLoginProfile", "iam", who=assumed_role("helpdesk"), request={"userName": "bob",
                                                                              "passwordResetRequired": False})],
        [ct("CreateAccessKey", "iam", who=iam_user("alice"), request={"userName": "alice"}),
         ct("CreateAccessKey", "iam", who=iam_user("alice"), request=None)],
    ),
    "iam.admin-granted": (
        [ct("AttachUserPolicy", "iam", request={"userName": "bob",
                                                "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
         ct("PutRolePolicy", "iam", request={"roleName": "app", "policyName": "all", "policyDocument": json.dumps(
             {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})}),
         ct("AddUserToGroup", "iam", request={"groupName": "Admins", "userName": "bob"})],
        [ct("AttachUserPolicy", "iam", request={"userName": "bob",
                                                "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
         ct("AddUserToGroup", "iam", request={"groupName": "developers", "userName": "bob"}),
         ct("AttachRolePolicy", "iam", who=CI, request={"roleName": "x",
                                                        "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})],
    ),
    "iam.role-trusts-outside-account": (
        [ct("UpdateAssumeRolePolicy", "iam", request={"roleName": "audit", "policyDocument": trust(OUTSIDE)})],
        [ct("UpdateAssumeRolePolicy", "iam", request={"roleName": "audit", "policyDocument": trust(OWNED_OTHER)}),
         ct("CreateRole", "iam", request={"roleName": "svc", "assumeRolePolicyDocument": json.dumps(
             {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                             "Action": "sts:AssumeRole"}]})})],
    ),
    "cloudtrail.logging-stopped": (
        [ct("StopLogging", "cloudtrail", request={"name": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main"})],
        [ct("StartLogging", "cloudtrail", request={"name": "main"}),
         ct("StopLogging", "cloudtrail", request={"name": "main"}, error="AccessDenied")],
    ),
    "cloudtrail.trail-deleted": (
        [ct("DeleteTrail", "cloudtrail", request={"name": "main"})],
        [ct("DeleteTrail", "cloudtrail", request={"name": "main"}, error="TrailNotFoundException")],
    ),
    "cloudtrail.trail-weakened": (
        [ct("UpdateTrail", "cloudtrail", request={"name": "main", "isMultiRegionTrail": False}),
         ct("PutEventSelectors", "cloudtrail", request=selectors(False)),
         ct("PutEventSelectors", "cloudtrail", request=selectors(True, "WriteOnly")),
         ct("PutBucketLifecycle", "s3", request={"bucketName": "org-trail-logs", "lifecycle": "",
                                                 "LifecycleConfiguration": {"Rule": {"Expiration": {"Days": 1}}}})],
        [ct("UpdateTrail", "cloudtrail", request={"name": "main", "isMultiRegionTrail": True}),
         ct("PutEventSelectors", "cloudtrail", request=selectors(True)),
         ct("PutBucketLifecycle", "s3", request={"bucketName": "app-data", "lifecycle": ""})],
    ),
    "config.recorder-stopped": (
        [ct("StopConfigurationRecorder", "config", request={"configurationRecorderName": "default"})],
        [ct("StartConfigurationRecorder", "config", request={"configurationRecorderName": "default"})],
    ),
    "guardduty.detector-disabled": (
        [ct("DeleteDetector", "guardduty", request={"detectorId": "12abc34d567e8fa901bc2d34e56789f0"}),
         ct("UpdateDetector", "guardduty", request={"detectorId": "12abc", "enable": False})],
        [ct("UpdateDetector", "guardduty", request={"detectorId": "12abc", "enable": True,
                                                    "findingPublishingFrequency": "SIX_HOURS"}),
         ct("DeleteDetector", "frauddetector", request={"detectorId": "x"})],
    ),
    "ec2.flow-logs-deleted": (
        [ct("DeleteFlowLogs", "ec2", request={"DeleteFlowLogsRequest": {"FlowLogId": {"tag": 1,
                                                                                      "content": "fl-0abc"}}})],
        [ct("DeleteFlowLogs", "ec2", request={"DeleteFlowLogsRequest": {"FlowLogId": {"tag": 1, "content": "x"}}},
            error="Client.UnauthorizedOperation")],
    ),
    "kms.key-disabled-or-deleted": (
        [ct("ScheduleKeyDeletion", "kms", request={"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
                                                   "pendingWindowInDays": 7}),
         ct("DisableKey", "kms", request={"keyId": "1234abcd"})],
        [ct("EnableKey", "kms", request={"keyId": "1234abcd"})],
    ),
    "kms.decrypt-burst": (
        burst(200, lambda i, w: ct("Decrypt", "kms", who=iam_user("exfil"), time=w, read_only=True,
                                   request={"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}), 0),
        burst(199, lambda i, w: ct("Decrypt", "kms", who=iam_user("app"), time=w, read_only=True), 0)
        + burst(250, lambda i, w: ct("Decrypt", "kms", who=service("s3.amazonaws.com"), time=w), 0),
    ),
    "ec2.snapshot-shared": (
        [ct("ModifySnapshotAttribute", "ec2", request=share("snapshot", {"group": "all"})),
         ct("ModifySnapshotAttribute", "ec2", request=share("snapshot", {"userId": OUTSIDE}))],
        [ct("ModifySnapshotAttribute", "ec2", request=share("snapshot", {"userId": OWNED_OTHER}))],
    ),
    "ec2.ami-shared": (
        [ct("ModifyImageAttribute", "ec2", request=share("image", {"group": "all"}))],
        [ct("ModifyImageAttribute", "ec2", request=share("image", {"userId": OWNED_OTHER}))],
    ),
    "rds.snapshot-shared": (
        [ct("ModifyDBSnapshotAttribute", "rds", request={"dBSnapshotIdentifier": "db-snap", "attributeName": "restore",
                                                         "valuesToAdd": ["all"]}),
         ct("ModifyDBClusterSnapshotAttribute", "rds", request={
             "dBClusterSnapshotIdentifier": "c", "attributeName": "restore", "valuesToAdd": [OUTSIDE]})],
        [ct("ModifyDBSnapshotAttribute", "rds", request={"dBSnapshotIdentifier": "db-snap",
                                                         "attributeName": "restore", "valuesToAdd": [OWNED_OTHER]})],
    ),
    "s3.bucket-policy-grants-outside": (
        [ct("PutBucketPolicy", "s3", request=bucket_policy("*")),
         ct("PutBucketPolicy", "s3", request=bucket_policy({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}))],
        [ct("PutBucketPolicy", "s3", request=bucket_policy("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})),
         ct("PutBucketPolicy", "s3", request=bucket_policy({"Service": "cloudtrail.amazonaws.com"}))],
    ),
    "lambda.permission-outside": (
        [ct("AddPermission20150331v2", "lambda", request={"functionName": "fn", "statementId": "s",
                                                          "action": "lambda:InvokeFunction", "principal": "*"}),
         ct("AddPermission20150331v2", "lambda", request={"functionName": "fn", "statementId": "s",
                                                          "action": "lambda:InvokeFunction", "principal": OUTSIDE})],
        [ct("AddPermission20150331v2", "lambda", request={"functionName": "fn", "statementId": "s",
                                                          "action": "lambda:InvokeFunction",
                                                          "principal": "s3.amazonaws.com", "sourceAccount": ACCOUNT})],
    ),
    "ec2.get-password-data": (
        [ct("GetPasswordData", "ec2", request={"instanceId": "i-0abc"}, read_only=True)],
        [ct("GetPasswordData", "ec2", request={"instanceId": "i-0abc"}, read_only=True,
            error="Client.UnauthorizedOperation")],
    ),
    "ssm.command-by-unusual-principal": (
        [ct("SendCommand", "ssm", request={"documentName": "AWS-RunShellScript", "instanceIds": ["i-0abc"]})],
        [ct("StartSession", "ssm", who=assumed_role("ops-oncall"), request={"target": "i-0abc"})],
    ),
    "secrets.retrieval-burst": (
        burst(20, lambda i, w: ct("GetSecretValue", "secretsmanager", request={"secretId": f"prod/db{i}"},
                                  time=w, read_only=True), 2),
        burst(25, lambda i, w: ct("GetParameter", "ssm", request={"name": f"/cfg/{i}", "withDecryption": False},
                                  time=w, read_only=True), 2),
    ),
    "s3.mass-deletion": (
        [ct("DeleteObjects", "s3", request={"bucketName": "data", "delete": {
            "Object": [{"Key": f"k{i}"} for i in range(150)], "Quiet": True}}, eventCategory="Data")],
        burst(50, lambda i, w: ct("DeleteObject", "s3", request={"bucketName": "data", "key": f"k{i}"},
                                  time=w, eventCategory="Data"), 1),
    ),
    "organizations.account-left": (
        [ct("LeaveOrganization", "organizations", request=None),
         ct("LeaveOrganization", "organizations", request=None, error="AccessDenied")],
        [ct("LeaveOrganization", "organizations", request=None, error="ConstraintViolationException")],
    ),
    "ec2.instance-credentials-outside": (
        [ct("ListBuckets", "s3", who=instance_role(), ip="54.240.197.10", time=t(0), read_only=True),
         ct("ListBuckets", "s3", who=instance_role(), ip="203.0.113.99", time=t(60), read_only=True)],
        [ct("ListBuckets", "s3", who=instance_role(), ip="54.240.197.10", time=t(0), read_only=True),
         ct("ListBuckets", "s3", who=instance_role(), ip="10.0.1.23", time=t(5), read_only=True),
         ct("ListBuckets", "s3", who=instance_role(), ip="203.0.113.99", time=t(9), read_only=True,
            vpcEndpointId="vpce-0abc"),
         ct("ListBuckets", "s3", who=instance_role(), ip="54.240.197.10", time=t(60), read_only=True)],
    ),
    "iam.access-key-many-ips": (
        [ct("ListBuckets", "s3", ip=ip, time=t(i * 30), read_only=True)
         for i, ip in enumerate(["198.51.100.7", "203.0.113.5", "192.0.2.77"])],
        [ct("ListBuckets", "s3", ip=ip, time=t(i * 400), read_only=True)
         for i, ip in enumerate(["198.51.100.7", "203.0.113.5", "192.0.2.77"])]
        + [ct("ListBuckets", "s3", who=assumed_role(), ip=ip, time=t(i), read_only=True)
           for i, ip in enumerate(["198.51.100.1", "198.51.100.2", "198.51.100.3"])],
    ),
    "change.security-group": (
        [ct("AuthorizeSecurityGroupIngress", "ec2", request={"groupId": "sg-0abc", "ipPermissions": {"items": []}})],
        [ct("AuthorizeSecurityGroupIngress", "ec2", who=CI, request={"groupId": "sg-0abc"}),
         ct("DescribeSecurityGroups", "ec2", read_only=True)],
    ),
    "change.network-acl": ([ct("CreateNetworkAclEntry", "ec2", request={"networkAclId": "acl-1"})],
                           [ct("CreateNetworkAclEntry", "ec2", request={"networkAclId": "acl-1"}, error="Client.X")]),
    "change.network-gateway": ([ct("AttachInternetGateway", "ec2", request={"internetGatewayId": "igw-1"})],
                               [ct("DescribeInternetGateways", "ec2", read_only=True)]),
    "change.route-table": ([ct("CreateRoute", "ec2", request={"routeTableId": "rtb-1"})],
                           [ct("CreateRoute", "ec2", who=CI, request={"routeTableId": "rtb-1"})]),
    "change.vpc": ([ct("CreateVpc", "ec2", request={"cidrBlock": "10.9.0.0/16"})],
                   [ct("DescribeVpcs", "ec2", read_only=True)]),
    "change.bucket-policy": ([ct("DeleteBucketPolicy", "s3", request={"bucketName": "data"})],
                             [ct("GetBucketPolicy", "s3", request={"bucketName": "data"}, read_only=True)]),
    "change.organizations": ([ct("MoveAccount", "organizations", request={"accountId": OWNED_OTHER})],
                             [ct("ListAccounts", "organizations", read_only=True)]),
    "change.iam-policy": ([ct("CreatePolicyVersion", "iam", request={"policyArn": "arn:aws:iam::1:policy/p"})],
                          [ct("CreatePolicy", "iot", request={"policyName": "p"})]),
    "change.cloudtrail": ([ct("StartLogging", "cloudtrail", request={"name": "main"})],
                          [ct("DescribeTrails", "cloudtrail", read_only=True)]),
    "change.config": ([ct("PutDeliveryChannel", "config", request={"deliveryChannel": {"name": "default"}})],
                      [ct("DescribeDeliveryChannels", "config", read_only=True)]),
}

PROD = EventsConfig(owned_accounts=CFG.owned_accounts, ci_roles=CFG.ci_roles,
                    production_accounts=frozenset({ACCOUNT}))


# the operators who may open sessions: what makes another principal "unusual"
OVERRIDES = {"ssm.command-by-unusual-principal": RuleOverride(allow=("arn:aws:iam::*:role/ops-oncall",))}


def run(records: list[dict[str, Any]], cfg: EventsConfig = CFG, only: str | None = None) -> list[Any]:
    rules = [r for r in all_rules() if only is None or r.id == only]
    det = Detector(cfg, OVERRIDES, rules=rules)
    return [d for rec in records for d in det.process(rec)]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires(rule_id: str) -> None:
    firing, _ = CASES[rule_id]
    found = run(firing, only=rule_id)
    assert found, f"{rule_id} did not fire"
    d = found[0]
    assert d.rule == rule_id and d.summary and d.event_ids
    assert set(d.event_ids) <= {r["eventID"] for r in firing}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_quiet(rule_id: str) -> None:
    _, quiet = CASES[rule_id]
    for rec in quiet:  # each alone, and all together
        assert run([rec], only=rule_id) == [], rec["eventName"]
    assert run(quiet, only=rule_id) == []


def test_every_rule_has_cases() -> None:
    ids = {r.id for r in all_rules()}
    assert ids - set(CASES) == {"change.outside-pipeline"}  # tested below with a production config
    assert len(ids) >= 30


def test_change_outside_pipeline() -> None:
    change = ct("ModifyDBInstance", "rds", who=assumed_role("dba", "erin"), request={"dBInstanceIdentifier": "db1"})
    again = dict(change, eventID="ev-again", eventTime="2024-05-01T10:10:00Z")
    found = run([change, again], PROD, "change.outside-pipeline")
    assert len(found) == 1 and "pipeline" in found[0].summary  # once per principal and event per window
    assert run([ct("ModifyDBInstance", "rds", who=CI, request={})], PROD, "change.outside-pipeline") == []
    assert run([ct("DescribeDBInstances", "rds", who=assumed_role("dba"), read_only=True)], PROD,
               "change.outside-pipeline") == []
    assert run([change], CFG, "change.outside-pipeline") == []  # no production accounts configured
    other = ct("ModifyDBInstance", "rds", who=assumed_role("dba"), account=OWNED_OTHER, request={})
    assert run([other], PROD, "change.outside-pipeline") == []


def test_detection_carries_principal_ip_key_technique() -> None:
    rec = ct("ListBuckets", "s3", who=root("AKIAROOTKEYEXAMPLE11"), ip="203.0.113.50", read_only=True)
    (d,) = run([rec], only="root.access-key-used")
    out = d.to_dict()
    assert out["principal"] == {"arn": f"arn:aws:iam::{ACCOUNT}:root", "access_key_id": "AKIAROOTKEYEXAMPLE11"}
    assert out["source_ip"] == "203.0.113.50" and out["technique"] == "T1078.004"
    assert out["event_ids"] == [rec["eventID"]] and out["severity"] == "critical"


def test_allow_list_and_threshold_from_config() -> None:
    overrides = {"signin.failed-login-burst": RuleOverride(threshold=2, window=60),
                 "iam.user-created": RuleOverride(allow=("arn:aws:iam::*:user/alice",))}
    det = Detector(CFG, overrides)
    fails = [console_login(iam_user("x"), ok=False, time=t(i)) for i in range(2)]
    assert any(d.rule == "signin.failed-login-burst" for r in fails for d in det.process(r))
    assert not det.process(ct("CreateUser", "iam", request={"userName": "svc"}))  # alice is allowed
    disabled = Detector(CFG, {"root.console-login": RuleOverride(enabled=False)})
    assert "root.console-login" not in disabled.contexts


def test_unknown_rule_in_config_is_an_error() -> None:
    from railguard.events.detector import DetectionConfigError

    with pytest.raises(DetectionConfigError, match="nope"):
        Detector(CFG, {"nope": RuleOverride()})


def test_burst_fires_once_per_threshold() -> None:
    found = run(burst(25, denied, 1), only="iam.access-denied-burst")
    assert len(found) == 2  # 10 and 20, not every record past 10


def _nulled(rec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key in ("userIdentity", "requestParameters", "responseElements", "sourceIPAddress", "eventID",
                "additionalEventData", "recipientAccountId", "readOnly"):
        out.append({**rec, key: None})
        out.append({k: v for k, v in rec.items() if k != key})
    out.append({**rec, "userIdentity": {"type": None, "arn": None, "sessionContext": None}})
    out.append({**rec, "requestParameters": {k: None for k in (rec.get("requestParameters") or {"x": 1})}})
    out.append({**rec, "requestParameters": "not-an-object"})
    return out


def test_missing_and_null_fields_never_crash() -> None:
    det = Detector(PROD)
    n = 0
    for firing, quiet in CASES.values():
        for rec in firing[:2] + quiet[:2]:
            for variant in _nulled(rec):
                det.process(variant)
                n += 1
    assert n > 500


def test_state_round_trips_through_json() -> None:
    det = Detector(CFG)
    for r in burst(7, denied, 1):
        det.process(r)
    state = json.loads(json.dumps(det.save()))
    again = Detector(CFG)
    again.restore(state)
    found = [d for r in burst(3, denied, 1) for d in again.process(r)]
    assert [d.rule for d in found] == ["iam.access-denied-burst"]  # 7 before the restart + 3 after


def test_association_by_a_user_teaches_the_instance_address() -> None:
    """`AssociateAddress` routes to the instance-credentials rule's learner whoever calls it (here an
    IAM user, whose records never reach the rule itself): the instance's own address then stays quiet."""
    assoc = ct("AssociateAddress", "ec2", who=iam_user(), time=t(0),
               request={"instanceId": "i-0abc1234def567890", "publicIp": "203.0.113.99"})
    from_own = ct("ListBuckets", "s3", who=instance_role(), ip="203.0.113.99", time=t(30), read_only=True)
    from_other = ct("ListBuckets", "s3", who=instance_role(), ip="198.51.100.200", time=t(60), read_only=True)
    only = "ec2.instance-credentials-outside"
    assert run([assoc, from_own], only=only) == []
    assert [d.event_ids for d in run([assoc, from_other], only=only)] == [(from_other["eventID"],)]
    failed = {**assoc, "errorCode": "Client.InvalidAllocationID.NotFound"}
    assert run([failed, from_other], only=only) == []  # not learned: the first address seen is taken as own


def test_routing_by_identity_and_error_keeps_every_detection() -> None:
    """Rules that read every record are routed by identity type and errorCode: a denial reaches the
    denial burst, a success does not; a record without an identity type still reaches every rule."""
    det = Detector(CFG, OVERRIDES)
    ok = ct("ListBuckets", "s3", read_only=True)
    no_type = {**ok, "userIdentity": {"arn": "arn:aws:iam::111122223333:root", "accessKeyId": "AKIAROOTEXAMPLE0001"}}
    routed = {r: {c.rule.id for _, c in det._route(r)} for r in (
        ("ListBuckets", "s3.amazonaws.com", "IAMUser", False), ("ListBuckets", "s3.amazonaws.com", "IAMUser", True),
        ("ListBuckets", "s3.amazonaws.com", None, False))}
    assert "iam.access-denied-burst" not in routed[("ListBuckets", "s3.amazonaws.com", "IAMUser", False)]
    assert "iam.access-denied-burst" in routed[("ListBuckets", "s3.amazonaws.com", "IAMUser", True)]
    assert "root.access-key-used" not in routed[("ListBuckets", "s3.amazonaws.com", "IAMUser", False)]
    assert {"root.access-key-used", "ec2.instance-credentials-outside"} <= routed[
        ("ListBuckets", "s3.amazonaws.com", None, False)]
    assert det.process(no_type) == []  # reached the root rule, which needs type Root: quiet, no crash
    found = [d.rule for r in burst(10, denied, 1) for d in det.process(r)]
    assert found == ["iam.access-denied-burst"]


def test_learned_instance_addresses_are_bounded_by_the_window() -> None:
    """What the rule remembers is forgotten after a window without a call: memory follows the window,
    not the stream's length; an instance idle for longer than the window is learned afresh."""
    det = Detector(CFG, rules=[r for r in all_rules() if r.id == "ec2.instance-credentials-outside"])
    ctx = det.contexts["ec2.instance-credentials-outside"]
    day = 86400
    for i in range(20_000):  # one new instance a minute for about two weeks
        sec = i * 60
        when = f"2024-05-{1 + sec // day:02d}T{sec % day // 3600:02d}:{sec % 3600 // 60:02d}:00Z"
        det.process(ct("ListBuckets", "s3", who=instance_role(f"i-{i:017x}"), ip="54.240.197.10", time=when,
                       read_only=True))
    assert len(ctx.state["instance_ip"]) < 1440 + 4096 + 10  # one day of instances, plus one sweep period
    late = ct("ListBuckets", "s3", who=instance_role(f"i-{0:017x}"), ip="203.0.113.99", time="2024-05-20T00:00:00Z",
              read_only=True)
    assert det.process(late) == []  # a fortnight idle: its address is learned again, not compared


def test_a_call_reading_many_secrets_counts_each() -> None:
    """Two `GetParameters` calls decrypting 10 parameters each are 20 reads: the burst threshold."""
    names = [f"/prod/db/{i}" for i in range(10)]
    calls = [ct("GetParameters", "ssm", request={"names": names, "withDecryption": True}, time=t(i), read_only=True)
             for i in range(2)]
    assert [d.rule for d in run(calls, only="secrets.retrieval-burst")] == ["secrets.retrieval-burst"]
    assert run(calls[:1], only="secrets.retrieval-burst") == []
    batch = ct("BatchGetSecretValue", "secretsmanager", request={"filters": [{"key": "tag-key", "values": ["x"]}]},
               read_only=True)
    assert [d.rule for d in run([batch], only="secrets.retrieval-burst")] == ["secrets.retrieval-burst"]

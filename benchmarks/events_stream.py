"""A generated CloudTrail stream for `benchmarks/events.py`: benign traffic and planted incidents.

Benign traffic is what a quiet organization looks like: engineers reading from an office
address with their keys, console logins with MFA, a CI role that deploys in bursts (security
groups, bucket policies, roles, instances: dozens of changes a minute, all expected), app
instances reading S3 and decrypting through KMS from their own address, services acting for
callers, Lambda reading secrets at a normal rate, operators opening SSM sessions, and the odd
denied call. Planted incidents are one or more per detection, each with known event ids.
Everything is seeded: the same arguments give the same stream.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ACCOUNTS = ("111122223333", "222233334444", "333344445555")  # the organization (owned)
PROD = "111122223333"
OUTSIDE = "999988887777"
REGIONS = ("us-east-1", "eu-west-1")
OFFICE_IPS = ("198.51.100.10", "198.51.100.11")
CI_IPS = ("192.0.2.50",)
START = datetime(2024, 5, 1, tzinfo=UTC)

CONFIG = f"""\
events:
  owned_accounts: [{', '.join(f'"{a}"' for a in ACCOUNTS)}]
  production_accounts: ["{PROD}"]
  ci_roles: ["arn:aws:iam::*:role/ci-deployer"]
  log_buckets: [org-trail-logs]
  detections:
    ssm.command-by-unusual-principal: {{allow: ["arn:aws:iam::*:role/ops-oncall"]}}
    kms.decrypt-burst: {{allow: ["arn:aws:iam::*:role/batch-etl"]}}
"""


def _user(name: str, account: str, key: str) -> dict[str, Any]:
    return {"type": "IAMUser", "principalId": f"AIDA{name.upper():0<16}"[:21], "accountId": account,
            "arn": f"arn:aws:iam::{account}:user/{name}", "accessKeyId": key, "userName": name}


def _role(role: str, session: str, account: str, ec2: bool = False) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": f"arn:aws:iam::{account}:role/{role}",
                          "accountId": account, "userName": role},
        "webIdFederationData": {}, "attributes": {"creationDate": "2024-05-01T00:00:00Z",
                                                  "mfaAuthenticated": "false"}}
    if ec2:
        ctx["ec2RoleDelivery"] = "2.0"
    return {"type": "AssumedRole", "principalId": f"AROAEXAMPLE:{session}", "accountId": account,
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}", "accessKeyId": "ASIAEXAMPLESESSION01",
            "sessionContext": ctx}


def _root(account: str, key: str = "") -> dict[str, Any]:
    return {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account,
            "accessKeyId": key}


@dataclass
class Stream:
    rng: random.Random
    n: int = 0

    def rec(self, t: datetime, event: str, source: str, who: dict[str, Any], account: str, region: str,
            ip: str, request: Any = None, response: Any = None, error: str | None = None,
            read_only: bool = False, eid: str | None = None, **extra: Any) -> dict[str, Any]:
        self.n += 1
        r: dict[str, Any] = {
            "eventVersion": "1.09", "userIdentity": who, "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": f"{source}.amazonaws.com", "eventName": event, "awsRegion": region,
            "sourceIPAddress": ip, "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
            "requestParameters": request, "responseElements": response,
            "requestID": f"req-{self.n:09d}", "eventID": eid or f"ev-{self.n:09d}", "readOnly": read_only,
            "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": account,
            "eventCategory": "Management",
        }
        if error:
            r["errorCode"] = error
            r["errorMessage"] = "You are not authorized to perform this operation."
        r.update(extra)
        return r


def benign(s: Stream, t: datetime) -> list[dict[str, Any]]:
    """One benign record (or a CI burst) at about time `t`."""
    rng = s.rng
    account = rng.choice(ACCOUNTS)
    region = rng.choice(REGIONS)
    roll = rng.random()
    if roll < 0.30:  # engineers reading
        name = rng.choice(("alice", "bob", "carol", "dave"))
        ev = rng.choice(("DescribeInstances", "DescribeSecurityGroups", "ListBuckets", "GetBucketPolicy",
                         "DescribeTrails", "ListUsers", "DescribeDBInstances"))
        src = {"ListBuckets": "s3", "GetBucketPolicy": "s3", "DescribeTrails": "cloudtrail", "ListUsers": "iam",
               "DescribeDBInstances": "rds"}.get(ev, "ec2")
        key = f"AKIA{name.upper():X<16}"
        err = "AccessDenied" if rng.random() < 0.01 else None
        return [s.rec(t, ev, src, _user(name, account, key), account, region, rng.choice(OFFICE_IPS),
                      request={"maxResults": 100}, read_only=True, error=err)]
    if roll < 0.55:  # app instances: S3 reads and KMS decrypts from their own address
        inst = f"i-0{rng.randrange(40):016x}"
        ip = f"54.240.{int(inst[-2:], 16) % 250}.{int(inst[-4:-2], 16) % 250 + 1}"
        who = _role("app-server", inst, account, ec2=True)
        if rng.random() < 0.5:
            return [s.rec(t, "GetObject", "s3", who, account, region, ip, read_only=True,
                          request={"bucketName": "app-assets", "key": f"img/{rng.randrange(10**6)}.png"},
                          eventCategory="Data", managementEvent=False)]
        return [s.rec(t, "Decrypt", "kms", who, account, region, rng.choice((ip, "10.0.3.17")), read_only=True,
                      request={"encryptionAlgorithm": "SYMMETRIC_DEFAULT"})]
    if roll < 0.70:  # AWS services acting for callers
        svc = rng.choice(("cloudformation.amazonaws.com", "autoscaling.amazonaws.com", "s3.amazonaws.com"))
        ev = rng.choice(("Decrypt", "GenerateDataKey", "AssumeRole", "CreateNetworkInterface"))
        src = {"AssumeRole": "sts", "CreateNetworkInterface": "ec2"}.get(ev, "kms")
        return [s.rec(t, ev, src, {"type": "AWSService", "invokedBy": svc}, account, region, svc,
                      read_only=ev != "CreateNetworkInterface", eventType="AwsApiCall")]
    if roll < 0.80:  # lambda functions reading their secrets and parameters
        fn = rng.choice(("orders", "billing", "search"))
        who = _role(f"lambda-{fn}", fn, account)
        if rng.random() < 0.5:
            return [s.rec(t, "GetSecretValue", "secretsmanager", who, account, region, "3.80.1.2",
                          request={"secretId": f"prod/{fn}/db"}, read_only=True)]
        return [s.rec(t, "GetParameter", "ssm", who, account, region, "3.80.1.2",
                      request={"name": f"/{fn}/cfg", "withDecryption": True}, read_only=True)]
    if roll < 0.84:  # console logins with MFA, operators on SSM, batch KMS work (allow-listed)
        pick = rng.random()
        if pick < 0.4:
            name = rng.choice(("alice", "bob"))
            who = _user(name, account, "")
            return [s.rec(t, "ConsoleLogin", "signin", who, account, "us-east-1", rng.choice(OFFICE_IPS),
                          response={"ConsoleLogin": "Success"}, eventType="AwsConsoleSignIn",
                          additionalEventData={"MFAUsed": "Yes", "MobileVersion": "No"})]
        if pick < 0.97:
            return [s.rec(t, "StartSession", "ssm", _role("ops-oncall", "erin", account), account, region,
                          rng.choice(OFFICE_IPS), request={"target": "i-0123"})]
        who = _role("batch-etl", "etl", account)  # a nightly batch: a normal burst of decrypts, allow-listed
        return [s.rec(t + timedelta(milliseconds=k * 50), "Decrypt", "kms", who, account, region, "10.0.9.9",
                      read_only=True) for k in range(250)]
    if roll < 0.86:  # a CI deploy: a burst of changes by the pipeline role, in every account
        who = _role("ci-deployer", f"gh-run-{rng.randrange(10**5)}", account)
        out = []
        for k in range(rng.randrange(20, 80)):
            ev, src, req = rng.choice((
                ("AuthorizeSecurityGroupIngress", "ec2", {"groupId": f"sg-0{rng.randrange(10**6):016x}"}),
                ("PutBucketPolicy", "s3", {"bucketName": "app-assets", "bucketPolicy": {"Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS[1]}:root"},
                    "Action": "s3:GetObject", "Resource": "*"}]}}),
                ("CreateRole", "iam", {"roleName": f"svc-{k}"}),
                ("RunInstances", "ec2", {"instancesSet": {"items": [{"imageId": "ami-1"}]}}),
                ("CreateRoute", "ec2", {"routeTableId": "rtb-1"}),
                ("UpdateFunctionConfiguration20150331v2", "lambda", {"functionName": "orders"}),
            ))
            out.append(s.rec(t + timedelta(seconds=k), ev, src, who, account, region, CI_IPS[0], request=req))
        return out
    # the rest: reads by roles over the console in non-production accounts, changes outside prod
    acct = rng.choice(ACCOUNTS[1:])
    who = _role("developer", rng.choice(("frank", "grace")), acct)
    ev = rng.choice(("ModifyDBInstance", "PutObject", "DescribeImages", "TagResource"))
    return [s.rec(t, ev, "rds" if ev == "ModifyDBInstance" else "ec2", who, acct, region,
                  rng.choice(OFFICE_IPS), request={"dBInstanceIdentifier": "dev-db"}, read_only=ev == "DescribeImages")]


def incidents(s: Stream, t: datetime) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every kind of incident once, starting at `t`: (rule id, its records)."""
    a, r = PROD, "us-east-1"
    att = "203.0.113.66"
    mallory = _user("mallory", a, "AKIAMALLORYEXAMPLE01")
    step = iter(range(10**6))

    def at() -> datetime:
        return t + timedelta(milliseconds=100 * next(step))

    def one(event: str, src: str, who: dict[str, Any] = mallory, **kw: Any) -> list[dict[str, Any]]:
        return [s.rec(at(), event, src, who, kw.pop("account", a), r, kw.pop("ip", att), **kw)]

    yield "root.console-login", one("ConsoleLogin", "signin", _root(a), response={"ConsoleLogin": "Success"},
                                    additionalEventData={"MFAUsed": "Yes"}, eventType="AwsConsoleSignIn")
    yield "root.access-key-used", one("ListBuckets", "s3", _root(a, "AKIAROOTEXAMPLEKEY01"), read_only=True)
    yield "signin.console-login-without-mfa", one("ConsoleLogin", "signin", _user("intern", a, ""),
                                                  response={"ConsoleLogin": "Success"},
                                                  additionalEventData={"MFAUsed": "No"})
    yield "signin.failed-login-burst", [x for _ in range(6) for x in one(
        "ConsoleLogin", "signin", _user("admin", a, ""), response={"ConsoleLogin": "Failure"},
        error="Failed authentication")]
    yield "iam.access-denied-burst", [x for _ in range(12) for x in one(
        "DescribeInstances", "ec2", error="Client.UnauthorizedOperation", read_only=True)]
    yield "iam.user-created", one("CreateUser", "iam", request={"userName": "backup-svc"})
    yield "iam.credentials-for-another-user", one("CreateAccessKey", "iam", request={"userName": "alice"})
    yield "iam.admin-granted", one("AttachUserPolicy", "iam", request={
        "userName": "mallory", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    yield "iam.role-trusts-outside-account", one("UpdateAssumeRolePolicy", "iam", request={
        "roleName": "audit", "policyDocument": json.dumps({"Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, "Action": "sts:AssumeRole"}]})})
    yield "cloudtrail.logging-stopped", one("StopLogging", "cloudtrail", request={"name": "org-trail"})
    yield "cloudtrail.trail-deleted", one("DeleteTrail", "cloudtrail", request={"name": "region-trail"})
    yield "cloudtrail.trail-weakened", one("PutBucketLifecycle", "s3", request={
        "bucketName": "org-trail-logs", "LifecycleConfiguration": {"Rule": {"Expiration": {"Days": 1}}}})
    yield "config.recorder-stopped", one("StopConfigurationRecorder", "config",
                                         request={"configurationRecorderName": "default"})
    yield "guardduty.detector-disabled", one("DeleteDetector", "guardduty", request={"detectorId": "abc"})
    yield "ec2.flow-logs-deleted", one("DeleteFlowLogs", "ec2", request={
        "DeleteFlowLogsRequest": {"FlowLogId": {"tag": 1, "content": "fl-0abc"}}})
    yield "kms.key-disabled-or-deleted", one("ScheduleKeyDeletion", "kms", request={
        "keyId": "1234abcd", "pendingWindowInDays": 7})
    yield "kms.decrypt-burst", [x for _ in range(210) for x in one("Decrypt", "kms", read_only=True)]
    yield "ec2.snapshot-shared", one("ModifySnapshotAttribute", "ec2", request={
        "snapshotId": "snap-1", "createVolumePermission": {"add": {"items": [{"userId": OUTSIDE}]}}})
    yield "ec2.ami-shared", one("ModifyImageAttribute", "ec2", request={
        "imageId": "ami-1", "launchPermission": {"add": {"items": [{"group": "all"}]}}})
    yield "rds.snapshot-shared", one("ModifyDBSnapshotAttribute", "rds", request={
        "dBSnapshotIdentifier": "s", "attributeName": "restore", "valuesToAdd": ["all"]})
    yield "s3.bucket-policy-grants-outside", one("PutBucketPolicy", "s3", request={
        "bucketName": "data", "bucketPolicy": {"Statement": [{"Effect": "Allow", "Principal": "*",
                                                              "Action": "s3:GetObject", "Resource": "*"}]}})
    yield "lambda.permission-outside", one("AddPermission20150331v2", "lambda", request={
        "functionName": "orders", "principal": "*", "action": "lambda:InvokeFunction"})
    yield "ec2.get-password-data", one("GetPasswordData", "ec2", request={"instanceId": "i-1"}, read_only=True)
    yield "ssm.command-by-unusual-principal", one("SendCommand", "ssm", request={"documentName": "AWS-RunShellScript"})
    yield "secrets.retrieval-burst", [x for k in range(25) for x in one(
        "GetSecretValue", "secretsmanager", request={"secretId": f"prod/s{k}"}, read_only=True)]
    yield "s3.mass-deletion", one("DeleteObjects", "s3", request={
        "bucketName": "data", "delete": {"Object": [{"Key": str(k)} for k in range(120)]}})
    yield "organizations.account-left", one("LeaveOrganization", "organizations", account=ACCOUNTS[2])
    inst = _role("app-server", "i-0feedfacecafe0001", a, ec2=True)
    yield "ec2.instance-credentials-outside", (one("ListBuckets", "s3", inst, ip="54.240.1.1", read_only=True)
                                               + one("ListBuckets", "s3", inst, ip=att, read_only=True))
    yield "iam.access-key-many-ips", [x for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3")
                                      for x in one("ListBuckets", "s3", ip=ip, read_only=True)]
    yield "change.security-group", one("AuthorizeSecurityGroupIngress", "ec2", request={"groupId": "sg-1"},
                                       account=ACCOUNTS[1])
    yield "change.network-acl", one("CreateNetworkAclEntry", "ec2", request={"networkAclId": "acl-1"},
                                    account=ACCOUNTS[1])
    yield "change.network-gateway", one("AttachInternetGateway", "ec2", account=ACCOUNTS[1])
    yield "change.route-table", one("ReplaceRoute", "ec2", account=ACCOUNTS[1])
    yield "change.vpc", one("CreateVpcPeeringConnection", "ec2", account=ACCOUNTS[1])
    yield "change.bucket-policy", one("DeleteBucketPolicy", "s3", request={"bucketName": "x"}, account=ACCOUNTS[1])
    yield "change.organizations", one("MoveAccount", "organizations", request={"accountId": ACCOUNTS[1]},
                                      account=ACCOUNTS[1])
    yield "change.iam-policy", one("DetachRolePolicy", "iam", request={"roleName": "x"}, account=ACCOUNTS[1])
    yield "change.cloudtrail", one("StartLogging", "cloudtrail", request={"name": "x"}, account=ACCOUNTS[1])
    yield "change.config", one("PutConfigurationRecorder", "config", account=ACCOUNTS[1])
    dba = _role(f"dba-{s.rng.randrange(10**6)}", "erin", a)  # a new person each round (reports are per hour)
    yield "change.outside-pipeline", one("ModifyDBInstance", "rds", dba,
                                         request={"dBInstanceIdentifier": "prod-db"})


def generate(total: int, planted: dict[str, list[list[str]]], seed: int = 1,
             incident_rounds: int = 3) -> Iterator[dict[str, Any]]:
    """About `total` records in time order, with `incident_rounds` rounds of every incident spread
    over the stream; `planted` receives rule id -> each incident's event ids ("planted-..." ids)."""
    s = Stream(random.Random(seed))
    per = timedelta(days=7) / 1_000_000  # a week per million records
    plant_at = [int(total * (k + 1) / (incident_rounds + 1)) for k in range(incident_rounds)]
    emitted = 0
    t = START
    while emitted < total:
        if plant_at and emitted >= plant_at[0]:
            plant_at.pop(0)
            for rule, recs in incidents(s, t):
                for x in recs:
                    x["eventID"] = f"planted-{x['eventID']}"
                planted.setdefault(rule, []).append([x["eventID"] for x in recs])
                emitted += len(recs)
                yield from recs
        for rec in benign(s, t):
            emitted += 1
            yield rec
        t += per * s.rng.uniform(0.2, 1.8)


def write_files(records: Iterator[dict[str, Any]], root: Path,
                on_done: Callable[[int], None] | None = None) -> int:
    """Write records as CloudTrail does: per account/region, one gzip file per 5 minutes, unsorted inside."""
    root.mkdir(parents=True, exist_ok=True)
    buckets: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    window = None
    files = 0
    rng = random.Random(3)

    def flush() -> None:
        nonlocal files
        for (account, region, stamp), recs in buckets.items():
            rng.shuffle(recs)
            day = f"{stamp[0:4]}/{stamp[4:6]}/{stamp[6:8]}"
            d = root / "AWSLogs" / "o-example" / account / "CloudTrail" / region / day
            d.mkdir(parents=True, exist_ok=True)
            name = f"{account}_CloudTrail_{region}_{stamp}_{files:06d}.json.gz"
            (d / name).write_bytes(gzip.compress(json.dumps({"Records": recs}).encode(), compresslevel=1))
            files += 1
        buckets.clear()

    for rec in records:
        t = datetime.fromisoformat(rec["eventTime"])
        w = t.replace(minute=t.minute - t.minute % 5, second=0) + timedelta(minutes=5)
        if w != window:
            flush()
            window = w
        stamp = w.strftime("%Y%m%dT%H%MZ")
        buckets.setdefault((rec["recipientAccountId"], rec["awsRegion"], stamp), []).append(rec)
    flush()
    return files

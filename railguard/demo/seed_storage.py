"""Seed the lab with storage: S3 buckets, RDS instances, EFS file systems, EBS volumes and settings.

Per region and per unit of `lab.scale`: three buckets (an open one, one without a deny-HTTP policy,
a compliant one), an unencrypted public RDS instance and its compliant twin, an unencrypted EFS
and an encrypted twin, an unencrypted and an encrypted volume; one log bucket per region; EBS
default encryption off in the first region and on in the others; the account's S3 public access
block left off. moto cannot store MFA Delete, so every bucket is an expected FAIL of
s3.mfa-delete (the passing case is covered by a unit test).
"""

from __future__ import annotations

import json
from typing import Any

from railguard.demo.lab import Lab

PAB_ON = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
BUCKET_CONTROLS_EXCEPT_HTTP = (
    "s3.bucket-public-access-block", "s3.public-acl", "s3.default-encryption",
    "s3.versioning-enabled", "s3.access-logging-enabled",
)
RDS_CONTROLS = ("rds.storage-encrypted", "rds.publicly-accessible", "rds.auto-minor-version-upgrade", "rds.multi-az")


def seed(lab: Lab) -> None:
    lab.expect_fail("s3.account-public-access-block", lab.account)  # left off on purpose
    for index, region in enumerate(lab.regions):
        _volumes(lab, region)  # before default encryption is turned on: moto would not care, AWS would
        _ebs_default(lab, region, enabled=index % 2 == 1)
        _buckets(lab, region)
        _databases(lab, region)
        _file_systems(lab, region)


# ---------------------------------------------------------------- S3


def _create_bucket(s3: Any, name: str, region: str, **kw: Any) -> None:
    if region == "us-east-1":
        s3.create_bucket(Bucket=name, **kw)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region}, **kw)


def _deny_http(name: str, principal: Any = "*") -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": principal, "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    })


def _buckets(lab: Lab, region: str) -> None:
    s3 = lab.client("s3", region)
    logs = f"rg-logs-{region}"
    _create_bucket(s3, logs, region, ACL="log-delivery-write")
    s3.put_public_access_block(Bucket=logs, PublicAccessBlockConfiguration=PAB_ON)
    # {"AWS": "*"}: moto's logging-target check cannot read a plain "*" principal
    s3.put_bucket_policy(Bucket=logs, Policy=_deny_http(logs, principal={"AWS": "*"}))
    lab.expect_pass("s3.deny-http", logs)
    lab.expect_pass("s3.bucket-public-access-block", logs)
    lab.expect_fail("s3.mfa-delete", logs)

    for k in range(1, lab.scale + 1):
        # an open bucket: public-read ACL, no public access block, no policy, nothing configured
        open_ = f"rg-open-{region}-{k}"
        _create_bucket(s3, open_, region, ACL="public-read")
        for cid in ("s3.deny-http", "s3.mfa-delete", *BUCKET_CONTROLS_EXCEPT_HTTP):
            lab.expect_fail(cid, open_)

        # well configured except for the missing deny-HTTP statement (its policy only allows)
        plain = f"rg-nohttpdeny-{region}-{k}"
        _create_bucket(s3, plain, region)
        s3.put_public_access_block(Bucket=plain, PublicAccessBlockConfiguration=PAB_ON)
        # SSE-KMS, so that it passes s3.default-encryption with and without `require_kms` (baseline)
        s3.put_bucket_encryption(Bucket=plain, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
        s3.put_bucket_versioning(Bucket=plain, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_logging(Bucket=plain, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": f"{plain}/"}})
        s3.put_bucket_policy(Bucket=plain, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "ReadFromAccount", "Effect": "Allow",
                           "Principal": {"AWS": f"arn:aws:iam::{lab.account}:root"},
                           "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{plain}/*"}],
        }))
        lab.expect_fail("s3.deny-http", plain)
        lab.expect_fail("s3.mfa-delete", plain)
        for cid in BUCKET_CONTROLS_EXCEPT_HTTP:
            lab.expect_pass(cid, plain)

        # compliant: deny-HTTP policy, public access block, SSE-KMS, versioning, logging
        secure = f"rg-secure-{region}-{k}"
        _create_bucket(s3, secure, region)
        s3.put_public_access_block(Bucket=secure, PublicAccessBlockConfiguration=PAB_ON)
        s3.put_bucket_encryption(Bucket=secure, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"},
            "BucketKeyEnabled": True}]})
        s3.put_bucket_versioning(Bucket=secure, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_logging(Bucket=secure, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": f"{secure}/"}})
        s3.put_bucket_policy(Bucket=secure, Policy=_deny_http(secure))
        lab.expect_pass("s3.deny-http", secure)
        lab.expect_fail("s3.mfa-delete", secure)
        for cid in BUCKET_CONTROLS_EXCEPT_HTTP:
            lab.expect_pass(cid, secure)


# ---------------------------------------------------------------- RDS


def _databases(lab: Lab, region: str) -> None:
    rds = lab.client("rds", region)
    for k in range(1, lab.scale + 1):
        common = {
            "DBInstanceClass": "db.t3.micro", "Engine": "postgres", "MasterUsername": "labadmin",
            "MasterUserPassword": "lab-only-not-a-secret", "AllocatedStorage": 20,
        }
        open_ = f"rg-db-open-{region}-{k}"
        rds.create_db_instance(
            DBInstanceIdentifier=open_, StorageEncrypted=False, PubliclyAccessible=True,
            AutoMinorVersionUpgrade=False, MultiAZ=False, **common,
        )
        private = f"rg-db-private-{region}-{k}"
        rds.create_db_instance(
            DBInstanceIdentifier=private, StorageEncrypted=True, PubliclyAccessible=False,
            AutoMinorVersionUpgrade=True, MultiAZ=True, **common,
        )
        for cid in RDS_CONTROLS:
            lab.expect_fail(cid, open_)
            lab.expect_pass(cid, private)


# ---------------------------------------------------------------- EFS


def _file_systems(lab: Lab, region: str) -> None:
    efs = lab.client("efs", region)
    for k in range(1, lab.scale + 1):
        plain = f"rg-efs-plain-{region}-{k}"
        efs.create_file_system(CreationToken=plain, Tags=[{"Key": "Name", "Value": plain}])
        lab.expect_fail("efs.encrypted", plain)
        encrypted = f"rg-efs-encrypted-{region}-{k}"
        efs.create_file_system(CreationToken=encrypted, Encrypted=True, Tags=[{"Key": "Name", "Value": encrypted}])
        lab.expect_pass("efs.encrypted", encrypted)


# ---------------------------------------------------------------- EBS


def _ebs_default(lab: Lab, region: str, *, enabled: bool) -> None:
    ec2 = lab.client("ec2", region)
    if enabled:
        ec2.enable_ebs_encryption_by_default()
        lab.expect_pass("ec2.ebs-default-encryption", region)
    else:
        ec2.disable_ebs_encryption_by_default()
        lab.expect_fail("ec2.ebs-default-encryption", region)


def _volumes(lab: Lab, region: str) -> None:
    ec2 = lab.client("ec2", region)
    zone = f"{region}a"

    def named(name: str) -> list[dict[str, Any]]:
        return [{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}]

    for k in range(1, lab.scale + 1):
        plain = f"rg-vol-plain-{region}-{k}"
        ec2.create_volume(Size=8, AvailabilityZone=zone, Encrypted=False, TagSpecifications=named(plain))
        lab.expect_fail("ec2.ebs-volume-encrypted", plain)
        encrypted = f"rg-vol-encrypted-{region}-{k}"
        ec2.create_volume(Size=8, AvailabilityZone=zone, Encrypted=True, TagSpecifications=named(encrypted))
        lab.expect_pass("ec2.ebs-volume-encrypted", encrypted)

"""EFS controls over `AWS::EFS::FileSystem` (CloudFormation shape; live: see collectors/efs.py)."""

from __future__ import annotations

from railguard.controls import IAC, LIVE, control
from railguard.controls.helpers import truthy
from railguard.model import Resource, Severity, Verdict, failed, passed


@control(
    "efs.encrypted",
    title="EFS file system is encrypted at rest",
    resource="AWS::EFS::FileSystem",
    severity=Severity.MEDIUM,
    fix="Set Encrypted: true (an existing file system: create an encrypted one and copy the data)",
    places=(LIVE, IAC),
)
def encrypted(fs: Resource) -> Verdict:
    """CloudFormation's default is unencrypted: a template without `Encrypted: true` fails."""
    if truthy(fs.get("Encrypted")):
        return passed("the file system is encrypted", kms_key=fs.get("KmsKeyId"))
    return failed("the file system is not encrypted at rest", encrypted=False)

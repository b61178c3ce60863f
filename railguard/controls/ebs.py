"""EBS controls: region default encryption and volume encryption (ids under `ec2.`)."""

from __future__ import annotations

from railguard.controls import IAC, LIVE, control
from railguard.controls.helpers import truthy
from railguard.model import Resource, Severity, Verdict, failed, passed, unknown

EBS_DEFAULT = "RailGuard::EC2::EbsEncryptionByDefault"
VOLUME = "AWS::EC2::Volume"


@control(
    "ec2.ebs-default-encryption",
    title="EBS encryption by default is enabled in the region",
    resource=EBS_DEFAULT,
    severity=Severity.MEDIUM,
    fix="aws ec2 enable-ebs-encryption-by-default --region REGION",
    places=(LIVE,),
    remediation="ec2.ebs-default-encryption",
)
def ebs_default_encryption(setting: Resource) -> Verdict:
    if truthy(setting.get("EbsEncryptionByDefault")):
        return passed("new EBS volumes are encrypted by default")
    return failed("EBS encryption by default is off in this region", ebs_encryption_by_default=False)


@control(
    "ec2.ebs-volume-encrypted",
    title="EBS volume is encrypted",
    resource=VOLUME,
    severity=Severity.MEDIUM,
    fix="Set Encrypted: true (an existing volume: snapshot, copy the snapshot encrypted, replace)",
    places=(LIVE, IAC),
)
def ebs_volume_encrypted(volume: Resource) -> Verdict:
    """In a template, an absent `Encrypted` fails (EBS default encryption in the target region may
    still encrypt it, but the template does not say so), except for a volume restored from a
    snapshot, which inherits the snapshot's encryption: UNKNOWN."""
    value = volume.get("Encrypted")
    if truthy(value):
        return passed("the volume is encrypted", kms_key=volume.get("KmsKeyId"))
    if value is None and not volume.is_live and volume.get("SnapshotId"):
        return unknown("the volume inherits its encryption from snapshot " + str(volume.get("SnapshotId")))
    return failed("the volume is not encrypted", encrypted=False, size_gib=volume.get("Size"))

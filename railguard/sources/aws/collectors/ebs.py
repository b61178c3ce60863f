"""EBS: volumes of a region (one paginated DescribeVolumes) and the region's default encryption.

`AWS::EC2::Volume` properties (CloudFormation shape): Encrypted, KmsKeyId, Size,
AvailabilityZone, VolumeType, SnapshotId. Tags from Tags; the name is the `Name` tag.
Live facts: `state`, `attached_to` (instance ids).

`RailGuard::EC2::EbsEncryptionByDefault` (one per account+region, id `<account>/<region>`,
name the region): properties `{"EbsEncryptionByDefault": bool}` from one
GetEbsEncryptionByDefault. The default key (GetEbsDefaultKmsKeyId) is not read: no control
needs it, and EBS encryption always uses a KMS key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws import pseudo
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, tag_map
from railguard.sources.aws.errors import describe

VOLUME = "AWS::EC2::Volume"
EBS_DEFAULT = pseudo.EBS_DEFAULT_ENCRYPTION


@collector(
    "ebs",
    yields=[VOLUME, EBS_DEFAULT],
    scope=REGIONAL,
    calls=["ec2:DescribeVolumes", "ec2:GetEbsEncryptionByDefault"],
)
def collect_ebs(ctx: CollectContext) -> Iterator[Resource]:
    if ctx.wants(EBS_DEFAULT):
        try:
            enabled = ctx.client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"]
        except Exception as exc:
            ctx.gap(EBS_DEFAULT, describe(exc, "ec2:GetEbsEncryptionByDefault"))
        else:
            yield ctx.resource(
                EBS_DEFAULT, f"{ctx.account}/{ctx.region}", {"EbsEncryptionByDefault": bool(enabled)},
                name=ctx.region,
            )
    if ctx.wants(VOLUME):
        try:
            volumes = list(ctx.paginate("ec2", "describe_volumes", "Volumes"))
        except Exception as exc:
            ctx.gap(VOLUME, describe(exc, "ec2:DescribeVolumes"))
            return
        for vol in volumes:
            yield _volume(ctx, vol)


def _volume(ctx: CollectContext, vol: dict[str, Any]) -> Resource:
    props: dict[str, Any] = {"Encrypted": bool(vol.get("Encrypted"))}
    for key in ("KmsKeyId", "Size", "AvailabilityZone", "VolumeType", "SnapshotId"):
        if vol.get(key):
            props[key] = vol[key]
    tags = tag_map(vol.get("Tags"))
    vid = vol["VolumeId"]
    arn = f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account}:volume/{vid}"
    live = {
        "state": vol.get("State"),
        "attached_to": [a["InstanceId"] for a in vol.get("Attachments") or [] if a.get("InstanceId")],
    }
    return ctx.resource(VOLUME, vid, props, arn=arn, tags=tags, live=live, name=tags.get("Name"))

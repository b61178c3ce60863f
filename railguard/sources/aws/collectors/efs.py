"""EFS: file systems of a region, one paginated DescribeFileSystems.

`AWS::EFS::FileSystem` properties (CloudFormation shape): Encrypted, KmsKeyId,
PerformanceMode, ThroughputMode, FileSystemTags ([{Key, Value}]). The resource's name is the
`Name` tag when there is one.

Live facts: `life_cycle_state`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector

FILE_SYSTEM = "AWS::EFS::FileSystem"


@collector("efs", yields=[FILE_SYSTEM], scope=REGIONAL, calls=["elasticfilesystem:DescribeFileSystems"])
def collect_efs(ctx: CollectContext) -> Iterator[Resource]:
    for fs in ctx.paginate("efs", "describe_file_systems", "FileSystems", PaginationConfig={"PageSize": 100}):
        yield _file_system(ctx, fs)


def _file_system(ctx: CollectContext, fs: dict[str, Any]) -> Resource:
    tag_list = [{"Key": t["Key"], "Value": t.get("Value", "")} for t in fs.get("Tags") or []]
    props: dict[str, Any] = {"Encrypted": bool(fs.get("Encrypted")), "FileSystemTags": tag_list}
    for key in ("KmsKeyId", "PerformanceMode", "ThroughputMode"):
        if fs.get(key):
            props[key] = fs[key]
    tags = {t["Key"]: t["Value"] for t in tag_list}
    return ctx.resource(
        FILE_SYSTEM, fs["FileSystemId"], props, arn=fs.get("FileSystemArn"), tags=tags,
        live={"life_cycle_state": fs.get("LifeCycleState")}, name=tags.get("Name") or fs.get("Name"),
    )

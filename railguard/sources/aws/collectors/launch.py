"""Launch templates and Auto Scaling launch configurations: what every instance they start gets.

- `AWS::EC2::LaunchTemplate` (id lt-..., name = LaunchTemplateName): `DescribeLaunchTemplates`
  (paginated), then one `DescribeLaunchTemplateVersions` per template for its `$Default` and
  `$Latest` versions together. Properties: LaunchTemplateName, LaunchTemplateData (the default
  version's, in the API's shape, which is CloudFormation's: UserData base64, NetworkInterfaces
  [{AssociatePublicIpAddress, DeviceIndex, ...}], MetadataOptions, IamInstanceProfile). Live facts:
  versions {version number: LaunchTemplateData} (both versions read), default_version,
  latest_version. A failed versions call makes LaunchTemplateData `Unknown`.
- `AWS::AutoScaling::LaunchConfiguration` (id and name = LaunchConfigurationName): one paginated
  `DescribeLaunchConfigurations`. Properties: LaunchConfigurationName, ImageId, InstanceType,
  IamInstanceProfile, SecurityGroups, AssociatePublicIpAddress (absent when not set: the subnet
  decides), UserData (base64), MetadataOptions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, per_resource, tag_map

LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
LAUNCH_CONFIG = "AWS::AutoScaling::LaunchConfiguration"


@collector("ec2-launch-templates", yields=[LAUNCH_TEMPLATE], scope=REGIONAL,
           calls=["ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions"])
def collect_launch_templates(ctx: CollectContext) -> Iterator[Resource]:
    templates = list(ctx.paginate("ec2", "describe_launch_templates", "LaunchTemplates",
                                  PaginationConfig={"PageSize": 200}))
    yield from per_resource(lambda t: _template(ctx, t), templates)


def _template(ctx: CollectContext, t: dict[str, Any]) -> Resource:
    tid, name = t["LaunchTemplateId"], t.get("LaunchTemplateName") or t["LaunchTemplateId"]
    props: dict[str, Any] = {"LaunchTemplateName": name}
    versions: dict[str, Any] = {}
    try:
        answer = ctx.client("ec2").describe_launch_template_versions(LaunchTemplateId=tid,
                                                                     Versions=["$Default", "$Latest"])
        for v in answer.get("LaunchTemplateVersions") or []:
            versions[str(v.get("VersionNumber"))] = v.get("LaunchTemplateData") or {}
            if v.get("DefaultVersion"):
                props["LaunchTemplateData"] = v.get("LaunchTemplateData") or {}
    except Exception as exc:
        props["LaunchTemplateData"] = ctx.unknown(exc, "ec2:DescribeLaunchTemplateVersions")
    if "LaunchTemplateData" not in props:
        props["LaunchTemplateData"] = next(iter(versions.values()), {})
    arn = f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account}:launch-template/{tid}"
    return ctx.resource(LAUNCH_TEMPLATE, tid, props, arn=arn, tags=tag_map(t.get("Tags")), name=name,
                        live={"versions": versions, "default_version": t.get("DefaultVersionNumber"),
                              "latest_version": t.get("LatestVersionNumber")})


@collector("autoscaling-launch-configurations", yields=[LAUNCH_CONFIG], scope=REGIONAL,
           calls=["autoscaling:DescribeLaunchConfigurations"])
def collect_launch_configurations(ctx: CollectContext) -> Iterator[Resource]:
    for lc in ctx.paginate("autoscaling", "describe_launch_configurations", "LaunchConfigurations",
                           PaginationConfig={"PageSize": 100}):
        name = lc["LaunchConfigurationName"]
        props: dict[str, Any] = {"LaunchConfigurationName": name}
        for key in ("ImageId", "InstanceType", "IamInstanceProfile", "SecurityGroups", "AssociatePublicIpAddress",
                    "UserData", "MetadataOptions"):
            if lc.get(key) not in (None, ""):
                props[key] = lc[key]
        yield ctx.resource(LAUNCH_CONFIG, name, props, arn=lc.get("LaunchConfigurationARN"), name=name)

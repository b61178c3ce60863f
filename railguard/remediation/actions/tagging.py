"""Tag a resource: EC2 ids, S3 buckets, IAM users and roles, and any ARN through the Resource
Groups Tagging API. Undo removes the keys it added and puts back the values it replaced."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator

from railguard.remediation.action import Action, ActionError, Change, Params, Risk, Target, action

_EC2_PREFIXES = ("sg-", "i-", "vpc-", "vol-", "subnet-", "acl-", "eni-", "snap-", "ami-", "fl-", "pcx-", "igw-",
                 "rtb-", "nat-", "lt-")


_TAG_CALL = {"ec2": "ec2:CreateTags", "s3": "s3:PutBucketTagging", "iam-user": "iam:TagUser",
             "iam-role": "iam:TagRole", "arn": "tag:TagResources"}


class TagParams(Params):
    tags: dict[str, str] = Field(min_length=1, description="tags to set")
    overwrite: bool = Field(default=False, description="replace a different value already set for a key")

    @field_validator("tags")
    @classmethod
    def _valid(cls, v: dict[str, str]) -> dict[str, str]:
        for k, val in v.items():
            if not 1 <= len(k) <= 128 or k.lower().startswith("aws:"):
                raise ValueError(f"tag key {k!r} must be 1-128 characters and not start with aws:")
            if len(val) > 256:
                raise ValueError(f"tag value of {k!r} is longer than 256 characters")
        return v


class _Tagger:
    """Reads and writes tags of one resource kind."""

    def __init__(self, target: Target) -> None:
        self.t = target
        r = target.resource
        self.kind = ("ec2" if r.id.startswith(_EC2_PREFIXES) else "s3" if r.type == "AWS::S3::Bucket"
                     else "iam-user" if r.type == "AWS::IAM::User" else "iam-role" if r.type == "AWS::IAM::Role"
                     else "arn")
        if self.kind == "arn" and not r.arn:
            raise ActionError(f"{r.type} {r.id} has no ARN to tag")

    @property
    def name(self) -> str:
        r = self.t.resource
        return str(r.name or r.id.rsplit("/", 1)[-1])

    def read(self) -> dict[str, str]:
        r, t = self.t.resource, self.t
        if self.kind == "ec2":
            resp = t.client("ec2").describe_tags(Filters=[{"Name": "resource-id", "Values": [r.id]}])
            return {x["Key"]: x["Value"] for x in resp.get("Tags", [])}
        if self.kind == "s3":
            try:
                tags = self._s3().get_bucket_tagging(Bucket=r.id).get("TagSet", [])
            except Exception as exc:
                if "NoSuchTagSet" in str(exc):
                    return {}
                raise
            return {x["Key"]: x["Value"] for x in tags}
        if self.kind.startswith("iam"):
            iam = t.client("iam")
            tags = (iam.list_user_tags(UserName=self.name) if self.kind == "iam-user"
                    else iam.list_role_tags(RoleName=self.name)).get("Tags", [])
            return {x["Key"]: x["Value"] for x in tags}
        found = t.client("resourcegroupstaggingapi").get_resources(ResourceARNList=[r.arn]).get(
            "ResourceTagMappingList", [])
        return {x["Key"]: x["Value"] for m in found for x in m.get("Tags", [])}

    def _s3(self) -> Any:
        region = self.t.resource.region
        return self.t.session.client("s3", region if region and region != "global" else self.t.region)

    def set(self, tags: Mapping[str, str]) -> None:
        if not tags:
            return
        r, t = self.t.resource, self.t
        pairs = [{"Key": k, "Value": v} for k, v in tags.items()]
        if self.kind == "ec2":
            t.client("ec2").create_tags(Resources=[r.id], Tags=pairs)
        elif self.kind == "s3":  # S3 replaces the whole set: write the merge
            merged = {**self.read(), **tags}
            self._s3().put_bucket_tagging(Bucket=r.id, Tagging={"TagSet": [
                {"Key": k, "Value": v} for k, v in merged.items()]})
        elif self.kind == "iam-user":
            t.client("iam").tag_user(UserName=self.name, Tags=pairs)
        elif self.kind == "iam-role":
            t.client("iam").tag_role(RoleName=self.name, Tags=pairs)
        else:
            t.client("resourcegroupstaggingapi").tag_resources(ResourceARNList=[r.arn], Tags=dict(tags))

    def remove(self, keys: list[str]) -> None:
        if not keys:
            return
        r, t = self.t.resource, self.t
        if self.kind == "ec2":
            t.client("ec2").delete_tags(Resources=[r.id], Tags=[{"Key": k} for k in keys])
        elif self.kind == "s3":
            rest = {k: v for k, v in self.read().items() if k not in keys}
            if rest:
                self._s3().put_bucket_tagging(Bucket=r.id, Tagging={"TagSet": [
                    {"Key": k, "Value": v} for k, v in rest.items()]})
            else:
                self._s3().delete_bucket_tagging(Bucket=r.id)
        elif self.kind == "iam-user":
            t.client("iam").untag_user(UserName=self.name, TagKeys=keys)
        elif self.kind == "iam-role":
            t.client("iam").untag_role(RoleName=self.name, TagKeys=keys)
        else:
            t.client("resourcegroupstaggingapi").untag_resources(ResourceARNList=[r.arn], TagKeys=keys)


@action(
    "tag.resource",
    title="Tag a resource (owner, exception marker, quarantine label...)",
    resource_types=["*"],
    calls=["ec2:DescribeTags", "ec2:CreateTags", "ec2:DeleteTags", "s3:GetBucketTagging", "s3:PutBucketTagging",
           "s3:DeleteBucketTagging", "iam:ListUserTags", "iam:TagUser", "iam:UntagUser", "iam:ListRoleTags",
           "iam:TagRole", "iam:UntagRole", "tag:GetResources", "tag:TagResources", "tag:UntagResources"],
    risk=Risk(note="tags can drive other automation (cost allocation, ABAC policies)"),
    fixes=["ec2.instance-public-ip"],
)
class TagResource(Action):
    """Sets the given tags. A key already set to another value is kept unless `overwrite`. Undo
    removes the keys it added and puts back the values it replaced. For ec2.instance-public-ip it
    marks an instance as deliberately public (tag `railguard:public`)."""

    params_model = TagParams

    def build(self, target: Target, params: Any) -> Change:
        tagger = _Tagger(target)
        before = tagger.read()
        to_set = {k: v for k, v in params.tags.items()
                  if before.get(k) != v and (k not in before or params.overwrite)}
        prior = {"tags": before, "set": to_set, "added": sorted(k for k in to_set if k not in before),
                 "replaced": {k: before[k] for k in to_set if k in before}}
        if not to_set:
            return self.change(target, params, "the tags are already set", prior=prior, noop=True)
        return self.change(target, params, "tag " + ", ".join(f"{k}={v}" for k, v in to_set.items()),
                           prior=prior, calls=(_TAG_CALL[tagger.kind],))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        _Tagger(target).set(change.prior["set"])
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        tagger = _Tagger(target)
        tagger.remove(change.prior["added"])
        tagger.set(change.prior["replaced"])

    def read_state(self, target: Target) -> Mapping[str, Any]:
        return {"tags": _Tagger(target).read()}

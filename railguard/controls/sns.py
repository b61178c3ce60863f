"""SNS: topics encrypted with a KMS key, topic policies that expose nothing."""

from __future__ import annotations

from railguard.controls import Context, control
from railguard.controls.policy import EXPOSURE_PARAMS, attached, exposure_verdict, target_in_scope
from railguard.model import Resource, Severity, Verdict, failed, passed

TOPIC = "AWS::SNS::Topic"
TOPIC_POLICY = "AWS::SNS::TopicPolicy"


@control(
    "sns.topic-encrypted",
    title="SNS topic is encrypted at rest with a KMS key",
    resource=TOPIC,
    severity=Severity.MEDIUM,
    fix="Set KmsMasterKeyId on the topic (alias/aws/sns or a customer-managed key)",
    places=("live", "iac"),
)
def topic_encrypted(topic: Resource) -> Verdict:
    key = topic.get("KmsMasterKeyId")
    if key:
        return passed("topic is encrypted with a KMS key", KmsMasterKeyId=key)
    return failed("topic is not encrypted at rest", KmsMasterKeyId=None)


@control(
    "sns.topic-policy-exposed",
    title="SNS topic policy does not grant everyone or accounts outside the owned accounts",
    resource=[TOPIC, TOPIC_POLICY],
    reads=[TOPIC_POLICY],
    severity=Severity.HIGH,
    params=EXPOSURE_PARAMS,
    fix="Name the principals in the topic policy, or restrict the '*' statement with aws:SourceOwner, aws:SourceArn or aws:PrincipalOrgID",
    places=("live", "iac"),
)
def topic_policy_exposed(r: Resource, ctx: Context) -> Verdict | None:
    """Everyone, unrestricted, or an account outside `owned_accounts` (see `policy.exposure`). The
    default topic policy (`"AWS": "*"` with `AWS:SourceOwner` = the owner) passes."""
    if r.type == TOPIC_POLICY:
        if target_in_scope(r, ctx, TOPIC, "Topics"):
            return None
        return exposure_verdict(r, ctx, [(r.display_name, r.get_raw("PolicyDocument"))], "the topic policy")
    policies, unresolved = attached(r, ctx, TOPIC_POLICY, "Topics")
    return exposure_verdict(r, ctx, [(p.display_name, p.get_raw("PolicyDocument")) for p in policies],
                            "the topic policy", unresolved=unresolved)

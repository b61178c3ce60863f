"""SQS: queues encrypted with a KMS key (SSE-SQS, with keys SQS owns, is not enough for the baseline)."""

from __future__ import annotations

from railguard.controls import Context, control
from railguard.controls.helpers import truthy
from railguard.controls.policy import EXPOSURE_PARAMS, attached, exposure_verdict, target_in_scope
from railguard.model import Resource, Severity, Verdict, failed, passed

QUEUE = "AWS::SQS::Queue"
QUEUE_POLICY = "AWS::SQS::QueuePolicy"


@control(
    "sqs.queue-encrypted",
    title="SQS queue is encrypted at rest with a KMS key",
    resource=QUEUE,
    severity=Severity.MEDIUM,
    params={"accept_sqs_managed": False},
    fix="Set KmsMasterKeyId on the queue (alias/aws/sqs or a customer-managed key)",
    places=("live", "iac"),
)
def queue_encrypted(queue: Resource, ctx: Context) -> Verdict:
    """With `accept_sqs_managed` (pinned by FSBP SQS.1, which accepts it) SSE-SQS passes too."""
    key = queue.get("KmsMasterKeyId")
    if key:
        return passed("queue is encrypted with a KMS key", KmsMasterKeyId=key)
    if truthy(queue.get("SqsManagedSseEnabled")):
        if ctx.params.get("accept_sqs_managed"):
            return passed("queue is encrypted with SSE-SQS (keys owned by SQS)", SqsManagedSseEnabled=True)
        return failed("queue uses SSE-SQS (keys owned by SQS), not a KMS key", SqsManagedSseEnabled=True)
    return failed("queue is not encrypted at rest", KmsMasterKeyId=None, SqsManagedSseEnabled=False)


@control(
    "sqs.queue-policy-exposed",
    title="SQS queue policy does not grant everyone or accounts outside the owned accounts",
    resource=[QUEUE, QUEUE_POLICY],
    reads=[QUEUE_POLICY],
    severity=Severity.HIGH,
    params=EXPOSURE_PARAMS,
    fix="Name the principals in the queue policy, or restrict the '*' statement with aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID",
    places=("live", "iac"),
)
def queue_policy_exposed(r: Resource, ctx: Context) -> Verdict | None:
    """Everyone, unrestricted, or an account outside `owned_accounts` (see `policy.exposure`). A
    queue without a policy is reachable only by its own account: it passes."""
    if r.type == QUEUE_POLICY:
        if target_in_scope(r, ctx, QUEUE, "Queues"):
            return None
        return exposure_verdict(r, ctx, [(r.display_name, r.get_raw("PolicyDocument"))], "the queue policy")
    policies, unresolved = attached(r, ctx, QUEUE_POLICY, "Queues")
    return exposure_verdict(r, ctx, [(p.display_name, p.get_raw("PolicyDocument")) for p in policies],
                            "the queue policy", unresolved=unresolved)

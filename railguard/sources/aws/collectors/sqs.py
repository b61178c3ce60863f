"""SQS queues: `AWS::SQS::Queue`, per region.

Calls per region: `ListQueues` (paginated); per queue one `GetQueueAttributes` asking only
for QueueArn, KmsMasterKeyId, SqsManagedSseEnabled and FifoQueue.

Properties (CloudFormation shape): QueueName, KmsMasterKeyId, SqsManagedSseEnabled (bool),
FifoQueue (bool); a denied GetQueueAttributes makes the encryption properties `Unknown`.
Live facts: url.

`AWS::SQS::QueuePolicy` (when that type is wanted, `Policy` is asked in the same call): one per
queue that has a policy, `{"Queues": [queue ARN], "PolicyDocument": parsed JSON}`, id
`<queue ARN>#policy`; a denied call yields one with PolicyDocument `Unknown` (the queue may have one).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, json_document, per_resource

QUEUE = "AWS::SQS::Queue"
QUEUE_POLICY = "AWS::SQS::QueuePolicy"
_ATTRS = ["QueueArn", "KmsMasterKeyId", "SqsManagedSseEnabled", "FifoQueue"]


@collector("sqs", yields=[QUEUE, QUEUE_POLICY], scope=REGIONAL, calls=["sqs:ListQueues", "sqs:GetQueueAttributes"])
def collect_queues(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("sqs")
    want_policy = ctx.wants(QUEUE_POLICY)
    names = [*_ATTRS, "Policy"] if want_policy else _ATTRS

    def read(url: str) -> list[Resource]:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        props: dict[str, Any] = {"QueueName": name}
        arn = None
        policy: Any = None
        try:
            attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=names).get("Attributes", {})
            arn = attrs.get("QueueArn")
            if attrs.get("KmsMasterKeyId"):
                props["KmsMasterKeyId"] = attrs["KmsMasterKeyId"]
            props["SqsManagedSseEnabled"] = str(attrs.get("SqsManagedSseEnabled", "false")).lower() == "true"
            props["FifoQueue"] = str(attrs.get("FifoQueue", "false")).lower() == "true"
            policy = json_document(attrs.get("Policy"))
        except Exception as exc:
            props["KmsMasterKeyId"] = props["SqsManagedSseEnabled"] = policy = ctx.unknown(exc, "sqs:GetQueueAttributes")
        out = [ctx.resource(QUEUE, arn or url, props, arn=arn, name=name, live={"url": url})]
        if want_policy and policy is not None:
            out.append(ctx.resource(QUEUE_POLICY, f"{arn or url}#policy",
                                    {"Queues": [arn or url], "PolicyDocument": policy}, name=f"{name} policy"))
        return out

    urls = list(ctx.paginate("sqs", "list_queues", "QueueUrls"))
    for found in per_resource(read, urls):
        yield from found

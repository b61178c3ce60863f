"""SQS queues: `AWS::SQS::Queue`, per region.

Calls per region: `ListQueues` (paginated); per queue one `GetQueueAttributes` asking only
for QueueArn, KmsMasterKeyId, SqsManagedSseEnabled and FifoQueue.

Properties (CloudFormation shape): QueueName, KmsMasterKeyId, SqsManagedSseEnabled (bool),
FifoQueue (bool); a denied GetQueueAttributes makes the encryption properties `Unknown`.
Live facts: url.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, per_resource

QUEUE = "AWS::SQS::Queue"
_ATTRS = ["QueueArn", "KmsMasterKeyId", "SqsManagedSseEnabled", "FifoQueue"]


@collector("sqs", yields=[QUEUE], scope=REGIONAL, calls=["sqs:ListQueues", "sqs:GetQueueAttributes"])
def collect_queues(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("sqs")

    def read(url: str) -> Resource:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        props: dict[str, Any] = {"QueueName": name}
        arn = None
        try:
            attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=_ATTRS).get("Attributes", {})
            arn = attrs.get("QueueArn")
            if attrs.get("KmsMasterKeyId"):
                props["KmsMasterKeyId"] = attrs["KmsMasterKeyId"]
            props["SqsManagedSseEnabled"] = str(attrs.get("SqsManagedSseEnabled", "false")).lower() == "true"
            props["FifoQueue"] = str(attrs.get("FifoQueue", "false")).lower() == "true"
        except Exception as exc:
            props["KmsMasterKeyId"] = props["SqsManagedSseEnabled"] = ctx.unknown(exc, "sqs:GetQueueAttributes")
        return ctx.resource(QUEUE, arn or url, props, arn=arn, name=name, live={"url": url})

    urls = list(ctx.paginate("sqs", "list_queues", "QueueUrls"))
    yield from per_resource(read, urls)

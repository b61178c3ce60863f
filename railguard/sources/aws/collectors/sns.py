"""SNS topics and subscriptions: `AWS::SNS::Topic` and `AWS::SNS::Subscription`, per region.

Calls per region: `ListSubscriptions` (paginated) when subscriptions are wanted (the CIS
section 4 alarm checks need only these); `ListTopics` (paginated) and one
`GetTopicAttributes` per topic only when topics are wanted (topic encryption).

Topic properties (CloudFormation shape): TopicName, KmsMasterKeyId, FifoTopic; a denied
GetTopicAttributes makes KmsMasterKeyId `Unknown`. Live facts: arn.

`AWS::SNS::TopicPolicy` (one per topic, when that type is wanted; the same GetTopicAttributes call
answers it): `{"Topics": [topic ARN], "PolicyDocument": parsed JSON}`, id `<topic ARN>#policy`; a
denied call makes PolicyDocument `Unknown`.

Subscription properties: TopicArn, Protocol, Endpoint (for http/https the query string is
dropped: it may carry a token). Live facts: confirmed (False for a subscription still
`PendingConfirmation`: it delivers nothing, so it does not count as a subscriber),
subscription_arn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, json_document, per_resource

TOPIC = "AWS::SNS::Topic"
TOPIC_POLICY = "AWS::SNS::TopicPolicy"
SUBSCRIPTION = "AWS::SNS::Subscription"
_UNCONFIRMED = {"PendingConfirmation", "Deleted", ""}


def _endpoint(protocol: str, endpoint: str) -> str:
    if protocol in ("http", "https"):
        return endpoint.split("?", 1)[0]
    return endpoint


@collector(
    "sns",
    yields=[TOPIC, TOPIC_POLICY, SUBSCRIPTION],
    scope=REGIONAL,
    calls=["sns:ListTopics", "sns:GetTopicAttributes", "sns:ListSubscriptions"],
)
def collect_sns(ctx: CollectContext) -> Iterator[Resource]:
    if ctx.wants(SUBSCRIPTION):
        for i, s in enumerate(ctx.paginate("sns", "list_subscriptions", "Subscriptions")):
            sub_arn = s.get("SubscriptionArn") or ""
            confirmed = sub_arn not in _UNCONFIRMED
            topic = s.get("TopicArn", "")
            props = {"TopicArn": topic, "Protocol": s.get("Protocol", ""),
                     "Endpoint": _endpoint(s.get("Protocol", ""), s.get("Endpoint", ""))}
            rid = sub_arn if confirmed else f"{topic}#{sub_arn or 'unconfirmed'}#{i}"
            yield ctx.resource(SUBSCRIPTION, rid, props, arn=sub_arn if confirmed else None,
                               live={"confirmed": confirmed, "subscription_arn": sub_arn})
    if not ctx.wants(TOPIC, TOPIC_POLICY):
        return
    client = ctx.client("sns")
    want_policy = ctx.wants(TOPIC_POLICY)

    def read(arn: str) -> list[Resource]:
        name = arn.rsplit(":", 1)[-1]
        props: dict[str, Any] = {"TopicName": name}
        policy: Any = None
        try:
            attrs = client.get_topic_attributes(TopicArn=arn).get("Attributes", {})
            if attrs.get("KmsMasterKeyId"):
                props["KmsMasterKeyId"] = attrs["KmsMasterKeyId"]
            if "FifoTopic" in attrs:
                props["FifoTopic"] = str(attrs["FifoTopic"]).lower() == "true"
            policy = json_document(attrs.get("Policy"))
        except Exception as exc:
            props["KmsMasterKeyId"] = policy = ctx.unknown(exc, "sns:GetTopicAttributes")
        out = [ctx.resource(TOPIC, arn, props, arn=arn, name=name, live={"arn": arn})]
        if want_policy and policy is not None:
            out.append(ctx.resource(TOPIC_POLICY, f"{arn}#policy", {"Topics": [arn], "PolicyDocument": policy},
                                    name=f"{name} policy"))
        return out

    topics = [t["TopicArn"] for t in ctx.paginate("sns", "list_topics", "Topics")]
    for found in per_resource(read, topics):
        yield from found

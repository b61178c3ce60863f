"""CloudWatch metric alarms: `AWS::CloudWatch::Alarm`, per region.

Calls per region: `DescribeAlarms` (paginated, metric alarms only).

Properties (CloudFormation shape): AlarmName, MetricName, Namespace, Statistic, Period,
EvaluationPeriods, Threshold, ComparisonOperator, Dimensions, ActionsEnabled, AlarmActions,
OKActions, InsufficientDataActions, Metrics (metric-math alarms). Live facts: state_value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector

ALARM = "AWS::CloudWatch::Alarm"

_FIELDS = ("AlarmName", "MetricName", "Namespace", "Statistic", "Period", "EvaluationPeriods", "Threshold",
           "ComparisonOperator", "Dimensions", "ActionsEnabled", "AlarmActions", "OKActions",
           "InsufficientDataActions", "Metrics")


@collector("cloudwatch", yields=[ALARM], scope=REGIONAL, calls=["cloudwatch:DescribeAlarms"])
def collect_alarms(ctx: CollectContext) -> Iterator[Resource]:
    for a in ctx.paginate("cloudwatch", "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"]):
        props: dict[str, Any] = {k: a[k] for k in _FIELDS if a.get(k) is not None}
        arn = a.get("AlarmArn")
        yield ctx.resource(ALARM, arn or f"{ctx.region}:{a['AlarmName']}", props, arn=arn,
                           name=a["AlarmName"], live={"state_value": a.get("StateValue")})

"""CloudWatch Logs metric filters: `AWS::Logs::MetricFilter`, per region.

Calls per region: `DescribeMetricFilters` (paginated, every log group at once).

Properties (CloudFormation shape): FilterName, LogGroupName, FilterPattern,
MetricTransformations [{MetricName, MetricNamespace, MetricValue, DefaultValue, Unit}].
No live facts. The resource id is `<region>:<log group>:<filter name>` (filters have no ARN).
"""

from __future__ import annotations

from collections.abc import Iterator

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector

METRIC_FILTER = "AWS::Logs::MetricFilter"

_TRANSFORM_KEYS = {"metricName": "MetricName", "metricNamespace": "MetricNamespace",
                   "metricValue": "MetricValue", "defaultValue": "DefaultValue", "unit": "Unit"}


@collector("logs", yields=[METRIC_FILTER], scope=REGIONAL, calls=["logs:DescribeMetricFilters"])
def collect_metric_filters(ctx: CollectContext) -> Iterator[Resource]:
    for f in ctx.paginate("logs", "describe_metric_filters", "metricFilters"):
        group, name = f.get("logGroupName", ""), f.get("filterName", "")
        props = {
            "FilterName": name,
            "LogGroupName": group,
            "FilterPattern": f.get("filterPattern", ""),
            "MetricTransformations": [
                {cf: t[k] for k, cf in _TRANSFORM_KEYS.items() if k in t}
                for t in f.get("metricTransformations", [])
            ],
        }
        yield ctx.resource(METRIC_FILTER, f"{ctx.region}:{group}:{name}", props, name=name)

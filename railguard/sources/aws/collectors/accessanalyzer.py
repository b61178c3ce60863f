"""IAM Access Analyzer: the analyzers of each region (one paginated `ListAnalyzers` per region).

`AWS::AccessAnalyzer::Analyzer`: properties AnalyzerName, Type (ACCOUNT, ORGANIZATION,
ACCOUNT_UNUSED_ACCESS, ...), Tags; live `status` (ACTIVE, CREATING, DISABLED, FAILED) and
`status_reason`. A failed `ListAnalyzers` (denied, or moto, which does not implement the
service) raises, so the runner records a gap for the region and the controls say UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Iterator

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector

ANALYZER = "AWS::AccessAnalyzer::Analyzer"


@collector("accessanalyzer", yields=[ANALYZER], scope=REGIONAL, calls=["access-analyzer:ListAnalyzers"])
def collect_analyzers(ctx: CollectContext) -> Iterator[Resource]:
    for a in ctx.paginate("accessanalyzer", "list_analyzers", "analyzers"):
        tags = dict(a.get("tags") or {})
        props = {
            "AnalyzerName": a["name"],
            "Type": a.get("type"),
            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        }
        live = {"status": a.get("status"), "status_reason": (a.get("statusReason") or {}).get("code")}
        yield ctx.resource(ANALYZER, a["arn"], props, arn=a["arn"], tags=tags, live=live, name=a["name"])

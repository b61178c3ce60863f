"""Full JSON report: every framework item with its result, offenders and the run's gaps."""

from __future__ import annotations

import json
from typing import Any

from railguard.model import RunResult


def to_dict(run: RunResult) -> dict[str, Any]:
    return {
        "kind": run.kind,
        "started_at": run.started_at,
        "duration_s": run.duration_s,
        "accounts": run.accounts,
        "regions": run.regions,
        "frameworks": [{"id": f.id, "title": f.title, "version": f.version} for f in run.frameworks],
        "summary": {f.id: run.counts(run.items_of(f.id)) for f in run.frameworks},
        "items": [
            {
                "framework": i.framework,
                "id": i.id,
                "title": i.title,
                "section": i.section,
                "level": i.level,
                "assessment": i.assessment,
                "result": i.result.value,
                "severity": i.severity.value if i.severity else None,
                "controls": i.controls,
                "note": i.note,
                "reason": i.reason,
                "offenders": [f.to_dict() for f in i.offenders],
                "checked": len(i.findings),
            }
            for i in run.items
        ],
        "gaps": [{"type": g.type, "account": g.account, "region": g.region, "reason": g.reason} for g in run.gaps],
        "api_calls": {"total": run.api_call_total, "by_operation": dict(sorted(run.api_calls.items()))},
        "errors": run.errors,
        "meta": run.meta,
    }


def render(run: RunResult) -> str:
    return json.dumps(to_dict(run), indent=2, default=str)

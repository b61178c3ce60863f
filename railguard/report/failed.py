"""The failed-items summary: what a CI step or a ticket bot reads to know which items FAIL.

Shape:

- one framework in the run: `{"Failed": ["1.4", "2.1.1", ...]}`, the ids of the items whose
  result is FAIL, in the framework's order. Nothing else, so `jq .Failed` keeps working.
- several frameworks: `{"Failed": ["cis-aws-foundations-3.0:1.4", "railguard-baseline:iam.root-mfa",
  ...], "ByFramework": {"cis-aws-foundations-3.0": ["1.4"], "railguard-baseline": [...]}}`: ids
  prefixed with their framework id (item ids collide across frameworks), and the unprefixed
  ids per framework (every framework of the run has a key, with `[]` when nothing fails).
- a run without framework items (an IaC scan of controls only): `{"Failed": [control ids]}`,
  the distinct control ids with at least one FAIL finding, sorted.
"""

from __future__ import annotations

import json
from typing import Any

from railguard.model import Result, RunResult


def summary(run: RunResult) -> dict[str, Any]:
    if not run.items:
        return {"Failed": sorted({f.control_id for f in run.findings if f.result == Result.FAIL})}
    fw_ids = [f.id for f in run.frameworks] or list(dict.fromkeys(i.framework for i in run.items))
    by_fw: dict[str, list[str]] = {fid: [] for fid in fw_ids}
    for i in run.items:
        if i.result == Result.FAIL:
            by_fw.setdefault(i.framework, []).append(i.id)
    if len(by_fw) == 1:
        return {"Failed": next(iter(by_fw.values()))}
    return {
        "Failed": [f"{fid}:{iid}" for fid, ids in by_fw.items() for iid in ids],
        "ByFramework": by_fw,
    }


def render(run: RunResult) -> str:
    return json.dumps(summary(run), indent=2) + "\n"

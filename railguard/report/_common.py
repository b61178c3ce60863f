"""Helpers the report writers share: where a finding is, which items it serves, section scores.

Kept here so that every format says the same thing about the same run: a finding's location
reads `file:line` for a template and `account/region` for a live resource in JSON, CSV, HTML,
SARIF and JUnit alike.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from railguard.model import GLOBAL, Finding, ItemResult, Result, RunResult

# Results a reader has to look at, in the order reports list them (worst first).
RESULT_ORDER = [Result.FAIL, Result.ERROR, Result.UNKNOWN, Result.SUPPRESSED, Result.MANUAL, Result.PASS]


def finding_key(f: Finding) -> tuple[str, str, str]:
    """Identity of a finding across the run's lists (the same control may run with several params)."""
    return f.control_id, f.fingerprint, compact_json(f.params)


def compact_json(value: Any) -> str:
    """Evidence and params as one line of JSON; anything not JSON-native is shown as its str()."""
    if not value and isinstance(value, dict):
        return "{}"  # most findings have no params: every report keys every finding by them
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str, ensure_ascii=False)


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of evidence (Unknown, sets, datetimes become strings or lists)."""
    if not value and isinstance(value, dict):
        return {}
    try:  # the same copy, made in C (a large IaC report copies the evidence of 100,000 findings)
        return orjson.loads(orjson.dumps(value, default=str, option=_ORJSON_PASSTHROUGH))
    except (TypeError, orjson.JSONEncodeError):  # non-string keys, integers beyond 64 bits
        result: Any = json.loads(json.dumps(value, default=str))
        return result


# what `json.dumps(default=str)` shows as its str(), orjson must not write in its own form
_ORJSON_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def location(f: Finding) -> str:
    """`file:line` for a template resource, `account/region` for a live one."""
    if f.origin.file:
        return f"{f.origin.file}:{f.origin.line}" if f.origin.line else f.origin.file
    return f"{f.account or '-'}/{f.region or GLOBAL}"


def item_ref(item: ItemResult) -> str:
    return f"{item.framework}:{item.id}"


def finding_refs(run: RunResult) -> dict[tuple[str, str, str], list[str]]:
    """For every finding, the framework items (`framework:item`) it serves, in run order."""
    refs: dict[tuple[str, str, str], list[str]] = {}
    for item in run.items:
        for f in item.findings:
            lst = refs.setdefault(finding_key(f), [])
            ref = item_ref(item)
            if ref not in lst:
                lst.append(ref)
    return refs


def item_refs(run: RunResult) -> dict[str, list[str]]:
    """For every item (`framework:item`), the items of other frameworks that share a control."""
    by_control: dict[str, list[ItemResult]] = {}
    for item in run.items:
        for cid in item.controls:
            by_control.setdefault(cid, []).append(item)
    out: dict[str, list[str]] = {}
    for item in run.items:
        seen: list[str] = []
        for cid in item.controls:
            for other in by_control.get(cid, []):
                ref = item_ref(other)
                if other.framework != item.framework and ref not in seen:
                    seen.append(ref)
        out[item_ref(item)] = seen
    return out


def suppressed(item: ItemResult) -> list[Finding]:
    return [f for f in item.findings if f.result == Result.SUPPRESSED]


@dataclass(frozen=True)
class Score:
    """Counts of one section (or framework) and the share of assessed items that pass.

    `percent` is PASS / (PASS + FAIL + UNKNOWN): MANUAL and SUPPRESSED items are not
    assessed by railguard and do not count; UNKNOWN counts against the score because an
    item that could not be checked is not known to be compliant. None when nothing counts.
    """

    counts: Mapping[str, int]
    total: int

    @property
    def assessed(self) -> int:
        return sum(self.counts.get(r.value, 0) for r in (Result.PASS, Result.FAIL, Result.UNKNOWN, Result.ERROR))

    @property
    def percent(self) -> int | None:
        if not self.assessed:
            return None
        return round(100 * self.counts.get(Result.PASS.value, 0) / self.assessed)

    def share(self, result: str) -> float:
        """Width of a result's segment in a stacked bar, as a percentage of all items."""
        return round(100 * self.counts.get(result, 0) / self.total, 2) if self.total else 0.0


def score(items: Iterable[ItemResult]) -> Score:
    c: Counter[str] = Counter(i.result.value for i in items)
    counts = {r.value: c.get(r.value, 0) for r in Result}
    return Score(counts, sum(counts.values()))


def sections(items: Iterable[ItemResult]) -> list[tuple[str, list[ItemResult]]]:
    """Items grouped by section, sections in the order the framework lists them."""
    out: dict[str, list[ItemResult]] = {}
    for i in items:
        out.setdefault(i.section or "(no section)", []).append(i)
    return list(out.items())


def failed_findings(run: RunResult) -> list[Finding]:
    """Findings a CI reader acts on (FAIL, UNKNOWN, ERROR, SUPPRESSED), each once, in run order."""
    seen: set[tuple[str, str, str, str, str]] = set()
    out = []
    for f in run.findings:
        if f.result == Result.PASS or f.result == Result.MANUAL:
            continue
        key = (*finding_key(f), f.result.value, f.reason)
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    return out

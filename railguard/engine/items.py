"""Map findings onto framework items: one finding may answer several items and frameworks."""

from __future__ import annotations

from collections import defaultdict

from railguard.controls import has_control
from railguard.engine.plan import Plan, params_key
from railguard.model import Finding, FrameworkInfo, ItemResult, Result, Severity

_ROLLUP = {Result.ERROR: Result.UNKNOWN}


def rollup(findings: list[Finding]) -> tuple[Result, str]:
    """The item's result is its worst finding; with no finding at all, nothing violates it."""
    if not findings:
        return Result.PASS, "no resources in scope"
    worst = max(findings, key=lambda f: f.result.rank)
    result = _ROLLUP.get(worst.result, worst.result)
    if result == Result.PASS:
        return result, ""
    reasons = list(dict.fromkeys(f.reason for f in findings if f.result == worst.result and f.reason))
    reason = "; ".join(reasons[:3]) + (f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else "")
    return result, reason


def map_items(plan: Plan, findings: list[Finding]) -> tuple[list[FrameworkInfo], list[ItemResult]]:
    by_key: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        by_key[(f.control_id, params_key(f.params))].append(f)
    infos: list[FrameworkInfo] = []
    items: list[ItemResult] = []
    for fw in plan.frameworks:
        infos.append(FrameworkInfo(fw.id, fw.title, fw.version))
        for item in fw.items:
            planned = plan.item_controls(fw, item)
            base = ItemResult(
                framework=fw.id, id=item.id, title=item.title, section=item.section,
                result=Result.MANUAL, level=item.level, assessment=item.assessment,
                controls=list(item.controls), note=item.note,
            )
            if item.not_implemented:
                base.reason = f"not implemented in railguard: {item.not_implemented}; check it by hand"
                base.assessment = "not implemented"
                items.append(base)
                continue
            if item.is_manual:
                base.reason = item.guidance or f"needs a person: {item.title}"
                items.append(base)
                continue
            if not planned:
                if any(has_control(cid) for cid in item.controls):
                    continue  # filtered out by --controls / --severity / place: not part of this run
                base.result = Result.UNKNOWN
                base.reason = f"no implementation of {', '.join(item.controls)} in this version"
                items.append(base)
                continue
            item_findings = [f for pc in planned for f in by_key.get(pc.key, [])]
            base.result, base.reason = rollup(item_findings)
            not_run = [cid for cid in item.controls if cid not in {pc.control.id for pc in planned}]
            if not_run and base.result == Result.PASS:
                # part of the item was not assessed (--controls / --severity, or not implemented):
                # what ran passing does not make the item pass
                base.result = Result.UNKNOWN
                base.reason = f"only part of the item was assessed; not run: {', '.join(not_run)}"
            base.findings = item_findings
            severities = [pc.control.severity for pc in planned]
            base.severity = max(severities, key=lambda s: s.rank) if severities else Severity.INFO
            items.append(base)
    return infos, items

"""Gaps grouped for people: one line per collector (or resource types) and reason, with the
regions it hit, so that a denied service in 38 regions reads as one line, not 38.

The machine formats (JSON, CSV, SARIF) keep every gap as it is; this is for the terminal and HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from railguard.model import GLOBAL, Gap

REGION_PLACEHOLDER = "<region>"


@dataclass
class GapGroup:
    reason: str  # the region, when the reason names it, replaced by <region>
    account: str  # "all accounts" when the gap covers every account
    collector: str | None = None
    types: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)  # "global" for account-wide gaps
    count: int = 0  # gaps folded into this line

    @property
    def what(self) -> str:
        """The collector's name when known, else the resource types."""
        return self.collector or ", ".join(self.types)

    @property
    def where(self) -> str:
        regions = self.regions
        shown = "global" if regions == [GLOBAL] else ", ".join(regions)
        n = f"{len(regions)} regions: " if len(regions) > 1 else ""
        return f"{self.account}; {n}{shown}"

    def line(self) -> str:
        return f"{self.what} ({self.where}): {self.reason}"


def _normal_reason(g: Gap) -> str:
    if g.region and g.region != GLOBAL and g.region in g.reason:
        return g.reason.replace(g.region, REGION_PLACEHOLDER)
    return g.reason


def group_gaps(gaps: Iterable[Gap]) -> list[GapGroup]:
    """Gaps folded by (collector, account, reason), in first-seen order; types and regions sorted."""
    groups: dict[tuple[str | None, str, str], GapGroup] = {}
    for g in gaps:
        collector = getattr(g, "collector", None) or None
        account = g.account or "all accounts"
        reason = _normal_reason(g)
        key = (collector, account, reason)
        grp = groups.get(key)
        if grp is None:
            grp = groups[key] = GapGroup(reason, account, collector)
        grp.count += 1
        if g.type not in grp.types:
            grp.types.append(g.type)
        if (g.region or GLOBAL) not in grp.regions:
            grp.regions.append(g.region or GLOBAL)
    for grp in groups.values():
        grp.types.sort()
        grp.regions.sort(key=lambda r: (r != GLOBAL, r))
    return list(groups.values())

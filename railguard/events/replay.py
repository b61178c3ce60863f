"""`railguard events replay`: run the detections over CloudTrail log files in event-time order.

Streaming end to end: local files are listed a day at a time and opened as the merge reaches
them, each detection is handed to `on_detection` as soon as its record is processed, and the
only state kept is the rules' windows (bounded by their lengths) and a few small caches. Bad files and records are counted per file and the replay goes on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from railguard.events.detection import Detection
from railguard.events.detector import Detector
from railguard.events.touched import table
from railguard.sources.cloudtrail import LogFile, Problem, iter_log_files, merged_records
from railguard.sources.cloudtrail.merge import DEFAULT_SLACK
from railguard.sources.cloudtrail.records import fewer_gc_passes

log = logging.getLogger("railguard.events")


@dataclass
class ReplayStats:
    files: int = 0
    records: int = 0
    detections: int = 0
    late: int = 0  # records older than one already processed by more than the merge's slack
    problems: list[Problem] = field(default_factory=list)
    unmapped: Counter[str] = field(default_factory=Counter)  # eventSource -> records no table entry or rule reads
    first: str = ""
    last: str = ""

    @property
    def bad_records(self) -> int:
        return sum(p.count for p in self.problems if p.kind == "bad-record")

    @property
    def bad_files(self) -> int:
        return sum(1 for p in self.problems if p.kind != "bad-record")


def known_sources(detector: Detector) -> frozenset[str]:
    rule_sources = {ctx.rule.source for ctx in detector.contexts.values() if ctx.rule.source}
    return frozenset({s for s, _ in table()} | rule_sources | {"sts.amazonaws.com", "signin.amazonaws.com"})


def replay(
    location: str,
    detector: Detector,
    on_detection: Callable[[Detection], None],
    *,
    s3_client: Callable[[], Any] | None = None,
    slack: timedelta = DEFAULT_SLACK,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> ReplayStats:
    """Replay every log file under `location` (a path or s3://bucket/prefix)."""
    stats = ReplayStats()
    files = iter_log_files(location, s3_client)
    known = known_sources(detector)

    def problem(p: Problem) -> None:
        stats.problems.append(p)
        log.warning("skipped input: %s", p.line())

    def counted(files: Iterator[LogFile]) -> Iterator[LogFile]:
        for f in files:
            stats.files += 1
            yield f

    last = ""
    process = detector.process
    n = late = 0
    with fewer_gc_passes():
        for rec in merged_records(counted(files), problem, slack=slack):
            n += 1
            t = rec["eventTime"]
            if t < last:
                late += 1
            else:
                last = t
            src = rec["eventSource"]  # a str: `usable` dropped records without one
            if src not in known:
                stats.unmapped[src] += 1
            dets = process(rec)
            if dets:
                stats.detections += len(dets)
                for det in dets:
                    on_detection(det)
            if on_record is not None:
                on_record(rec)
            if n == 1:
                stats.first = t
    stats.records, stats.late, stats.last = n, late, last
    return stats

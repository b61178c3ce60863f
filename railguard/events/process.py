"""One record in, decisions out: the detections, then (when guardrails are loaded) the touched resources.

Shared by the queue worker, the Lambda handler and `events replay --guardrails`, so the three
decide identically. Detections go to `on_detection` (stdout as JSON lines by default); the
responder, when there is one, re-reads what the record touched and hands failing controls to
the remediation pipeline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from railguard.events.detection import Detection
from railguard.events.detector import Detector

log = logging.getLogger("railguard.events")


class CaseHandler(Protocol):
    def handle(self, rec: dict[str, Any], detections: list[Detection]) -> int:
        """Open (or name) the cases the record and its detections call for; how many were asked for."""
        ...


class Responder(Protocol):
    def handle(self, rec: dict[str, Any]) -> int:
        """Act on what the record touched; the number of pipeline items produced."""
        ...


@dataclass
class Counters:
    records: int = 0
    duplicates: int = 0
    detections: int = 0
    actions: int = 0
    cases: int = 0
    bad: int = 0
    failed: int = 0
    decision_ns: list[int] = field(default_factory=list)  # detector time per record (no AWS calls)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}


class Processor:
    def __init__(
        self,
        detector: Detector,
        on_detection: Callable[[Detection], None],
        responder: Responder | None = None,
        *,
        keep_latency: bool = False,
        cases: CaseHandler | None = None,
    ) -> None:
        self.detector = detector
        self.on_detection = on_detection
        self.responder = responder
        self.cases = cases  # opens the incident-response cases records and detections call for (`--open-cases`)
        self.counters = Counters()
        self.keep_latency = keep_latency

    def process(self, rec: dict[str, Any]) -> list[Detection]:
        """Detections for `rec`, after acting on what it touched. Exceptions from the responder propagate
        (the worker retries the message); detections were already handed on by then."""
        c = self.counters
        c.records += 1
        t0 = time.perf_counter_ns()
        found = self.detector.process(rec)
        if self.keep_latency:
            c.decision_ns.append(time.perf_counter_ns() - t0)
        for d in found:
            c.detections += 1
            self.on_detection(d)
        if self.responder is not None:
            c.actions += self.responder.handle(rec)
            heal = getattr(self.responder, "autoheal", None)
            if heal is not None:
                for d in found:
                    actions = self.detector.contexts[d.rule].rule.autoheal
                    if actions:
                        c.actions += heal(rec, d.rule, actions)
        if self.cases is not None:
            c.cases += self.cases.handle(rec, found)
        return found


def print_detection(det: Detection) -> None:
    """JSON line on stdout (CloudWatch Logs, a log shipper, a pipe)."""
    import sys

    import orjson

    sys.stdout.write(orjson.dumps({"detection": det.to_dict()}).decode() + "\n")
    sys.stdout.flush()

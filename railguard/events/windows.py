"""The detector's windows in the store, so a restarted `railguard watch` keeps its bursts and learned state.

A worker's life is a run of kind `watch` in the store (`store.runs`); its detector state
(`Detector.save()`: sliding windows, learned log buckets and instance addresses) is written into
that run's meta at every heartbeat and at stop, and a starting worker restores the newest state a
worker of the same queue left. Several workers on one queue each hold the windows of the records
they received: a burst split between two workers is seen by neither in full (documented limit).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from railguard.events.detector import Detector

log = logging.getLogger("railguard.watch")
KIND = "watch"


class StoredWindows:
    def __init__(self, store: Any, detector: Detector, queue: str) -> None:
        self.store = store
        self.detector = detector
        self.queue = queue
        self.run_id: str = store.runs.start(KIND, trigger="event", meta={"queue": queue}).id

    def restore(self) -> bool:
        """Load the newest saved state of a previous worker on this queue; True when there was one."""
        for run in self.store.runs.latest(KIND, limit=50):
            meta = run.meta or {}
            if run.id == self.run_id or meta.get("queue") != self.queue or not isinstance(meta.get("windows"), dict):
                continue
            self.detector.restore(meta["windows"])
            log.info("detector windows restored from run %s", run.id)
            return True
        return False

    def save(self, counters: Mapping[str, Any] | None = None, *, final: bool = False) -> None:
        """Write the windows (each heartbeat, and once more at stop)."""
        self.store.runs.finish(self.run_id, counts=dict(counters or {}), status="ok" if final else "running",
                               meta={"windows": self.detector.save()})

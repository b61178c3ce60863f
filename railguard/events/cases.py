"""Events that open incident-response cases (`railguard watch --open-cases`).

Each record, and each detection the record completed, goes through `railguard.ir.triggers.request_for`: a
`Tainted` tag put on an instance, instance credentials used outside AWS, a root key used. What it asks for is
said on stdout as a JSON line (`{"case": ...}`), and with `apply` the case is opened and run with every safeguard
of a manual one (isolation breaker, critical tag, approvals). A subject gets one case however often it is asked
for: the worker acts once per event id, and `request_case` reuses the case still active on the subject.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from railguard.events.detection import Detection

log = logging.getLogger("railguard.events")

ACTOR = "railguard-events"


def print_case(line: Mapping[str, Any]) -> None:
    import orjson

    sys.stdout.write(orjson.dumps({"case": dict(line)}).decode() + "\n")
    sys.stdout.flush()


class CaseOpener:
    """Opens (with `apply`) or names (dry run) the cases records and detections call for."""

    def __init__(self, sessions: Any, store: Any, *, apply: bool = False, options: Mapping[str, Any] | None = None,
                 on_case: Callable[[Mapping[str, Any]], None] = print_case) -> None:
        self.sessions = sessions  # railguard.events.respond.SessionPool
        self.store = store
        self.apply = apply
        self.options = dict(options or {})
        self.on_case = on_case

    def handle(self, rec: dict[str, Any], detections: Iterable[Detection]) -> int:
        """The cases this record calls for: opened and run (apply), else only said. The number asked for."""
        from railguard.ir.triggers import request_for

        asked = [request_for(rec), *(request_for(d.to_dict()) for d in detections)]
        seen: set[tuple[str, str]] = set()
        for r in asked:
            if r is None or (r.kind, r.subject) in seen:
                continue
            seen.add((r.kind, r.subject))
            line = {"kind": r.kind, "subject": r.subject, "account": r.account, "region": r.region,
                    "trigger": r.trigger, "reason": r.reason, "event_id": rec.get("eventID")}
            if not self.apply:
                self.on_case({**line, "status": "would-open"})
                continue
            self.on_case({**line, **self._open(r)})
        return len(seen)

    def _open(self, r: Any) -> dict[str, Any]:
        from railguard.ir import service

        session = self.sessions.for_account(r.account or "")
        if session is None:
            log.warning("case for %s %s in account %s: no session (set --role-name to reach other accounts)",
                        r.kind, r.subject, r.account)
            return {"status": "not-opened", "message": f"no session for account {r.account}"}
        region = r.region or session.session.region_name or "us-east-1"
        req = service.request_case(self.store, session, r.kind, r.subject, region, trigger=r.trigger, actor=ACTOR,
                                   reason=r.reason, options=self.options)
        if not req.opened:
            return {"case_id": req.case.id, "status": req.case.status, "opened": False,
                    "message": f"case {req.case.id} already handles {r.subject}"}
        assert req.result is not None
        if req.result.status != "done":
            log.warning("case %s (%s %s): %s: %s", req.case.id, r.kind, r.subject, req.result.status, req.result.message)
        return {"case_id": req.case.id, "status": req.result.status, "opened": True, "message": req.result.message}

"""Approving a held isolation through `railguard approvals approve ID`: the case resumes from where
its safeguard stopped it (only capture had run), with the approver recorded on the case and the
journal row. The journal row ends applied when the workflow finishes, failed when a step stops it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from railguard.store.journal import CLAIMED, PENDING

if TYPE_CHECKING:
    from railguard.store import Store
    from railguard.store.models import ActionRow


def approve_case(store: Store, row: ActionRow, sessions: Mapping[str, Any], *, approver: str) -> ActionRow:
    from railguard.ir import service
    from railguard.ir.workflow import IrError
    from railguard.remediation.approvals import ApprovalError

    case_id = (row.params or {}).get("case_id")
    case = store.cases.get(case_id) if case_id else None
    if case is None:
        raise ApprovalError(f"action {row.id} names no incident-response case in this store")
    session = sessions.get(case.account or "") or (next(iter(sessions.values())) if len(sessions) == 1 else None)
    if session is None:
        raise ApprovalError(f"no AWS session for account {case.account}")
    claimed = store.journal.transition(row.id, [PENDING], status=CLAIMED, approver=approver)
    if claimed is None:
        raise ApprovalError(f"action {row.id} was approved or rejected by someone else meanwhile")
    store.cases.update(case.id, params={**case.params, "approved_by": approver}, journal_id=row.id)
    try:
        service.run(store, session, case.id, actor=approver)
    except IrError as exc:
        store.journal.transition(row.id, [CLAIMED], status="failed", error=str(exc)[:2000])
    final = store.journal.get(row.id)
    assert final is not None
    return final

"""Incident-response cases: a workflow's ordered steps and its evidence, kept as a chain of custody.

A case is one workflow (isolate an instance, contain a principal) on one subject. Each step is a row
keyed by (case, phase, name): a step recorded `done` is never run again, which is what makes
`railguard ir resume` safe after a crash. Artefacts (what capture read) are stored with the SHA-256
of their canonical bytes, who captured them and when; nothing here is ever deleted by a release.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from railguard.store.models import Base
from railguard.store.store import new_id, utcnow

if TYPE_CHECKING:
    from railguard.store.store import Store

# case statuses
OPEN = "open"  # created, nothing run yet
RUNNING = "running"
WAITING = "waiting-approval"  # a safeguard holds it: `railguard approvals approve ID` goes on
STOPPED = "stopped"  # a step failed: `railguard ir resume` goes on from there
DONE = "done"  # every step of the workflow done
RELEASING = "releasing"
RELEASED = "released"
REJECTED = "rejected"
ACTIVE = (OPEN, RUNNING, WAITING, STOPPED, DONE, RELEASING)  # a case on its subject that a new trigger reuses

# step statuses
STEP_DONE = "done"
STEP_FAILED = "failed"
STEP_SKIPPED = "skipped"  # nothing to do (no Elastic IP, not in an Auto Scaling group...)


class CaseRow(Base):
    """One incident-response workflow on one subject (an instance, a user, a role)."""

    __tablename__ = "ir_cases"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # isolate | contain
    subject: Mapped[str] = mapped_column(String(512), index=True)
    subject_type: Mapped[str] = mapped_column(String(128))
    account: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    trigger: Mapped[str] = mapped_column(String(64), default="manual")
    opened_by: Mapped[str | None] = mapped_column(String(256))
    journal_id: Mapped[str | None] = mapped_column(String(32))  # the journal row that claims (or waits for) it
    message: Mapped[str] = mapped_column(Text, default="")  # the last word: what was and was not done
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseStep(Base):
    """One step of a case: who ran it, when, what it did (with the prior state that undoes it), the result."""

    __tablename__ = "ir_case_steps"
    __table_args__ = (UniqueConstraint("case_id", "phase", "name", name="uq_ir_case_steps_case_phase_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("ir_cases.id"), index=True)
    phase: Mapped[str] = mapped_column(String(16))  # respond | release
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(256))
    summary: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what was done, prior state, ids created
    error: Mapped[str | None] = mapped_column(Text)
    calls: Mapped[int] = mapped_column(Integer, default=0)  # AWS requests the step made
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class CaseArtefact(Base):
    """Evidence: what was read, its SHA-256, who captured it and when."""

    __tablename__ = "ir_case_artefacts"
    __table_args__ = (UniqueConstraint("case_id", "name", name="uq_ir_case_artefacts_case_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("ir_cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(128))  # the API call: ec2:DescribeInstances
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly the bytes hashed
    captured_by: Mapped[str | None] = mapped_column(String(256))
    captured_at: Mapped[datetime]


def canonical(value: Any) -> str:
    """The bytes an artefact is hashed over: sorted keys, no spaces, datetimes as ISO strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_iso, ensure_ascii=False)


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    return str(value)


class CaseRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def open(self, *, kind: str, subject: str, subject_type: str, account: str | None, region: str | None,
             params: Mapping[str, Any], trigger: str = "manual", opened_by: str | None = None) -> CaseRow:
        now = utcnow()
        row = CaseRow(id=new_id("case"), kind=kind, subject=subject, subject_type=subject_type, account=account,
                      region=region, status=OPEN, params=dict(params), trigger=trigger, opened_by=opened_by,
                      message="", created_at=now, updated_at=now)
        with self._store.transaction() as s:
            s.add(row)
        return row

    def open_once(self, *, kind: str, subject: str, account: str | None, **fields: Any) -> tuple[CaseRow, bool]:
        """The active case of this kind on this subject, or a new one: (case, opened). Serialised per subject
        (the breaker lock), so a trigger delivered twice, or seen by two workers at once, opens one case."""
        from railguard.store.journal import Journal

        lock = "ir-case:" + hashlib.sha256(f"{kind}|{account}|{subject}".encode()).hexdigest()[:32]
        with self._store.transaction() as s:
            Journal._lock_breaker(s, lock)
            existing = s.scalar(select(CaseRow).where(
                CaseRow.kind == kind, CaseRow.subject == subject, CaseRow.account == account,
                CaseRow.status.in_(ACTIVE)).order_by(CaseRow.created_at).limit(1))
            if existing is not None:
                return existing, False
            now = utcnow()
            row = CaseRow(id=new_id("case"), kind=kind, subject=subject, account=account, status=OPEN, message="",
                          created_at=now, updated_at=now, **{"trigger": "manual", "params": {}, **fields})
            s.add(row)
            return row, True

    def active(self, kind: str, subject: str, account: str | None) -> CaseRow | None:
        """The case of this kind still open (not released or rejected) on this subject, if any."""
        with self._store.transaction() as s:
            return s.scalar(select(CaseRow).where(
                CaseRow.kind == kind, CaseRow.subject == subject, CaseRow.account == account,
                CaseRow.status.in_(ACTIVE)).order_by(CaseRow.created_at).limit(1))

    def get(self, case_id: str) -> CaseRow | None:
        with self._store.transaction() as s:
            return s.get(CaseRow, case_id)

    def update(self, case_id: str, **fields: Any) -> CaseRow:
        return self._store.update_row(CaseRow, case_id, **fields)

    def query(self, *, subject: str | None = None, statuses: tuple[str, ...] = ()) -> builtins.list[CaseRow]:
        with self._store.transaction() as s:
            q = select(CaseRow).order_by(CaseRow.created_at, CaseRow.id)
            if subject:
                q = q.where(CaseRow.subject == subject)
            if statuses:
                q = q.where(CaseRow.status.in_(list(statuses)))
            return list(s.scalars(q))

    def steps(self, case_id: str, phase: str | None = None) -> builtins.list[CaseStep]:
        with self._store.transaction() as s:
            q = select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.started_at, CaseStep.id)
            if phase:
                q = q.where(CaseStep.phase == phase)
            return list(s.scalars(q))

    def step(self, case_id: str, phase: str, name: str) -> CaseStep | None:
        with self._store.transaction() as s:
            return s.scalar(select(CaseStep).where(CaseStep.case_id == case_id, CaseStep.phase == phase,
                                                   CaseStep.name == name))

    def record_step(self, case_id: str, *, phase: str, seq: int, name: str, status: str, actor: str | None,
                    summary: str, detail: Mapping[str, Any], error: str | None, calls: int,
                    started_at: datetime) -> CaseStep:
        """Write (or overwrite a failed attempt of) a step's outcome."""
        with self._store.transaction() as s:
            row = s.scalar(select(CaseStep).where(CaseStep.case_id == case_id, CaseStep.phase == phase,
                                                  CaseStep.name == name))
            if row is None:
                row = CaseStep(case_id=case_id, phase=phase, name=name, started_at=started_at)
                s.add(row)
            row.seq, row.status, row.actor, row.summary = seq, status, actor, summary
            row.detail, row.error, row.calls = _jsonable(detail), error, calls
            row.started_at, row.finished_at = started_at, utcnow()
            return row

    def add_artefact(self, case_id: str, *, name: str, source: str, value: Any,
                     captured_by: str | None) -> CaseArtefact:
        """Store `value` as canonical JSON with its SHA-256. Capturing the same name twice (a resumed
        capture) keeps the first: evidence is never overwritten."""
        text = canonical(value)
        with self._store.transaction() as s:
            existing = s.scalar(select(CaseArtefact).where(CaseArtefact.case_id == case_id,
                                                           CaseArtefact.name == name))
            if existing is not None:
                return existing
            row = CaseArtefact(case_id=case_id, name=name, source=source, sha256=sha256_of(text),
                               size=len(text.encode("utf-8")), content=text, captured_by=captured_by,
                               captured_at=utcnow())
            s.add(row)
            return row

    def artefacts(self, case_id: str) -> builtins.list[CaseArtefact]:
        with self._store.transaction() as s:
            return list(s.scalars(select(CaseArtefact).where(CaseArtefact.case_id == case_id)
                                  .order_by(CaseArtefact.id)))


def _jsonable(value: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(canonical(dict(value)))
    return result

"""One message per channel per run: counts of everything, and the most urgent items first.

Order of urgency: severity first (critical before low), then status, where what needs a human
(failed, rolled back, held, awaiting approval) comes before what is new, and what was fixed or
merely planned comes last. De-duplication across runs is the caller's: it passes only the items
that should notify (new, reopened, escalated, held, and the actions of this run).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from railguard.model import Severity
from railguard.notify.config import ChannelConfig
from railguard.notify.model import NoteItem, Notification
from railguard.notify.redact import redact_value

#: statuses in order of urgency, with the words a title uses for them
STATUS_ORDER: tuple[tuple[str, str], ...] = (
    ("failed", "failed"),
    ("rolled-back", "rolled back"),
    ("held", "held (needs a human)"),
    ("pending", "awaiting approval"),
    ("escalated", "escalated"),
    ("reopened", "reopened"),
    ("new", "new"),
    ("open", "still open"),
    ("claimed", "in progress"),
    ("applied", "fixed"),
    ("dry-run", "would be fixed (dry run)"),
    ("undone", "undone"),
    ("rejected", "rejected"),
    ("skipped", "skipped"),
    ("suppressed", "suppressed"),
    ("resolved", "resolved"),
)
_RANK = {s: i for i, (s, _) in enumerate(STATUS_ORDER)}
_LABEL = dict(STATUS_ORDER)
NEEDS_HUMAN = frozenset({"failed", "rolled-back", "held", "pending"})


def label(status: str) -> str:
    return _LABEL.get(status, status)


def urgency(item: NoteItem) -> tuple[int, int, str, str]:
    """Sort key: most severe, then most urgent status, then stable by control and resource."""
    return (-item.severity.rank, _RANK.get(item.status, len(_RANK)), item.control, item.resource)


def title_for(counts: Mapping[str, int], prefix: str = "railguard") -> str:
    parts = [f"{n} {label(s)}" for s, n in sorted(counts.items(), key=lambda kv: _RANK.get(kv[0], len(_RANK)))
             if n]
    return f"{prefix}: {', '.join(parts)}" if parts else f"{prefix}: nothing to report"


def aggregate(items: Iterable[NoteItem], *, top: int = 10, min_severity: Severity | None = None,
              run_id: str | None = None, link: str | None = None, needs_human: bool | None = None,
              prefix: str = "railguard") -> Notification | None:
    """The notification for `items`, or None when nothing is left to say (after `min_severity`).

    Counts cover every item; only the `top` most urgent are listed, each already redacted.
    `needs_human` defaults to: any item failed, rolled back, held or awaits approval."""
    kept = [i for i in items if min_severity is None or i.severity >= min_severity]
    if not kept:
        return None
    counts = Counter(i.status for i in kept)
    ordered = sorted(counts, key=lambda s: _RANK.get(s, len(_RANK)))
    listed = sorted(kept, key=urgency)[:top]
    human = any(s in NEEDS_HUMAN for s in counts) if needs_human is None else needs_human
    return Notification(
        title=redact_value(title_for(counts, prefix)),
        severity=max((i.severity for i in kept), key=lambda s: s.rank),
        counts={s: counts[s] for s in ordered},
        items=[redact_value(i.as_dict()) for i in listed],
        needs_human=human, run_id=run_id, link=link, total=len(kept),
    )


def per_channel(items_by_channel: Mapping[str, Iterable[NoteItem]], channels: Mapping[str, ChannelConfig], *,
                run_id: str | None = None, link: str | None = None) -> dict[str, Notification]:
    """One notification per channel name (each with the channel's `top` and `min_severity`).

    Channels with nothing to say are left out; a name missing from `channels` is a KeyError
    (the guardrail schema refuses unknown channel names before a run starts)."""
    out: dict[str, Notification] = {}
    for name, items in items_by_channel.items():
        cfg = channels[name]
        note = aggregate(items, top=cfg.top, min_severity=cfg.min_severity, run_id=run_id, link=link)
        if note is not None:
            out[name] = note
    return out

"""Notifications: one aggregated, redacted message per channel per run (Slack, webhook, SNS, SES, stdout).

    notes = per_channel({"slack-secops": items}, channels, run_id=run.id)
    results = deliver_all(notes, channels)          # {name: Delivery}; never raises
"""

from railguard.notify.aggregate import NEEDS_HUMAN, aggregate, per_channel, title_for
from railguard.notify.config import ChannelConfig, SesTarget
from railguard.notify.deliver import deliver, deliver_all
from railguard.notify.model import Delivery, NoteItem, Notification
from railguard.notify.redact import redact_note, redact_value

__all__ = [
    "NEEDS_HUMAN",
    "ChannelConfig",
    "Delivery",
    "NoteItem",
    "Notification",
    "SesTarget",
    "aggregate",
    "deliver",
    "deliver_all",
    "per_channel",
    "redact_note",
    "redact_value",
    "title_for",
]

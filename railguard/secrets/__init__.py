"""Secret scanning: one engine of verified rules for files, git history, IaC values and free text.

Stable public helpers: ``redact_text`` (mask every secret in a string; call it on any free text
that leaves the tool).
"""

from railguard.secrets.redact import mask, redact_text

__all__ = ["mask", "redact_text"]

"""Documented exit codes, the same for every command (see README, "Exit codes").

0  success: nothing at or above --fail-on
1  findings at or above --fail-on (or secrets found)
2  usage or input error (bad flag, bad config, unreadable file): nothing was assessed
3  environment error (no credentials, endpoint unreachable for every call)
4  the run completed but some input could not be parsed or assessed (IaC parse errors)
5  scan: nothing failed --fail-on, but items at or above it are UNKNOWN: data could not be read
   (denied, throttled, failed or malformed answers, a deadline), so the gate cannot vouch for
   them (`--fail-on-unknown` makes them failures: exit 1). The items are named on stderr.
"""

from __future__ import annotations

OK = 0
FINDINGS = 1
USAGE = 2
ENVIRONMENT = 3
PARTIAL = 4
UNASSESSED = 5


class UserError(Exception):
    """An error the user can act on. Printed as one line; exit code `code`."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code

"""Event-time order over many log files without loading them all: a lazy k-way merge.

CloudTrail writes one file per account, region and few minutes; the records inside a file
are not sorted, and a file holds records from up to `slack` before its name's time stamp.
So files are opened in name-time order only when the merge reaches `stamp - slack`, each
opened file is sorted once, and a heap merges the open ones. Memory is the files of one
`slack` window (accounts x regions x a few files), whatever the length of the stream.
A record later than `slack` comes out late rather than being lost; the caller can count it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from railguard.sources.cloudtrail.logfile import LogFile, read_log_file
from railguard.sources.cloudtrail.records import BadInput, Problem, usable

DEFAULT_SLACK = timedelta(minutes=20)


def _open_at(stamp: str | None, slack: timedelta) -> str:
    """The event time from which a file may hold records ("" = open it first)."""
    if stamp is None:
        return ""
    t = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - slack
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# records are ordered by their eventTime string as CloudTrail writes it ("2024-05-01T12:00:00Z"):
# ISO-8601 UTC compares as text, and `usable` has checked it is a string
_time = itemgetter("eventTime")


def merged_records(
    files: Iterable[LogFile],
    on_problem: Callable[[Problem], None],
    *,
    slack: timedelta = DEFAULT_SLACK,
    on_file: Callable[[LogFile, int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Usable records of every file in event-time order; bad files and records go to `on_problem`.

    A list of files is sorted here; any other iterable is read lazily, as it comes, and must
    already be in name-time order (`iter_log_files`): a file out of order is opened when it
    arrives and its earlier records come out late.
    """
    if isinstance(files, list):
        files = sorted(files, key=lambda f: _open_at(f.stamp, slack))
    pending = iter(files)
    ahead: LogFile | None = next(pending, None)
    ahead_at = _open_at(ahead.stamp, slack) if ahead is not None else ""
    heap: list[tuple[str, int, list[dict[str, Any]], int]] = []
    seq = 0

    def open_file(f: LogFile) -> None:
        nonlocal seq
        try:
            raw = read_log_file(f)
        except BadInput as exc:
            on_problem(Problem(f.name, exc.reason, exc.kind))
            return
        recs, problems = usable(raw, f.name)
        for p in problems:
            on_problem(p)
        if on_file is not None:
            on_file(f, len(recs))
        if recs:
            recs.sort(key=_time)
            seq += 1
            heapq.heappush(heap, (_time(recs[0]), seq, recs, 0))

    heapreplace, heappop = heapq.heapreplace, heapq.heappop
    while True:
        while ahead is not None and (not heap or ahead_at <= heap[0][0]):
            open_file(ahead)
            ahead = next(pending, None)
            if ahead is not None:
                ahead_at = _open_at(ahead.stamp, slack)
        if not heap:
            return
        _, s, recs, pos = heap[0]
        yield recs[pos]
        pos += 1
        if pos < len(recs):
            heapreplace(heap, (recs[pos]["eventTime"], s, recs, pos))
        else:
            heappop(heap)
            recs.clear()

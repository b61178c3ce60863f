"""Git sources: the index (pre-commit), a commit range (CI) and the whole history.

History and ranges never check anything out: ``git log --raw`` lists which blob each commit
introduced, each blob id is kept once (with the first commit, oldest first, that introduced it),
and ``git cat-file --batch`` streams those blobs through the scanner. A file edited in 500
commits is 500 blobs, each read once; unchanged files are never re-read, which is what makes
this much faster than grepping every revision.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from railguard.cli.exitcodes import UserError
from railguard.secrets.findings import Finding, ScanResult, ScanStats
from railguard.secrets.scanner import SecretScanner

_NULL = "0" * 40


@dataclass(frozen=True)
class BlobRef:
    blob: str
    path: str
    commit: str | None


def _git(repo: Path, *args: str) -> bytes:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout
    except FileNotFoundError:
        raise UserError("git is not installed or not on PATH") from None
    except subprocess.CalledProcessError as exc:
        msg = exc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UserError(f"git {' '.join(args[:2])}: {msg[-1] if msg else 'failed'}") from None


def repo_root(start: Path) -> Path:
    out = _git(start, "rev-parse", "--show-toplevel")
    return Path(out.decode().strip())


def staged_blobs(repo: Path) -> list[BlobRef]:
    """Blobs in the index for files added, copied, modified or renamed in the staged change."""
    changed = _git(repo, "diff", "--cached", "--name-only", "-z", "--no-renames", "--diff-filter=ACMRT")
    paths = {p for p in changed.split(b"\0") if p}
    if not paths:
        return []
    out = []
    for entry in _git(repo, "ls-files", "--stage", "-z").split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, blob, _stage = meta.split(b" ")
        if path in paths and mode != b"160000":
            out.append(BlobRef(blob.decode(), path.decode("utf-8", "surrogateescape"), None))
    return out


def introduced_blobs(repo: Path, rev_args: list[str]) -> tuple[list[BlobRef], list[BlobRef]]:
    """Each blob a commit in ``rev_args`` introduced, once, with the first (oldest) such commit;
    and the blobs those commits replaced (the pre-images of modified files)."""
    raw = _git(
        repo,
        "-c",
        "core.quotePath=false",
        "log",
        "--reverse",
        "--topo-order",
        "-m",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--diff-filter=ACMRT",
        "--no-ext-diff",
        "-z",
        "--format=%x01%H",
        *rev_args,
        "--",
    )
    seen: set[str] = set()
    out: list[BlobRef] = []
    before: list[BlobRef] = []
    commit: str | None = None
    # with -z: "\x01<sha>\n" header, then ":<modes> <old> <new> <status>\0<path>\0" records
    tokens = raw.split(b"\0")
    i = 0
    while i < len(tokens):
        tok = tokens[i].lstrip(b"\n")
        i += 1
        if not tok:
            continue
        if b"\x01" in tok:
            _, _, rest = tok.partition(b"\x01")
            sha, _, tail = rest.partition(b"\n")
            commit = sha.decode()
            tok = tail.lstrip(b"\n")
            if not tok:
                continue
        if tok.startswith(b":"):
            fields = tok[1:].split(b" ")
            if len(fields) < 5:
                continue
            mode, old, blob = fields[1], fields[2].decode(), fields[3].decode()
            path = tokens[i].decode("utf-8", "surrogateescape") if i < len(tokens) else ""
            i += 1
            if mode == b"160000" or blob == _NULL or blob in seen:
                continue
            seen.add(blob)
            out.append(BlobRef(blob, path, commit))
            if old != _NULL:
                before.append(BlobRef(old, path, None))
    return out, before


def cat_blobs(repo: Path, blobs: list[BlobRef]) -> Iterator[tuple[BlobRef, subprocess.Popen[bytes], int]]:
    """Stream blob contents with one ``git cat-file --batch``; yields (ref, process, size) and the
    caller must read exactly ``size`` bytes from ``process.stdout`` before the next item."""
    proc = subprocess.Popen(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        bufsize=1 << 20,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    _grow_pipe(proc.stdout.fileno())

    def feed() -> None:
        assert proc.stdin is not None
        try:
            for b in blobs:
                proc.stdin.write(b.blob.encode() + b"\n")
            proc.stdin.close()
        except BrokenPipeError:
            pass

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    try:
        for ref in blobs:
            header = proc.stdout.readline()
            parts = header.split()
            if len(parts) < 3 or parts[1] != b"blob":
                continue
            size = int(parts[2])
            yield ref, proc, size
            proc.stdout.read(1)  # the LF after the content
    finally:
        proc.stdout.close()
        proc.wait()
        t.join(timeout=5)


def _grow_pipe(fd: int) -> None:
    """Let git run ahead of the scanner: a 64 KiB pipe makes the two take turns (Linux only)."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (OSError, ImportError, ValueError):
        pass


def scan_blobs(scanner: SecretScanner, repo: Path, refs: list[BlobRef], mode: str, commits: int = 0,
               known: set[str] | None = None, jobs: int = 1) -> ScanResult:
    """Scan blobs; ``known`` fingerprints (secrets already there before a range) are skipped.

    With ``jobs > 1`` the blobs are dealt round-robin to forked workers, each with its own
    ``git cat-file``; findings are merged back in blob order so "first commit" stays exact.
    """
    wanted = [ref for ref in refs if scanner.admit(ref.path)[0]]
    scanner.stats.blobs = len(wanted)
    scanner.stats.commits = commits
    ordered = list(enumerate(wanted))
    found: list[tuple[int, Finding]] = []
    if jobs > 1 and len(wanted) >= PARALLEL_MIN_BLOBS and "fork" in mp.get_all_start_methods():
        global _WORKER
        _WORKER = (scanner, repo)
        try:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
                for part, stats in pool.map(_blob_worker, [ordered[i::jobs] for i in range(jobs)]):
                    found.extend(part)
                    for k in ("files", "bytes", "skipped_binary"):
                        setattr(scanner.stats, k, getattr(scanner.stats, k) + getattr(stats, k))
                    scanner.stats.errors.extend(stats.errors)
        finally:
            _WORKER = None
    else:
        found = _scan_ordered(scanner, repo, ordered)
    found.sort(key=lambda x: x[0])
    findings: list[Finding] = []
    first: set[str] = set()
    for _, f in found:
        # one report per secret: the oldest commit that introduced it (blobs are oldest-first)
        if f.fingerprint in first or (known is not None and f.fingerprint in known):
            continue
        first.add(f.fingerprint)
        findings.append(f)
    findings.sort(key=lambda f: (f.path, f.line, f.rule_id))
    return ScanResult(findings, scanner.stats, mode)


PARALLEL_MIN_BLOBS = 256
_WORKER: tuple[SecretScanner, Path] | None = None


def _blob_worker(part: list[tuple[int, BlobRef]]) -> tuple[list[tuple[int, Finding]], ScanStats]:
    """Runs in a forked worker (the compiled rules came with the fork)."""
    assert _WORKER is not None
    parent, repo = _WORKER
    sc = SecretScanner(parent.engine, parent.config, parent.baseline, parent.show_suppressed)
    return _scan_ordered(sc, repo, part), sc.stats


PREFETCH_MAX = 1 << 20  # blobs up to this size are read ahead by a thread; larger ones stream
PREFETCH_DEPTH = 32


def blob_readers(repo: Path, blobs: list[BlobRef]) -> Iterator[tuple[BlobRef, Callable[[int], bytes]]]:
    """(ref, read) for each blob. A thread keeps ``git cat-file`` busy by reading small blobs
    ahead (at most PREFETCH_DEPTH of them) while the caller scans; a large blob is handed over
    and streamed by the caller, so memory stays bounded."""
    q: queue.Queue[tuple[BlobRef, bytes | None, int, subprocess.Popen[bytes]] | None] = queue.Queue(PREFETCH_DEPTH)
    handed_back = threading.Event()
    failure: list[BaseException] = []

    def pump() -> None:
        try:
            for ref, proc, size in cat_blobs(repo, blobs):
                assert proc.stdout is not None
                if size <= PREFETCH_MAX:
                    q.put((ref, proc.stdout.read(size), size, proc))
                else:
                    handed_back.clear()
                    q.put((ref, None, size, proc))
                    handed_back.wait()
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)
        finally:
            q.put(None)

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    while (item := q.get()) is not None:
        ref, data, size, proc = item
        if data is not None:
            yield ref, _bytes_reader(data)
            continue
        assert proc.stdout is not None
        stdout = proc.stdout
        remaining = size

        def read(n: int) -> bytes:
            nonlocal remaining
            if remaining <= 0:
                return b""
            chunk = stdout.read(min(n, remaining))  # noqa: B023 (used within this iteration)
            remaining -= len(chunk)
            return chunk

        try:
            yield ref, read
        finally:
            while remaining > 0 and read(1 << 20):  # a binary blob stops after the sniff: drain it
                pass
            handed_back.set()
    t.join(timeout=5)
    if failure:
        raise failure[0]


def _bytes_reader(data: bytes) -> Callable[[int], bytes]:
    view = memoryview(data)
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        chunk = bytes(view[pos : pos + n]) if pos or n < len(data) else data
        pos += len(chunk)
        return chunk

    return read


def _scan_ordered(scanner: SecretScanner, repo: Path, ordered: list[tuple[int, BlobRef]]) -> list[tuple[int, Finding]]:
    out: list[tuple[int, Finding]] = []
    index = {id(ref): i for i, ref in ordered}
    for ref, read in blob_readers(repo, [ref for _, ref in ordered]):
        excluded_by = scanner.config.excluded(ref.path)
        out.extend((index[id(ref)], f) for f in scanner.scan_reader(read, ref.path, ref.commit, excluded_by))
    return out


def scan_staged(scanner: SecretScanner, repo: Path) -> ScanResult:
    return scan_blobs(scanner, repo, staged_blobs(repo), "staged")


def scan_revs(scanner: SecretScanner, repo: Path, rev_args: list[str], mode: str, jobs: int = 1) -> ScanResult:
    refs, before = introduced_blobs(repo, rev_args)
    commits = int(_git(repo, "rev-list", "--count", *rev_args, "--").strip() or 0)
    known: set[str] | None = None
    if mode == "range" and before:
        # CI wants what the range adds: a secret already in the file before the range is not new
        # (it was reported when it was introduced, or it is baselined).
        introduced = {r.blob for r in refs}
        pre = [r for r in dict.fromkeys(before) if r.blob not in introduced]
        probe = SecretScanner(scanner.engine, scanner.config, None, True)
        known = {f.fingerprint for f in scan_blobs(probe, repo, pre, "probe", jobs=jobs).findings}
    return scan_blobs(scanner, repo, refs, mode, commits, known, jobs)

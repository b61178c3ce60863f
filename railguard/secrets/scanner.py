"""Scan files and git objects: skip what is binary or vendored, stream what is large, apply the
allowlist, and turn verified matches into redacted findings."""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import stat
import subprocess
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from railguard.secrets.allowlist import Baseline, SecretsConfig, has_bare_allow, inline_allow
from railguard.secrets.engine import CHUNK, SNIFF, Engine, Match, decode_to_utf8, iter_utf8_chunks, locate
from railguard.secrets.findings import Finding, ScanResult, ScanStats, fingerprint, redact

VENDORED_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        "bower_components",
        "jspm_packages",
        "vendor",
        "third_party",
        "third-party",
        "thirdparty",
        "external",
        ".venv",
        "venv",
        "site-packages",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".terraform",
        "Pods",
        "Carthage",
        ".gradle",
        ".idea",
        ".hg",
        ".svn",
    }
)
VENDORED_SUFFIXES = (".min.js", ".min.css", ".js.map", ".css.map", ".bundle.js")
BINARY_EXTS = frozenset(
    ["png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "tif", "tiff", "webp", "svgz", "psd", "ai", "eps", "heic", "avif", "zip", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "tar", "jar", "war", "ear", "whl", "egg", "apk", "ipa", "dmg", "iso", "img", "deb", "rpm", "msi", "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "epub", "mp3", "mp4", "m4a", "m4v", "mov", "avi", "mkv", "webm", "wav", "flac", "ogg", "aac", "wmv", "flv", "ttf", "otf", "woff", "woff2", "eot", "exe", "dll", "so", "dylib", "a", "o", "obj", "lib", "class", "pyc", "pyo", "pyd", "wasm", "bin", "dat", "db", "sqlite", "sqlite3", "parquet", "avro", "orc", "npy", "npz", "pkl", "pickle", "h5", "hdf5", "pt", "pth", "onnx", "tflite", "mo"]
)


def is_vendored(rel: str) -> bool:
    if "/" in rel and not VENDORED_DIRS.isdisjoint(rel.split("/")[:-1]):
        return True
    return rel.endswith(VENDORED_SUFFIXES)


def is_binary_name(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return dot > 0 and name[dot + 1 :].lower() in BINARY_EXTS


@dataclass
class SecretScanner:
    engine: Engine
    config: SecretsConfig = field(default_factory=SecretsConfig)
    baseline: Baseline | None = None
    show_suppressed: bool = False
    stats: ScanStats = field(default_factory=ScanStats)

    # ------------------------------------------------------------------------------------------
    def admit(self, rel: str, below: str | None = None) -> tuple[bool, str | None]:
        """Whether to scan ``rel`` (a skip is counted in the stats), and the exclude glob matching it."""
        judged = rel if below is None else below  # vendored/binary are judged below the named directory
        if is_vendored(judged):
            self.stats.skipped_vendored += 1
            return False, None
        if is_binary_name(judged):
            self.stats.skipped_binary += 1
            return False, None
        excluded_by = self.config.excluded(rel)
        if excluded_by and not self.show_suppressed:
            self.stats.skipped_excluded += 1
            return False, excluded_by
        return True, excluded_by

    def scan_reader(self, read: Callable[[int], bytes], rel: str, commit: str | None = None,
                    excluded_by: str | None = None) -> list[Finding]:
        """Scan one input given by a ``read(n)`` function: sniff, then stream in windows."""
        head = read(SNIFF)
        codec = decode_to_utf8(head)
        if codec is None:
            self.stats.skipped_binary += 1
            return []
        self.stats.files += 1
        rest = read(CHUNK - len(head)) if head else b""
        first = head + rest
        if len(first) < CHUNK and codec == "bytes":
            # the common case: the whole file in one buffer
            self.stats.bytes += len(first)
            matches = self.engine.scan_bytes(first)
            if not matches:
                return []
            return self._findings(first, locate(first, matches), rel, commit, excluded_by)

        def blocks() -> Iterator[bytes]:
            yield first
            while True:
                b = read(CHUNK)
                if not b:
                    return
                yield b

        findings: list[Finding] = []
        line = 1
        for window, resp_end, matches in self.engine.scan_chunks(iter_utf8_chunks(_reader(blocks()), codec)):
            self.stats.bytes += resp_end
            if matches:
                findings.extend(self._findings(window, locate(window, matches, line), rel, commit, excluded_by))
            line += window.count(b"\n", 0, resp_end)
        return findings

    def scan_file(self, path: str | Path, rel: str, below: str | None = None) -> list[Finding]:
        """``below``: the path under the directory the user named (vendored trees are judged
        there, so naming ``vendor/lib`` explicitly scans it)."""
        wanted, excluded_by = self.admit(rel, below)
        if not wanted:
            return []
        try:
            fd = os.open(path, _O_READ)
        except OSError as exc:
            self.stats.errors.append(f"{rel}: {exc.strerror or exc}")
            return []
        try:
            # the common case, a file smaller than a window: one read, no file object, no copy
            size = os.fstat(fd).st_size
            if size < CHUNK:
                data = os.read(fd, size + 1)
                if len(data) <= size:
                    return self._scan_whole(data, rel, excluded_by)
            else:
                data = b""
            # a large file (or one that grew while we read it) streams in windows; ``scan_reader`` wants
            # full reads, which a buffered reader gives
            with open(fd, "rb", closefd=False) as fh:
                return self.scan_reader(_prefixed(data, fh.read), rel, None, excluded_by)
        except OSError as exc:
            self.stats.errors.append(f"{rel}: {exc.strerror or exc}")
            return []
        finally:
            os.close(fd)

    def _scan_whole(self, data: bytes, rel: str, excluded_by: str | None) -> list[Finding]:
        """A whole file in memory: sniffed from its head, scanned in one pass when it needs no transcoding."""
        codec = decode_to_utf8(data[:SNIFF])
        if codec is None:
            self.stats.skipped_binary += 1
            return []
        if codec != "bytes":
            return self.scan_reader(io.BytesIO(data).read, rel, None, excluded_by)
        self.stats.files += 1
        self.stats.bytes += len(data)
        matches = self.engine.scan_bytes(data)
        if not matches:
            return []
        return self._findings(data, locate(data, matches), rel, None, excluded_by)

    # ------------------------------------------------------------------------------------------
    def _findings(self, buf: bytes, matches: list[Match], rel: str, commit: str | None,
                  excluded_by: str | None) -> list[Finding]:
        out = []
        for m in matches:
            fp = fingerprint(m.rule.id, rel, m.secret)
            f = Finding(m.rule.id, m.rule.title, m.rule.severity, rel, m.line, m.column, redact(m.secret), fp, commit)
            allowed, reason = inline_allow(m.line_text, m.prev_line_text)
            if excluded_by:
                f.suppressed, f.reason = "path", f"path matches exclude glob {excluded_by!r}"
            elif allowed:
                f.suppressed, f.reason = "inline", reason
            elif self.baseline is not None and (b := self.baseline.reason(fp)) is not None:
                f.suppressed, f.reason = "baseline", b
            elif has_bare_allow(m.line_text, m.prev_line_text):
                f.notes.append("railguard:allow needs a reason after it to take effect")
            if f.suppressed and not self.show_suppressed:
                continue
            out.append(f)
        return out

    # ------------------------------------------------------------------------------------------
    def scan_paths(self, paths: Iterable[Path], root: Path, jobs: int = 1) -> ScanResult:
        """Scan files; with ``jobs > 1`` and enough files, forked workers share the compiled rules."""
        files = list(iter_files(paths, root, self.stats))
        findings: list[Finding] = []
        if jobs > 1 and len(files) >= PARALLEL_MIN_FILES and "fork" in mp.get_all_start_methods():
            findings = self._scan_parallel(files, jobs)
        else:
            for path, rel, below in files:
                findings.extend(self.scan_file(path, rel, below))
        return ScanResult(_sorted(findings), self.stats, "paths")

    def _scan_parallel(self, files: list[tuple[str | Path, str, str]], jobs: int) -> list[Finding]:
        global _WORKER
        _WORKER = self
        batches = [files[i :: jobs * 4] for i in range(jobs * 4)]
        findings: list[Finding] = []
        try:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
                for found, stats in pool.map(_scan_batch, batches):
                    findings.extend(found)
                    for k in ("files", "bytes", "skipped_binary", "skipped_vendored", "skipped_excluded"):
                        setattr(self.stats, k, getattr(self.stats, k) + getattr(stats, k))
                    self.stats.errors.extend(stats.errors)
        finally:
            _WORKER = None
        return findings


PARALLEL_MIN_FILES = 256
_O_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_WORKER: SecretScanner | None = None


def _scan_batch(batch: list[tuple[str | Path, str, str]]) -> tuple[list[Finding], ScanStats]:
    """Runs in a forked worker: the scanner (and its compiled database) came with the fork."""
    assert _WORKER is not None
    sc = SecretScanner(_WORKER.engine, _WORKER.config, _WORKER.baseline, _WORKER.show_suppressed)
    out: list[Finding] = []
    for path, rel, below in batch:
        out.extend(sc.scan_file(path, rel, below))
    return out, sc.stats


def _prefixed(head: bytes, read: Callable[[int], bytes]) -> Callable[[int], bytes]:
    """``read`` with ``head`` (bytes already read from it) put back in front."""
    if not head:
        return read
    first = io.BytesIO(head)

    def full(n: int) -> bytes:
        b = first.read(n)
        return b + read(n - len(b)) if len(b) < n else b

    return full


def _reader(blocks: Iterator[bytes]) -> Callable[[int], bytes]:
    """Adapt an iterator of blocks to ``read(n)`` (the chunker asks for CHUNK-sized reads)."""
    buf = b""

    def read(n: int) -> bytes:
        nonlocal buf
        while len(buf) < n:
            b = next(blocks, b"")
            if not b:
                break
            buf += b
        out, buf = buf[:n], buf[n:]
        return out

    return read


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule_id))


def relpath(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _git_listing(directory: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under a git work tree (None if not one)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(directory), "ls-files", "-z", "-co", "--exclude-standard", "--", "."],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def iter_files(paths: Iterable[Path], root: Path, stats: ScanStats) -> Iterator[tuple[str | Path, str, str]]:
    """(file, path relative to root, path below the named directory) for the files under
    ``paths``: git's view (respects .gitignore) inside a work tree, else a walk. Symbolic links
    are skipped. One ``lstat`` (or a directory entry's cached type) per file: listing is a
    measurable part of scanning thousands of small files."""
    root_res = root.resolve()
    for p in paths:
        if p.is_file():
            yield p, relpath(p, root), p.name
            continue
        if not p.is_dir():
            stats.errors.append(f"{p}: no such file or directory")
            continue
        base = relpath(p, root_res)
        prefix = "" if base in (".", "") else base.rstrip("/") + "/"
        listing = _git_listing(p)
        if listing:  # an empty listing: not tracked, or a directory git ignores but that was named explicitly
            top = str(p)
            for name in listing:
                full = os.path.join(top, name)
                try:
                    if not stat.S_ISREG(os.lstat(full).st_mode):
                        continue
                except OSError:
                    continue
                yield full, prefix + name, name
            continue
        yield from _walk(p, p, prefix, "")


def _walk(top: Path, directory: Path | str, prefix: str, sub: str) -> Iterator[tuple[str, str, str]]:
    """Files below ``directory`` in name order, skipping vendored directories and symbolic links."""
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        if e.is_symlink():
            continue
        if e.is_dir():
            if e.name not in VENDORED_DIRS:
                yield from _walk(top, e.path, prefix, sub + e.name + "/")
        elif e.is_file():
            yield e.path, prefix + sub + e.name, sub + e.name

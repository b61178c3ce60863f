"""Reading an input file as text, with the errors a user can act on (binary, encoding, size)."""

from __future__ import annotations

from pathlib import Path

from railguard.sources.loaded import ParseError

MAX_BYTES = 5 * 1024 * 1024


def decode(data: bytes, file: str, what: str, max_bytes: int = MAX_BYTES) -> str | ParseError:
    """The text of a file, or the ParseError saying why it is not readable text."""
    if len(data) > max_bytes:
        return ParseError(file, f"file is {len(data) / 1048576:.1f} MB, too large for {what}: not read")
    if b"\0" in data[:8192]:
        return ParseError(file, f"binary file, not {what}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return ParseError(file, f"not UTF-8 text (byte 0x{data[exc.start]:02x}): not {what}", line)
    return text


def read(path: Path, file: str, what: str, max_bytes: int = MAX_BYTES) -> str | ParseError:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return ParseError(file, f"file is {size / 1048576:.1f} MB, too large for {what}: not read")
        data = path.read_bytes()
    except OSError as exc:
        return ParseError(file, f"cannot read: {exc.strerror or exc}")
    return decode(data, file, what, max_bytes)

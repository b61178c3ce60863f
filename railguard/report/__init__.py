"""Report writers: each turns a `RunResult` into one format. `write_reports` writes several."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path

from railguard.model import RunResult

# format -> (module, file name). Each module has `render(run: RunResult) -> str`.
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("railguard.report.json_report", "railguard-report.json"),
    "failed": ("railguard.report.failed", "railguard-failed.json"),
    "csv": ("railguard.report.csv_report", "railguard-report.csv"),
    "html": ("railguard.report.html", "railguard-report.html"),
}


def render(run: RunResult, fmt: str) -> str:
    module, _ = FORMATS[fmt]
    return str(importlib.import_module(module).render(run))


def write_reports(run: RunResult, formats: Iterable[str], output_dir: Path) -> list[Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        _, name = FORMATS[fmt]
        path = output_dir / name
        path.write_text(render(run, fmt), encoding="utf-8")
        paths.append(path)
    return paths

"""Report writers: each turns a `RunResult` into one format. `write_reports` writes several.

| format | file | module (its docstring documents the shape) |
|---|---|---|
| json | railguard-report.json | json_report: every item, offenders, suppressed, refs, gaps, API calls |
| failed | railguard-failed.json | failed: `{"Failed": ["1.4", ...]}` (prefixed ids + ByFramework for several) |
| csv | railguard-report.csv | csv_report: one row per item x offender, CSV-injection safe |
| html | railguard-report.html | html: one self-contained page, filters, framework switch |
| sarif | railguard-report.sarif | sarif_run: SARIF 2.1.0, one rule per control (on report.sarif's builder) |
| junit | railguard-report.junit.xml | junit: suites per framework (live) or per file (IaC) |

Every `render(run) -> str` is pure: the same run gives the same text, and nothing is read or
written but the return value.
"""

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
    "sarif": ("railguard.report.sarif_run", "railguard-report.sarif"),
    "junit": ("railguard.report.junit", "railguard-report.junit.xml"),
}


def render(run: RunResult, fmt: str) -> str:
    module, _ = FORMATS[fmt]
    return str(importlib.import_module(module).render(run))


def write_to(run: RunResult, fmt: str, path: Path) -> None:
    """Write one format to `path`; a writer with `write(run, file)` streams instead of building
    the whole text in memory."""
    module = importlib.import_module(FORMATS[fmt][0])
    with path.open("w", encoding="utf-8") as fh:
        if hasattr(module, "write"):
            module.write(run, fh)
        else:
            fh.write(str(module.render(run)))


def write_reports(run: RunResult, formats: Iterable[str], output_dir: Path) -> list[Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        _, name = FORMATS[fmt]
        path = output_dir / name
        write_to(run, fmt, path)
        paths.append(path)
    return paths

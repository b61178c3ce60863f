"""Every file of the shared corpus of real AWS CloudFormation templates either parses or gives a
clear per-file error, and the scan of the whole corpus never crashes.

The corpus lives outside the repository (`../shared/corpus/iac/aws-cloudformation-templates`,
or `RAILGUARD_IAC_CORPUS`); the test skips when it is absent, as in a plain CI clone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from railguard.engine.iac import (
    NOT_EXPANDED_ID,
    PARSE_ERROR,
    IacOptions,
    collect,
    discover,
    display_path,
    run_iac,
)
from railguard.model import Result
from railguard.sources.loaded import NOT_EXPANDED

REPO = Path(__file__).resolve().parents[2]


def _corpus() -> Path | None:
    candidates = [
        os.environ.get("RAILGUARD_IAC_CORPUS", ""),
        str(REPO.parent / "shared" / "corpus" / "iac" / "aws-cloudformation-templates"),
        "/work/shared/corpus/iac/aws-cloudformation-templates",
    ]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return None


CORPUS = _corpus()
pytestmark = pytest.mark.skipif(CORPUS is None, reason="shared IaC corpus not present in this checkout")


def test_every_corpus_file_parses_or_gives_a_per_file_error() -> None:
    assert CORPUS is not None
    targets = discover([CORPUS])
    assert len(targets) > 250
    outcomes: dict[str, str] = {}
    for t in targets:
        got = collect([t], IacOptions())
        shown = display_path(t.path)
        if got.skipped:
            outcomes[shown] = "skipped (not a template)"
            continue
        (unit,) = got.units
        assert unit.loaded.files == [shown]
        assert all(e.file == shown and e.message for e in unit.loaded.errors)
        assert not [e for e in unit.loaded.errors if "internal error" in e.message], unit.loaded.errors
        if [e for e in unit.loaded.errors if e.kind != NOT_EXPANDED]:
            outcomes[shown] = "error"
        elif unit.loaded.errors:  # read; a module or macro in it expands elsewhere (reported as such)
            outcomes[shown] = "parsed, not expanded"
        else:
            outcomes[shown] = "parsed"
    counts = {k: list(outcomes.values()).count(k) for k in set(outcomes.values())}
    assert counts["parsed"] + counts.get("parsed, not expanded", 0) >= 270, counts
    assert counts.get("error", 0) < 20, counts


def test_whole_corpus_scan_in_one_run() -> None:
    assert CORPUS is not None
    run = run_iac([CORPUS], IacOptions())
    assert run.meta["files"] >= 280 and run.meta["resources"] > 3000
    errors = [f for f in run.findings if f.result == Result.ERROR]
    assert all(f.control_id == PARSE_ERROR and f.reason and f.origin.file for f in errors)
    # the corpus's Rain modules and macros are reported as constructs expanded elsewhere, not as errors
    unexpanded = [f for f in run.findings if f.control_id == NOT_EXPANDED_ID]
    assert unexpanded and all(f.result == Result.UNKNOWN and f.origin.file for f in unexpanded)
    assert any(f.result == Result.FAIL for f in run.findings)


def test_each_file_alone_never_crashes() -> None:
    """File by file, as a pre-commit hook sees them: each gives a run, never an exception."""
    assert CORPUS is not None
    for p in sorted(CORPUS.rglob("*.y*ml"))[:400]:
        run = run_iac([p], IacOptions(only_controls=["ec2.sg-admin-port-open-to-world"]))
        assert run.kind == "iac"

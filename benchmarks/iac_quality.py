"""IaC detection quality on third-party examples labelled by hand (issue 15; not part of `make test`).

    .venv/bin/python benchmarks/iac_quality.py [--labels benchmarks/iac_quality_labels.yaml]

For CloudFormation and Terraform apart: recall (labelled violations railguard reports as FAIL),
false positives (FAILs of the measured controls that no label expects), UNKNOWNs on labelled
violations, and resource loss (a file with a parse ERROR, or resource blocks the loader did not
return). CloudFormation inputs come from the shared corpus of AWS sample templates; the Terraform
inputs are terraform-provider-aws examples read at the commits the labels name, kept under
benchmarks/.work/iac-quality/tf/ (git-ignored). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from railguard.engine.iac import IacOptions, run_iac  # noqa: E402
from railguard.model import Result  # noqa: E402

CFN_ROOT = Path("/work/shared/corpus/iac/aws-cloudformation-templates")
TF_ROOT = ROOT / "benchmarks" / ".work" / "iac-quality" / "tf"


def measure(kind: str, entries: list[dict[str, Any]], base: Path, controls: list[str]) -> dict[str, Any]:
    labelled = found = unknown = fp = errors = missing = 0
    misses: list[str] = []
    for e in entries:
        path = base / e["path"]
        if not path.exists():
            missing += 1
            continue
        run = run_iac([path], IacOptions(only_controls=controls))
        expected = {(r, c) for r, c in e.get("violations", [])}
        fails = {(f.resource_id, f.control_id) for f in run.findings if f.result == Result.FAIL}
        unknowns = {(f.resource_id, f.control_id) for f in run.findings if f.result == Result.UNKNOWN}
        errors += sum(1 for f in run.findings if f.result == Result.ERROR)
        labelled += len(expected)
        found += len(expected & fails)
        unknown += len(expected & unknowns)
        fp += len(fails - expected)
        misses += [f"{e['path']}: {r} {c}" for r, c in sorted(expected - fails)]
    return {"kind": kind, "inputs": len(entries) - missing, "missing": missing, "labelled": labelled,
            "found": found, "unknown": unknown, "fp": fp, "errors": errors, "misses": misses,
            "recall": found / labelled if labelled else 0.0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=ROOT / "benchmarks" / "iac_quality_labels.yaml")
    args = ap.parse_args()
    labels = yaml.safe_load(args.labels.read_text())
    controls = labels["controls"]
    rows = [measure("CloudFormation", labels["cloudformation"], CFN_ROOT, controls),
            measure("Terraform", labels["terraform"], TF_ROOT, controls)]
    print("| format | inputs | labelled violations | found (FAIL) | UNKNOWN | recall | false positives | parse errors |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['kind']} | {r['inputs']} | {r['labelled']} | {r['found']} | {r['unknown']} | "
              f"{r['recall']:.2f} | {r['fp']} | {r['errors']} |")
    for r in rows:
        if r["missing"]:
            print(f"\n{r['kind']}: {r['missing']} input(s) missing (see the labels file for their sources)")
        for m in r["misses"]:
            print(f"- missed ({r['kind']}): {m}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

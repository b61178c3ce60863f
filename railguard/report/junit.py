"""JUnit XML for CI test tabs (GitLab, Jenkins, Azure DevOps, GitHub test reporters).

Shape: `<testsuites name="railguard" tests failures errors skipped time>` holding

- a live scan (a run with framework items): one `<testsuite name=FRAMEWORK_ID>` per framework,
  one `<testcase classname="FRAMEWORK_ID.SECTION" name="ITEM_ID TITLE">` per item;
- an IaC scan (`kind == "iac"`, or a run without items): one `<testsuite name=FILE>` per file
  (findings without a file go to a suite named after their account/region), one
  `<testcase classname=FILE name="CONTROL_ID RESOURCE_ID">` per finding, PASS included.

A testcase's outcome follows its result: FAIL -> `<failure>`, UNKNOWN or ERROR -> `<error>`,
MANUAL or SUPPRESSED -> `<skipped>`, PASS -> nothing. `message` is the reason (or the
exception that suppresses it), `type` the result and severity; the element's text lists the
offenders one per line (`location resource: reason`).
Characters XML 1.0 cannot carry are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from railguard.model import GLOBAL, Finding, Result, RunResult
from railguard.report._common import location

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_MAX_TEXT = 20_000  # per element; the JSON report carries everything


def clean(text: object) -> str:
    return _INVALID_XML.sub("", "" if text is None else str(text))


def _offender_lines(findings: Iterable[Finding]) -> str:
    lines = [f"{location(f)} {f.resource_type} {f.resource_name or f.resource_id}: {f.result.value} {f.reason}"
             for f in findings]
    text = "\n".join(lines)
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT] + f"\n... ({len(lines)} offenders in all; see the JSON report)"
    return text


def _outcome(case: ET.Element, result: Result, message: str, type_: str, body: str) -> str:
    """Attach the outcome element; return the counter it goes to (or "" for a pass)."""
    tag = {
        Result.FAIL: "failure",
        Result.UNKNOWN: "error",
        Result.ERROR: "error",
        Result.MANUAL: "skipped",
        Result.SUPPRESSED: "skipped",
    }.get(result)
    if tag is None:
        return ""
    el = ET.SubElement(case, tag, {"message": clean(message)} if tag == "skipped" else
                       {"message": clean(message), "type": clean(type_)})
    if body:
        el.text = clean(body)
    return tag


def _suite(parent: ET.Element, name: str) -> tuple[ET.Element, dict[str, int]]:
    return ET.SubElement(parent, "testsuite", {"name": clean(name)}), {
        "tests": 0, "failure": 0, "error": 0, "skipped": 0,
    }


def _close(suite: ET.Element, counts: dict[str, int], total: dict[str, int]) -> None:
    suite.set("tests", str(counts["tests"]))
    suite.set("failures", str(counts["failure"]))
    suite.set("errors", str(counts["error"]))
    suite.set("skipped", str(counts["skipped"]))
    suite.set("time", "0")
    for k, v in counts.items():
        total[k] += v


def _by_framework(root: ET.Element, run: RunResult, total: dict[str, int]) -> None:
    fw_ids = [f.id for f in run.frameworks] + [
        i.framework for i in run.items if i.framework not in {f.id for f in run.frameworks}
    ]
    for fid in dict.fromkeys(fw_ids):
        suite, counts = _suite(root, fid)
        for i in run.items_of(fid):
            case = ET.SubElement(suite, "testcase", {
                "classname": clean(f"{fid}.{i.section}" if i.section else fid),
                "name": clean(f"{i.id} {i.title}"),
                "time": "0",
            })
            sev = i.severity.value if i.severity else "none"
            message = i.reason
            if i.result == Result.SUPPRESSED:
                message = "; ".join(dict.fromkeys(
                    f.suppressed_by or "suppressed" for f in i.findings if f.result == Result.SUPPRESSED
                )) or i.reason
            body = _offender_lines(i.offenders) if i.result in (Result.FAIL, Result.UNKNOWN, Result.ERROR) else ""
            if i.note:
                body = f"note: {i.note}\n{body}".rstrip("\n")
            tag = _outcome(case, i.result, message, f"{i.result.value} {sev}", body)
            counts["tests"] += 1
            if tag:
                counts[tag] += 1
        _close(suite, counts, total)


def _by_file(root: ET.Element, run: RunResult, total: dict[str, int]) -> None:
    groups: dict[str, list[Finding]] = {}
    for f in run.findings:
        key = f.origin.file or f"{f.account or '-'}/{f.region or GLOBAL}"
        groups.setdefault(key, []).append(f)
    for name, findings in groups.items():
        suite, counts = _suite(root, name)
        for f in findings:
            attrs = {"classname": clean(name), "name": clean(f"{f.control_id} {f.resource_id}"), "time": "0"}
            if f.origin.file:
                attrs["file"] = clean(f.origin.file)
                if f.origin.line:
                    attrs["line"] = str(f.origin.line)
            case = ET.SubElement(suite, "testcase", attrs)
            message = (f.suppressed_by or "suppressed") if f.result == Result.SUPPRESSED else f.reason
            body = ""
            if f.result != Result.PASS:
                body = f"{location(f)} {f.resource_type} {f.resource_id}: {f.title}"
                if f.remediation:
                    body += f"\nfix: {f.remediation}"
            tag = _outcome(case, f.result, message or f.title, f"{f.result.value} {f.severity.value}", body)
            counts["tests"] += 1
            if tag:
                counts[tag] += 1
        _close(suite, counts, total)


def render(run: RunResult) -> str:
    root = ET.Element("testsuites", {"name": "railguard"})
    total = {"tests": 0, "failure": 0, "error": 0, "skipped": 0}
    if run.kind == "iac" or not run.items:
        _by_file(root, run, total)
    else:
        _by_framework(root, run, total)
    root.set("tests", str(total["tests"]))
    root.set("failures", str(total["failure"]))
    root.set("errors", str(total["error"]))
    root.set("skipped", str(total["skipped"]))
    root.set("time", f"{run.duration_s:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

"""A generic SARIF 2.1.0 builder shared by the scanners (secrets, IaC).

Usage::

    rules = [sarif_rule("aws-access-key-id", "AWS access key ID", "An AWS key in source.", level="error")]
    results = [sarif_result("aws-access-key-id", "AWS access key ID AKIA****ABCD", "app/settings.py", 12,
                            level="error", fingerprints={"railguard/v1": "..."} )]
    log = sarif_log("railguard", "0.1.0", rules, results)

``validate(log)`` checks a log against the official schema stored in ``report/schemas``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "sarif-2.1.0.json"

LEVELS = ("none", "note", "warning", "error")
_SEVERITY_TO_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SEVERITY_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def level_for(severity: str) -> str:
    """Map a railguard severity (critical/high/medium/low/info) to a SARIF level."""
    return _SEVERITY_TO_LEVEL.get(severity.lower(), "warning")


def sarif_rule(
    rule_id: str,
    name: str,
    description: str = "",
    *,
    level: str = "warning",
    help_text: str | None = None,
    help_uri: str | None = None,
    severity: str | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """A ``reportingDescriptor`` for ``tool.driver.rules``."""
    if level not in LEVELS:
        raise ValueError(f"SARIF level must be one of {LEVELS}")
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.replace("_", "-").replace(".", "-").split("-")),
        "shortDescription": {"text": name},
        "fullDescription": {"text": description or name},
        "defaultConfiguration": {"level": level},
    }
    if help_text:
        rule["help"] = {"text": help_text}
    if help_uri:
        rule["helpUri"] = help_uri
    props: dict[str, Any] = {}
    if tags:
        props["tags"] = list(tags)
    if severity:
        props["security-severity"] = _SEVERITY_SCORE.get(severity.lower(), "5.0")
        props["severity"] = severity
    if props:
        rule["properties"] = props
    return rule


def sarif_result(
    rule_id: str,
    message: str,
    path: str | None = None,
    line: int | None = None,
    *,
    column: int | None = None,
    end_line: int | None = None,
    level: str = "warning",
    fingerprints: dict[str, str] | None = None,
    suppression: dict[str, str] | None = None,
    properties: dict[str, Any] | None = None,
    rule_index: int | None = None,
) -> dict[str, Any]:
    """A ``result`` with an optional file/line location.

    ``suppression`` is ``{"kind": "inSource"|"external", "justification": "..."}``; a suppressed
    result stays in the log so that reviewers can audit it.
    """
    result: dict[str, Any] = {"ruleId": rule_id, "level": level, "message": {"text": message}}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    if path is not None:
        region: dict[str, int] = {}
        if line is not None:
            region["startLine"] = max(1, line)
            if end_line is not None:
                region["endLine"] = max(region["startLine"], end_line)
            if column is not None:
                region["startColumn"] = max(1, column)
        loc: dict[str, Any] = {"artifactLocation": {"uri": path_to_uri(path)}}
        if region:
            loc["region"] = region
        result["locations"] = [{"physicalLocation": loc}]
    if fingerprints:
        result["partialFingerprints"] = dict(fingerprints)
    if suppression:
        s = {"kind": suppression.get("kind", "external"), "status": "accepted"}
        if suppression.get("justification"):
            s["justification"] = suppression["justification"]
        result["suppressions"] = [s]
    if properties:
        result["properties"] = dict(properties)
    return result


def path_to_uri(path: str) -> str:
    """A relative POSIX path as a URI reference (spaces and the like percent-encoded)."""
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/:@-._~!$&'()*+,;=")


def sarif_log(
    tool_name: str,
    tool_version: str,
    rules: list[dict[str, Any]],
    results: list[dict[str, Any]],
    *,
    information_uri: str | None = None,
    invocation_ok: bool = True,
    run_properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete SARIF 2.1.0 log with one run. ``ruleIndex`` is filled in from ``rules``."""
    index = {r["id"]: i for i, r in enumerate(rules)}
    for res in results:
        if "ruleIndex" not in res and res.get("ruleId") in index:
            res["ruleIndex"] = index[res["ruleId"]]
    driver: dict[str, Any] = {"name": tool_name, "version": tool_version, "semanticVersion": tool_version, "rules": rules}
    if information_uri:
        driver["informationUri"] = information_uri
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [{"executionSuccessful": invocation_ok}],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if run_properties:
        run["properties"] = dict(run_properties)
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


@cache
def schema() -> dict[str, Any]:
    """The official SARIF 2.1.0 JSON schema (OASIS, errata 01)."""
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text("utf-8"))
    return data


def validate(log: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` if ``log`` is not valid SARIF 2.1.0 (needs jsonschema)."""
    import jsonschema

    jsonschema.validate(log, schema(), cls=jsonschema.Draft4Validator)

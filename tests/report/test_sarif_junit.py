"""SARIF (validated against the official 2.1.0 schema) and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from railguard.report import junit, sarif_run
from tests.report.sample import BASE, CIS, iac_run, live_run

SCHEMA = Path(__file__).parents[2] / "railguard" / "report" / "schemas" / "sarif-2.1.0.json"


def _validate(log: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.skip("railguard/report/schemas/sarif-2.1.0.json is not there yet (added by the secrets work)")
    import jsonschema

    jsonschema.validate(log, json.loads(SCHEMA.read_text("utf-8")), cls=jsonschema.Draft4Validator)


@pytest.mark.parametrize("make", [live_run, iac_run], ids=["live", "iac"])
def test_sarif_is_valid_against_the_official_schema(make: Any) -> None:
    log = json.loads(sarif_run.render(make()))
    _validate(log)
    assert log["version"] == "2.1.0"


def test_sarif_rules_and_results_of_an_iac_run() -> None:
    log = json.loads(sarif_run.render(iac_run()))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [
        "ec2.sg-admin-port-open-to-world", "s3.bucket-encryption", "iac.parse-error", "s3.bucket-versioning"]
    sg = rules[0]
    assert sg["shortDescription"]["text"] == "title of ec2.sg-admin-port-open-to-world"
    assert sg["help"]["text"] == "fix ec2.sg-admin-port-open-to-world"
    assert sg["properties"]["security-severity"] == "8.0"
    results = run["results"]
    assert len(results) == 4  # the PASS finding is not a result
    fail, unknown, error, suppressed = results
    assert (fail["kind"], fail["level"]) == ("fail", "error")
    loc = fail["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "templates/app.yaml"
    assert loc["region"]["startLine"] == 12
    assert fail["partialFingerprints"]["railguard/v1"]
    assert rules[fail["ruleIndex"]]["id"] == fail["ruleId"]
    assert (unknown["kind"], unknown["level"]) == ("open", "none")
    assert "could not be assessed" in unknown["message"]["text"]
    assert error["level"] == "error"
    assert error["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken%20dir/bad%20file.yaml"
    assert "region" not in error["locations"][0]["physicalLocation"]
    assert suppressed["suppressions"][0]["justification"].startswith("inline ignore (templates/app.yaml:59)")
    assert suppressed["suppressions"][0]["kind"] == "inSource"


def test_sarif_live_findings_have_logical_locations_and_notifications() -> None:
    log = json.loads(sarif_run.render(live_run()))
    run = log["runs"][0]
    for res in run["results"]:
        loc = res["locations"][0]
        assert "physicalLocation" not in loc
        assert loc["logicalLocations"][0]["name"] == res["properties"]["resource_id"]
    xss = next(r for r in run["results"] if r["properties"]["resource_id"] == "sg-0xss")
    assert xss["properties"]["items"] == [f"{CIS}:5.2", f"{BASE}:net.admin-ports"]
    assert xss["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("arn:aws:ec2:")
    bastion = next(r for r in run["results"] if r["properties"]["resource_id"] == "sg-0bastion")
    assert bastion["suppressions"][0]["kind"] == "external"
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "ec2.sg-admin-port-open-to-world")
    assert f"{CIS}:5.2" in rule["properties"]["tags"]
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False
    texts = [n["message"]["text"] for n in inv["toolExecutionNotifications"]]
    assert any("AccessDenied" in t for t in texts)
    assert inv["startTimeUtc"] == "2026-11-24T18:00:00Z"


def _parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def test_junit_live_run_has_one_suite_per_framework() -> None:
    root = _parse(junit.render(live_run()))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [CIS, BASE]
    cis = suites[0]
    cases = {c.get("name", "").split(" ")[0]: c for c in cis.findall("testcase")}
    assert set(cases) == {"1.1", "1.4", "1.5", "1.6", "2.1.4", "3.1", "5.2"}
    assert cases["1.4"].find("failure") is not None
    assert cases["5.2"].find("failure") is not None
    assert "<script>alert(1)</script>" in (cases["5.2"].find("failure").text or "")  # type: ignore[union-attr]
    assert cases["2.1.4"].find("error") is not None
    assert cases["1.1"].find("skipped") is not None
    assert cases["3.1"].find("skipped").get("message") == "baseline accepted 2026-11-01"  # type: ignore[union-attr]
    assert list(cases["1.5"]) == []
    assert cis.get("tests") == "7" and cis.get("failures") == "3" and cis.get("errors") == "1"
    assert cis.get("skipped") == "2"
    assert root.get("tests") == "10" and root.get("failures") == "4"


def test_junit_iac_run_has_one_suite_per_file() -> None:
    root = _parse(junit.render(iac_run()))
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == ["templates/app.yaml", "infra/main.tf", "broken dir/bad file.yaml"]
    app = root.findall("testsuite")[0]
    assert app.get("tests") == "3" and app.get("failures") == "1" and app.get("skipped") == "1"
    case = app.find("testcase")
    assert case is not None and case.get("file") == "templates/app.yaml" and case.get("line") == "12"
    broken = root.findall("testsuite")[2].find("testcase/error")
    assert broken is not None and "\x07" not in (broken.get("message") or "")
    assert root.get("errors") == "2"

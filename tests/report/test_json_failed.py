"""JSON report structure and the failed-items summary."""

from __future__ import annotations

import json

from railguard.model import Result
from railguard.report import json_report
from railguard.report.failed import summary
from tests.report.sample import BASE, CIS, XSS, iac_run, live_run, single_framework_run


def test_json_items_have_the_documented_keys() -> None:
    data = json.loads(json_report.render(live_run()))
    assert [f["id"] for f in data["frameworks"]] == [CIS, BASE]
    assert data["summary"][CIS]["FAIL"] == 3
    assert data["summary"][BASE]["MANUAL"] == 1
    keys = {"framework", "id", "title", "section", "level", "assessment", "result", "severity", "controls",
            "note", "reason", "offenders", "suppressed", "checked", "refs"}
    for item in data["items"]:
        assert keys <= set(item)
    item = next(i for i in data["items"] if i["framework"] == CIS and i["id"] == "5.2")
    assert item["result"] == "FAIL" and item["severity"] == "high"
    assert [o["resource_id"] for o in item["offenders"]] == ["sg-0xss", "sg-0formula"]
    assert [o["resource_id"] for o in item["suppressed"]] == ["sg-0bastion"]
    assert item["suppressed"][0]["suppressed_by"].startswith("exception bastion-ssh")
    assert item["checked"] == 4
    assert item["refs"] == [f"{BASE}:net.admin-ports"]
    xss = item["offenders"][0]
    assert xss["resource_name"] == XSS
    assert xss["evidence"]["rule"]["Description"] == 'say "hi" & <b>bye</b>'
    assert xss["items"] == [f"{CIS}:5.2", f"{BASE}:net.admin-ports"]
    assert len(xss["fingerprint"]) == 20


def test_json_keeps_unknown_reasons_gaps_manual_guidance_and_notes() -> None:
    data = json.loads(json_report.render(live_run()))
    by_id = {(i["framework"], i["id"]): i for i in data["items"]}
    assert by_id[(CIS, "2.1.4")]["result"] == "UNKNOWN"
    assert "AccessDenied" in by_id[(CIS, "2.1.4")]["offenders"][0]["reason"]
    assert by_id[(CIS, "1.1")]["reason"].startswith("Check the contact details")
    assert "railguard checks it automatically" in by_id[(CIS, "1.6")]["note"]
    assert data["gaps"][0]["type"] == "AWS::S3::Bucket"
    assert data["api_calls"] == {"total": 6, "by_operation": {
        "ec2.DescribeSecurityGroups": 3, "iam.GetCredentialReport": 2, "s3.ListBuckets": 1}}
    assert data["errors"]


def test_json_findings_list_each_non_pass_finding_once() -> None:
    data = json.loads(json_report.render(live_run()))
    results = [f["result"] for f in data["findings"]]
    assert "PASS" not in results
    fps = [(f["control_id"], f["fingerprint"]) for f in data["findings"]]
    assert len(fps) == len(set(fps)) == 7


def test_json_of_an_iac_run_carries_files_and_lines() -> None:
    data = json.loads(json_report.render(iac_run()))
    assert data["items"] == []
    first = data["findings"][0]
    assert (first["file"], first["line"]) == ("templates/app.yaml", 12)
    assert {f["result"] for f in data["findings"]} == {"FAIL", "UNKNOWN", "ERROR", "SUPPRESSED"}


def test_failed_single_framework_has_the_exact_shape() -> None:
    assert summary(single_framework_run()) == {"Failed": ["1.4", "1.6", "5.2"]}


def test_failed_several_frameworks_prefixes_ids_and_groups() -> None:
    s = summary(live_run())
    assert s["Failed"] == [f"{CIS}:1.4", f"{CIS}:1.6", f"{CIS}:5.2", f"{BASE}:net.admin-ports"]
    assert s["ByFramework"] == {CIS: ["1.4", "1.6", "5.2"], BASE: ["net.admin-ports"]}


def test_failed_keeps_every_framework_key_even_when_clean() -> None:
    run = live_run()
    for i in run.items_of(BASE):
        if i.result == Result.FAIL:
            i.result = Result.PASS
    assert summary(run)["ByFramework"][BASE] == []


def test_failed_without_items_lists_failing_controls() -> None:
    assert summary(iac_run()) == {"Failed": ["ec2.sg-admin-port-open-to-world"]}

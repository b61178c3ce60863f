"""CSV report: documented columns, one row per item x offender, formula cells neutralized."""

from __future__ import annotations

import csv
import io
import json

from railguard.report import csv_report
from railguard.report.csv_report import COLUMNS, safe_cell
from tests.report.sample import BASE, CIS, FORMULA, XSS, iac_run, live_run


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_columns_are_stable_and_documented() -> None:
    text = csv_report.render(live_run())
    header = next(csv.reader(io.StringIO(text)))
    assert header == COLUMNS
    assert header[:3] == ["framework", "item_id", "title"]
    for col in COLUMNS:
        assert f"| {col}" in csv_report.__doc__ or f" {col}," in csv_report.__doc__ or f", {col}" in csv_report.__doc__


def test_one_row_per_offender_and_one_per_item_without() -> None:
    rows = _rows(csv_report.render(live_run()))
    cis_52 = [r for r in rows if r["framework"] == CIS and r["item_id"] == "5.2"]
    assert [r["resource_id"] for r in cis_52] == ["sg-0xss", "sg-0formula", "sg-0bastion"]
    assert [r["finding_result"] for r in cis_52] == ["FAIL", "FAIL", "SUPPRESSED"]
    assert cis_52[2]["suppressed_by"] == "exception bastion-ssh: ticket SEC-42"
    manual = [r for r in rows if r["item_id"] == "1.1"]
    assert len(manual) == 1 and manual[0]["result"] == "MANUAL" and manual[0]["control_id"] == ""
    assert manual[0]["reason"].startswith("Check the contact details")
    assert len([r for r in rows if r["framework"] == BASE]) == 5
    # every item appears at least once
    assert {(r["framework"], r["item_id"]) for r in rows} == {(i.framework, i.id) for i in live_run().items}


def test_evidence_is_compact_json_and_text_is_kept_verbatim() -> None:
    rows = _rows(csv_report.render(live_run()))
    xss = next(r for r in rows if r["resource_id"] == "sg-0xss")
    assert xss["resource_name"] == XSS
    ev = json.loads(xss["evidence"])
    assert ev["rule"]["Description"] == 'say "hi" & <b>bye</b>'
    assert xss["evidence"] == json.dumps(ev, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    assert xss["account"] == "123456789012" and xss["region"] == "us-east-1"
    assert len(xss["fingerprint"]) == 20


def test_formula_cells_are_neutralized() -> None:
    rows = _rows(csv_report.render(live_run()))
    f = next(r for r in rows if r["resource_id"] == "sg-0formula")
    assert f["resource_name"] == "'" + FORMULA
    assert f["reason"] == "'-port 3389 open"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_safe_cell() -> None:
    assert safe_cell(None) == ""
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+1") == "'+1"
    assert safe_cell("@x") == "'@x"
    assert safe_cell("\tx") == "'\tx"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell(3) == "3"


def test_iac_run_rows_have_file_and_line() -> None:
    rows = _rows(csv_report.render(iac_run()))
    assert rows[0]["file"] == "templates/app.yaml" and rows[0]["line"] == "12"
    assert rows[0]["framework"] == ""
    assert {r["finding_result"] for r in rows} == {"FAIL", "UNKNOWN", "ERROR", "SUPPRESSED"}

"""Large scans stay lean: PASS results are counted per control and file unless --show-pass asks
for them, and the JSON report is written piece by piece."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from railguard.cli.main import main
from railguard.engine.iac import IacOptions, run_iac
from railguard.model import Result, RunResult
from railguard.report import json_report, write_to


def _template(n: int) -> str:
    rows = [f"  Q{i}: {{Type: AWS::SQS::Queue, Properties: {{KmsMasterKeyId: alias/aws/sqs}}}}" for i in range(n)]
    return "Resources:\n" + "\n".join(rows) + "\n  Open: {Type: AWS::SQS::Queue}\n"


def test_pass_results_are_counted_not_kept(tmp_path: Path) -> None:
    (tmp_path / "q.yaml").write_text(_template(300))
    lean = run_iac([tmp_path], IacOptions(only_controls=["sqs.queue-encrypted"]))
    assert [f.result for f in lean.findings] == [Result.FAIL]
    passed = lean.meta["passed"]
    assert passed["total"] == 300 and passed["by_control"] == {"sqs.queue-encrypted": 300}
    ((file, counts),) = passed["by_file"].items()
    assert file.endswith("q.yaml") and counts == {"sqs.queue-encrypted": 300}
    full = run_iac([tmp_path], IacOptions(only_controls=["sqs.queue-encrypted"], show_pass=True))
    assert sum(f.result == Result.PASS for f in full.findings) == 300
    assert full.meta["passed"]["total"] == 0


def test_an_all_pass_item_says_how_many_were_checked(tmp_path: Path) -> None:
    (tmp_path / "q.yaml").write_text(_template(5).replace("  Open: {Type: AWS::SQS::Queue}\n", ""))
    run = run_iac([tmp_path], IacOptions(only_controls=["sqs.queue-encrypted"]))
    item = next(i for i in run.items if i.id == "sqs.queue-encrypted")
    assert item.result == Result.PASS and "5 resource(s) checked" in item.reason


def test_cli_counts_passes_and_lists_them_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "q.yaml").write_text(_template(40))
    for extra, listed in (([], 0), (["--show-pass"], 40)):
        out = tmp_path / f"r{len(extra)}.json"
        with pytest.raises(SystemExit):
            main(["iac", "scan", str(tmp_path / "q.yaml"), "-c", "sqs.queue-encrypted", "--format", "json,text",
                  "-o", str(out)])
        assert "1 failed, 40 passed" in capsys.readouterr().out
        with pytest.raises(SystemExit):
            main(["iac", "scan", str(tmp_path / "q.yaml"), "-c", "sqs.queue-encrypted", "--format", "json",
                  "-o", str(out), *extra])
        item = next(i for i in json.loads(out.read_text())["items"] if i["id"] == "sqs.queue-encrypted")
        assert item["checked"] == 1 + listed


def test_json_report_is_streamed_and_identical_to_the_document(tmp_path: Path) -> None:
    from tests.report.sample import iac_run, live_run

    for run in (live_run(), iac_run(), RunResult(kind="iac", started_at="2026-12-03T00:00:00+00:00")):
        buf = io.StringIO()
        json_report.write(run, buf)
        assert json.loads(buf.getvalue()) == json.loads(json.dumps(json_report.to_dict(run), default=str))
        write_to(run, "json", tmp_path / "r.json")
        assert (tmp_path / "r.json").read_text() == buf.getvalue()

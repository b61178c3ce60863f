"""`railguard demo --keep`: the emulator stays up with the endpoint and environment printed, a
scan by hand works against it, and the demo says how many planted misconfigurations it found."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from railguard.cli.main import main
from railguard.demo.run import run_demo


@pytest.mark.e2e
def test_keep_leaves_the_emulator_up_for_a_scan_by_hand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}

    def by_hand(endpoint: str) -> None:
        err = capsys.readouterr().err
        seen["printed"] = err
        exports = re.search(r"export (.+)", err)
        assert exports is not None, err
        for pair in exports.group(1).split():
            key, _, value = pair.partition("=")
            monkeypatch.setenv(key, value)
        assert os.environ["AWS_ENDPOINT_URL"] == endpoint
        out = tmp_path / "by-hand"
        with pytest.raises(SystemExit) as done:
            main(["scan", "-q", "--regions", "us-east-1", "-c", "s3.deny-http", "--format", "json", "-o", str(out)])
        seen["code"] = done.value.code
        seen["report"] = json.loads((out / "railguard-report.json").read_text())

    html = run_demo(tmp_path / "out", framework="cis-aws-foundations-3.0", regions=["us-east-1"], keep=by_hand)
    assert html.exists()
    printed = str(seen["printed"])
    planted = re.search(r"(\d+) planted misconfigurations, (\d+) found", printed)
    assert planted is not None and int(planted.group(1)) > 20 and planted.group(1) == planted.group(2)
    assert "until you press Ctrl-C" in printed and "railguard scan" in printed
    assert seen["code"] == 0
    report = seen["report"]
    assert isinstance(report, dict)
    offenders = [o for i in report["items"] for o in i.get("offenders", [])]
    assert any(o["control_id"] == "s3.deny-http" for o in offenders)  # the lab's planted buckets
    endpoint = re.search(r"AWS_ENDPOINT_URL=(\S+)", printed)
    assert endpoint is not None
    with pytest.raises(urllib.error.URLError):  # stopped once the demo returns
        urllib.request.urlopen(endpoint.group(1), timeout=5)

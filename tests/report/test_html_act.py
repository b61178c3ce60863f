"""The HTML report helps a person act: one fix per item, evidence as key/values, a flat list of
failures by severity, documentation links, real guidance for MANUAL items, ids that wrap."""

from __future__ import annotations

import re

from railguard import frameworks
from railguard.model import Result
from railguard.report import html
from tests.report.sample import CIS, live_run


def _item_block(page: str, fw: str, item: str) -> str:
    start = page.index(f'id="item-{html._slug(f"{fw}-{item}")}"')
    return page[start:page.index("</details>", start)]


def test_fix_is_shown_once_per_item_not_per_offender() -> None:
    page = html.render(live_run())
    block = _item_block(page, CIS, "5.2")
    assert block.count('class="offender"') >= 3  # two FAILs and a suppressed one
    assert block.count("fix ec2.sg-admin-port-open-to-world") == 1
    assert '<div class="fix">' in block


def test_evidence_is_readable_key_values() -> None:
    page = html.render(live_run())
    block = _item_block(page, CIS, "5.2")
    assert 'class="ev"' in block and "<pre" not in block
    assert re.search(r"<dt>rule\.<wbr>CidrIp</dt><dd>0\.<wbr>0\.<wbr>0\.<wbr>0/<wbr>0</dd>", block), block
    assert html.evidence_pairs({}) == []
    pairs = html.evidence_pairs({"rules": [{"CidrIp": "0.0.0.0/0", "Ports": [22, 3389]}], "open": True})
    assert pairs == [("open", "true"), ("rules[0].CidrIp", "0.0.0.0/0"), ("rules[0].Ports", "22, 3389")]


def test_flat_view_lists_every_failure_once_worst_first() -> None:
    run = live_run()
    page = html.render(run)
    flat = page[page.index('id="failures"'):page.index("</details>", page.index('id="failures"'))]
    severities = re.findall(r'<tr class="failure" data-severity="(\w+)">', flat)
    fails = {f.fingerprint for f in run.findings if f.result == Result.FAIL}
    assert len(severities) == len(fails) and f"({len(fails)})" in flat
    ranks = ["critical", "high", "medium", "low", "info"]
    assert severities == sorted(severities, key=ranks.index)


def test_each_item_links_to_cis_and_each_control_to_aws_docs() -> None:
    block = _item_block(html.render(live_run()), CIS, "5.2")
    assert 'href="https://www.cisecurity.org/benchmark/amazon_web_services"' in block
    assert 'href="https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html"' in block


def test_manual_items_have_real_guidance() -> None:
    for fid in ("cis-aws-foundations-3.0", "cis-aws-foundations-5.0", "railguard-baseline"):
        for item in frameworks.load(fid).items:
            if item.is_manual:
                assert len(item.guidance) > 60 and item.guidance != item.title, (fid, item.id)
    block = _item_block(html.render(live_run()), CIS, "1.1")
    assert "How to check:" in block


def test_long_ids_get_break_opportunities_at_separators() -> None:
    assert str(html.wrap_id("arn:aws:iam::1:role/a-b")) == "arn:<wbr>aws:<wbr>iam:<wbr>:<wbr>1:<wbr>role/<wbr>a-<wbr>b"
    assert str(html.wrap_id("<x>")) == "&lt;x&gt;"
    page = html.render(live_run())
    assert "arn:<wbr>aws:<wbr>ec2:<wbr>" in page

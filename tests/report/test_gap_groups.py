"""A service denied in 38 regions reads as one line in the terminal and one row in the HTML."""

from __future__ import annotations

import re

import pytest

from railguard.cli.summary import print_summary
from railguard.model import Gap
from railguard.report.gaps import group_gaps
from railguard.report.html import render
from tests.report.sample import ACCOUNT, live_run

REGIONS = [f"{geo}-{side}-{n}" for geo in ("us", "eu", "ap", "sa") for side in ("east", "west", "north", "south",
                                                                                 "central") for n in (1, 2)][:38]


def _gaps() -> list[Gap]:
    out = []
    for r in REGIONS:
        for t in ("AWS::EC2::SecurityGroup", "AWS::EC2::Instance"):
            out.append(Gap(t, ACCOUNT, r, "access denied (UnauthorizedOperation) on ec2:DescribeSecurityGroups"))
        out.append(Gap("AWS::KMS::Key", ACCOUNT, r, f"endpoint unreachable https://kms.{r}.amazonaws.com"))
    out.append(Gap("AWS::S3::Bucket", ACCOUNT, "global", "access denied (AccessDenied) on s3:ListBuckets"))
    return out


def test_gaps_fold_by_reason_with_their_regions() -> None:
    groups = group_gaps(_gaps())
    assert len(groups) == 3
    ec2, kms, s3 = groups
    assert ec2.types == ["AWS::EC2::Instance", "AWS::EC2::SecurityGroup"] and len(ec2.regions) == 38
    assert ec2.count == 76
    assert kms.reason == "endpoint unreachable https://kms.<region>.amazonaws.com" and len(kms.regions) == 38
    assert s3.regions == ["global"] and "global" in s3.line()
    assert "38 regions: " in ec2.line()


def test_terminal_summary_shows_one_line_per_group(capsys: pytest.CaptureFixture[str]) -> None:
    run = live_run()
    run.gaps = _gaps()
    print_summary(run)
    err = capsys.readouterr().err
    assert f"{len(run.gaps)} gap(s)" in err
    assert err.count("ec2:DescribeSecurityGroups") == 1
    assert err.count("kms.<region>.amazonaws.com") == 1


def test_html_shows_one_row_per_group() -> None:
    run = live_run()
    run.gaps = _gaps()
    html = render(run)
    gaps = html[html.index('id="gaps"'):html.index("</section>", html.index('id="gaps"'))]
    assert len(re.findall(r'<tr class="gap">', gaps)) == 3
    assert f"{len(run.gaps)} part(s)" in gaps and "38 regions: " in gaps

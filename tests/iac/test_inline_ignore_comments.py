"""The one `railguard:ignore CONTROL_ID reason` comment parser shared by every loader."""

from __future__ import annotations

from railguard.sources.loaded import IgnoreComment, ignore_comment, scan_ignore_comments


def test_hash_comment_on_its_own_line_and_trailing() -> None:
    assert ignore_comment("  # railguard:ignore s3.encryption  public site, no data ", 3) == IgnoreComment(
        3, "s3.encryption", "public site, no data", True
    )
    trailing = ignore_comment("Bucket:  # railguard:ignore s3.versioning logs only", 7)
    assert trailing == IgnoreComment(7, "s3.versioning", "logs only", False)


def test_missing_id_or_reason_is_reported_empty_not_dropped() -> None:
    assert ignore_comment("# railguard:ignore", 1) == IgnoreComment(1, "", "", True)
    assert ignore_comment("# railguard:ignore s3.encryption   ", 2) == IgnoreComment(2, "s3.encryption", "", True)


def test_hcl_comment_forms_only_when_asked() -> None:
    assert ignore_comment("// railguard:ignore ec2.x why", 1) is None
    assert ignore_comment("// railguard:ignore ec2.x why", 1, hcl=True) == IgnoreComment(1, "ec2.x", "why", True)
    block = ignore_comment("/* railguard:ignore ec2.x because */", 4, hcl=True)
    assert block == IgnoreComment(4, "ec2.x", "because", True)
    assert ignore_comment("# railguard:ignore ec2.x because */", 4) == IgnoreComment(4, "ec2.x", "because */", True)


def test_not_an_ignore() -> None:
    assert ignore_comment("# railguard:ignored-by-someone x y", 1) is None
    assert ignore_comment("# a plain comment", 1) is None
    assert scan_ignore_comments("a: 1\n# nothing here\n") == []


def test_scan_numbers_lines_from_one() -> None:
    text = "Resources:\n  # railguard:ignore a.b why\n  B:\n    Type: X # railguard:ignore c.d\n"
    assert scan_ignore_comments(text) == [
        IgnoreComment(2, "a.b", "why", True),
        IgnoreComment(4, "c.d", "", False),
    ]

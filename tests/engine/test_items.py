"""Rolling findings up into framework items: worst result wins, and a partly assessed item never passes."""

from __future__ import annotations

from railguard.engine.items import map_items
from railguard.engine.plan import build_plan
from railguard.frameworks import Framework, Item
from railguard.model import Finding, Result, Severity


def _fw() -> Framework:
    return Framework(id="fw", title="t", version="1", items=[
        Item(id="A", title="two controls", section="s", controls=["s3.versioning-enabled", "ec2.ebs-volume-encrypted"]),
        Item(id="B", title="manual", section="s", manual=True, guidance="look"),
    ])


def _finding(control: str, result: Result) -> Finding:
    return Finding(control_id=control, title="t", severity=Severity.MEDIUM, result=result,
                   resource_type="AWS::S3::Bucket", resource_id="b")


def test_worst_result_wins() -> None:
    plan = build_plan([_fw()])
    _, items = map_items(plan, [_finding("s3.versioning-enabled", Result.PASS),
                                _finding("ec2.ebs-volume-encrypted", Result.FAIL)])
    assert [(i.id, i.result) for i in items] == [("A", Result.FAIL), ("B", Result.MANUAL)]


def test_item_assessed_only_in_part_is_unknown_not_pass() -> None:
    plan = build_plan([_fw()], only_controls=["s3.versioning-enabled"])
    _, items = map_items(plan, [_finding("s3.versioning-enabled", Result.PASS)])
    a = next(i for i in items if i.id == "A")
    assert a.result == Result.UNKNOWN and "ec2.ebs-volume-encrypted" in a.reason


def test_item_assessed_only_in_part_still_fails() -> None:
    plan = build_plan([_fw()], only_controls=["s3.versioning-enabled"])
    _, items = map_items(plan, [_finding("s3.versioning-enabled", Result.FAIL)])
    assert next(i for i in items if i.id == "A").result == Result.FAIL


def test_item_with_no_selected_control_is_left_out() -> None:
    plan = build_plan([_fw()], only_controls=["iam.root-mfa"])
    _, items = map_items(plan, [])
    assert [i.id for i in items] == ["B"]


def test_fail_on_gates_on_the_failing_finding_not_its_item() -> None:
    from railguard.model import RunResult

    run = RunResult(kind="scan", started_at="", findings=[_finding("s3.versioning-enabled", Result.FAIL),
                                                          Finding(control_id="x", title="t", severity=Severity.HIGH,
                                                                  result=Result.PASS, resource_type="t", resource_id="r")])
    assert run.fails_at(Severity.MEDIUM) and not run.fails_at(Severity.HIGH)

"""Helpers for action tests: a session that counts requests, targets, and the control's verdict
on a freshly re-read resource (the same path verify takes)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import boto3

from railguard.controls import get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Resource, Result
from railguard.remediation.action import Change, Target
from railguard.remediation.actions import get
from railguard.sources.aws.session import AccountSession, CallCounter
from railguard.sources.aws.single import inventory_for, read_one

REGION = "us-east-1"


def session(region: str = REGION) -> AccountSession:
    s = AccountSession(boto3.Session(region_name=region), "", counter=CallCounter())
    s.account = s.client("sts").get_caller_identity()["Account"]
    s.counter.counts.clear()
    return s


def verdict(sess: AccountSession, control_id: str, resource_id: str, region: str = REGION,
            resource_type: str | None = None, params: Mapping[str, Any] | None = None) -> Result:
    """The control's result on the resource as it is now (re-read, like verify)."""
    c = get_control(control_id)
    inv = inventory_for(sess, c, resource_id, region, resource_type=resource_type)
    found = [f for f in evaluate([PlannedControl(c, {**c.params, **(params or {})})], inv)
             if resource_id in (f.resource_id, f.arn, f.resource_name)]
    assert len(found) == 1, f"expected one finding for {resource_id}, got {found}"
    return found[0].result


def target(sess: AccountSession, resource_type: str, resource_id: str, region: str = REGION) -> Target:
    return Target(read_one(sess, resource_type, resource_id, region), sess, region)


def plan(sess: AccountSession, action_id: str, resource_type: str, resource_id: str,
         params: Mapping[str, Any] | None = None, region: str = REGION) -> tuple[Target, Change]:
    t = target(sess, resource_type, resource_id, region)
    return t, get(action_id).plan(t, params or {})


def journalled(change: Change) -> Change:
    """The change as the journal gives it back: through JSON (undo must work from that alone)."""
    return Change.from_dict(json.loads(json.dumps(change.to_dict())))


def calls_during(sess: AccountSession, fn: Any, *args: Any) -> tuple[Any, dict[str, int]]:
    """Run fn and return (its result, the API requests it sent by service:Operation)."""
    before = sess.counter.snapshot()
    out = fn(*args)
    after = sess.counter.snapshot()
    return out, {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def state(sess: AccountSession, action_id: str, resource: Resource, region: str = REGION) -> Mapping[str, Any]:
    return get(action_id).current(Target(resource, sess, region))


def cycle(sess: AccountSession, action_id: str, control_id: str, rtype: str, rid: str, read: Any,
          params: dict[str, Any] | None = None, control_type: str | None = None, control_id_of: str | None = None,
          ) -> None:
    """FAIL; plan changes nothing; apply: PASS and current() re-reads; undo: as before and FAIL."""
    cid = control_id_of or rid
    ctype = control_type or rtype
    before = read()
    assert verdict(sess, control_id, cid, resource_type=ctype) == Result.FAIL
    t, change = plan(sess, action_id, rtype, rid, params)
    assert not change.noop and read() == before
    spec = get(action_id)
    applied = spec.apply(t, change)
    assert verdict(sess, control_id, cid, resource_type=ctype) == Result.PASS
    left = spec.current(t)
    spec.undo(t, journalled(change), applied)
    assert read() == before
    assert spec.current(t) != left
    assert verdict(sess, control_id, cid, resource_type=ctype) == Result.FAIL
    spec.apply(t, change)
    _, again = plan(sess, action_id, rtype, rid, params)
    assert again.noop and again.calls == ()

"""The action catalogue's metadata: every action complete, and controls and actions naming each other."""

from __future__ import annotations

from pydantic import BaseModel

from railguard.controls import all_controls, has_control
from railguard.remediation.actions import all_actions, for_control, get


def test_every_action_declares_its_metadata() -> None:
    for a in all_actions():
        assert a.title and a.resource_types and a.calls and a.permissions and a.fixes, a.id
        assert all(":" in c for c in a.calls + a.permissions), a.id
        assert issubclass(a.params_model, BaseModel) and a.params_model.model_config.get("extra") == "forbid", a.id
        assert a.reversible or a.reversible_note, f"{a.id}: say why it cannot be undone"
        assert get(a.id) is a


def test_actions_fix_real_controls_and_controls_name_their_action() -> None:
    for a in all_actions():
        for cid in a.fixes:
            assert has_control(cid), f"{a.id} fixes unknown control {cid}"
    for c in all_controls():
        if c.remediation:
            assert c.id in get(c.remediation).fixes, f"{c.id} names {c.remediation}, which does not list it"
            assert get(c.remediation) in for_control(c.id)

"""The controls a guardrail judges with: catalogue controls by id, or its `where:` condition as an
inline control (id `guardrail.<name>`), evaluated by the same engine."""

from __future__ import annotations

from railguard.controls import LIVE, Context, Control, get_control
from railguard.engine.plan import PlannedControl
from railguard.guardrails.schema import Guardrail
from railguard.guardrails.where import Undecidable
from railguard.model import Resource, Verdict, failed, passed, unknown


def inline_control(g: Guardrail) -> Control:
    assert g.where is not None and g.resource is not None
    conditions = list(g.where)
    text = " and ".join(c.describe() for c in conditions)

    def judge(r: Resource, ctx: Context) -> Verdict:
        try:
            if all(c.matches(r, ctx.now) for c in conditions):
                return failed(f"matches the condition of guardrail {g.name}: {text}")
        except Undecidable as exc:
            return unknown(f"cannot be assessed: {exc}")
        return passed()

    return Control(id=f"guardrail.{g.name}", title=g.description or f"guardrail {g.name}: {text}",
                   resource=(g.resource,), severity=g.severity, fn=judge, description=text,
                   places=frozenset({LIVE}), wants_context=True)


def guardrail_controls(g: Guardrail) -> list[PlannedControl]:
    if g.where is not None:
        c = inline_control(g)
        return [PlannedControl(c, {})]
    out = []
    for cid in g.controls:
        c = get_control(cid)
        out.append(PlannedControl(c, dict(c.params)))
    return out

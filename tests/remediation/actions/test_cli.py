"""`railguard actions list|show` and the action named by `railguard controls show`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from railguard.cli.exitcodes import UserError
from railguard.cli.main import app
from railguard.remediation.actions import all_actions

runner = CliRunner()


def test_list_names_every_action() -> None:
    result = runner.invoke(app, ["actions", "list"])
    assert result.exit_code == 0
    ids = [line.split()[0] for line in result.output.splitlines()]
    assert ids == [a.id for a in all_actions()] and len(ids) >= 16
    assert "NO-UNDO" in next(line for line in result.output.splitlines() if "remove-console-password" in line)


def test_show_documents_calls_permissions_risk_undo_params_and_controls() -> None:
    result = runner.invoke(app, ["actions", "show", "ec2.restrict-world-ingress"])
    assert result.exit_code == 0, result.output
    out = result.output
    for needle in ("ec2:RevokeSecurityGroupIngress", "may break traffic", "reversible   yes", "allow_cidrs",
                   "default [22, 3389]", "ec2.sg-admin-port-open-to-world"):
        assert needle in out
    data = json.loads(runner.invoke(app, ["actions", "show", "iam.remove-console-password", "--json"]).output)
    assert data["reversible"] is False and "cannot be put back" in data["reversible_note"]
    assert data["params"] == [{"name": "unused_days", "type": "integer", "default": 90, "required": False,
                               "description": "remove only a password unused (or never used) this long"}]


def test_show_unknown_action_is_a_usage_error() -> None:
    result = runner.invoke(app, ["actions", "show", "ec2.nothing"])
    assert isinstance(result.exception, UserError)  # `main()` prints it and exits with its code
    assert result.exception.code == 2 and "unknown action 'ec2.nothing'" in str(result.exception)


def test_controls_show_names_the_action() -> None:
    result = runner.invoke(app, ["controls", "show", "s3.deny-http"])
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if x.startswith("remediation"))
    assert "s3.deny-http: Merge a deny-insecure-transport statement" in line

"""Guardrail files: the issue's example validates as written; every error names file, line and field;
`${VAR}` comes from the environment and is never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from railguard.guardrails import GuardrailError, load_guardrails, parse_guardrails

EXAMPLE = """\
guardrails:
  - name: no-admin-ports-from-world
    controls: [ec2.sg-admin-port-open-to-world]   # catalogue ids; or `where:` an inline condition (below)
    scope: {accounts: ["111111111111"], regions: [us-west-2], tags: {env: prod}}   # every key optional
    mode: remediate                   # assess | approve | remediate; or per environment: {dev: remediate, prod: approve}
    action: {id: ec2.restrict-world-ingress, params: {allow_cidrs: [10.0.0.0/8]}}
    safeguards: {max_actions: 3, window: 1h, quiet_minutes: 10}
    exceptions:
      - {resource: sg-0abc, reason: "bastion, ticket SEC-12", owner: ops@example.com, expires: 2027-01-31}
    notify: [slack-secops]
environments: {prod: {accounts: ["111111111111"]}, dev: {tag: {env: dev}}}
notifications: {slack-secops: {slack_webhook: "${SLACK_WEBHOOK_URL}"}}
"""
HOOK = "https://hooks.slack.com/services/T000/B000/very-secret-token"


def test_the_issue_example_validates_as_written() -> None:
    f = parse_guardrails(EXAMPLE, "g.yaml", {"SLACK_WEBHOOK_URL": HOOK})
    g = f.guardrails[0]
    assert g.mode == "remediate" and g.action is not None and g.action.params == {"allow_cidrs": ["10.0.0.0/8"]}
    assert g.safeguards.max_actions == 3 and g.safeguards.window.total_seconds() == 3600
    assert g.safeguards.quiet_minutes == 10
    assert g.exceptions[0].expires.isoformat() == "2027-01-31"
    assert set(f.environments) == {"prod", "dev"}
    assert HOOK not in repr(f) and HOOK not in str(f.model_dump())


def test_defaults_are_safe() -> None:
    f = parse_guardrails("guardrails:\n  - name: a\n    controls: [ec2.sg-admin-port-open-to-world]\n", "g.yaml", {})
    g = f.guardrails[0]
    assert g.mode == "assess" and g.action is None
    assert g.safeguards.max_actions == 5 and g.safeguards.window.total_seconds() == 3600
    assert g.safeguards.quiet_minutes is None


def _errors(text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(GuardrailError) as exc:
        parse_guardrails(text, "g.yaml", env if env is not None else {"SLACK_WEBHOOK_URL": HOOK})
    return str(exc.value)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("controls: [ec2.sg-admin-port-open-to-world]", "controls: [ec2.nope]",
     "g.yaml:3: field guardrails.0.controls: unknown control 'ec2.nope'"),
    ("action: {id: ec2.restrict-world-ingress,", "action: {id: ec2.nope,",
     "g.yaml:6: field guardrails.0.action: unknown action 'ec2.nope'"),
    ("allow_cidrs: [10.0.0.0/8]", "allow_cidr: [10.0.0.0/8]",
     "g.yaml:6: field guardrails.0.action: params.allow_cidr: Extra inputs are not permitted"),
    ("max_actions: 3", "max_action: 3", "g.yaml:7: field guardrails.0.safeguards.max_action: Extra inputs"),
    ("window: 1h", "window: 1 hour", "g.yaml:7: field guardrails.0.safeguards.window: not a duration"),
    ("mode: remediate ", "mode: fix ", "g.yaml:5: field guardrails.0.mode"),
    ("expires: 2027-01-31", "expires: someday", "g.yaml:9: field guardrails.0.exceptions.0.expires"),
    (", expires: 2027-01-31", "", "g.yaml:9: field guardrails.0.exceptions.0.expires: Field required"),
    ("notify: [slack-secops]", "notify: [pager]", "g.yaml:10: field guardrails.0.notify.0: unknown channel 'pager'"),
    ('accounts: ["111111111111"]}, dev', 'accounts: ["1111"]}, dev', "g.yaml:11: field environments.prod.accounts.0"),
    ("    notify:", "    colour: red\n    notify:", "g.yaml:10: field guardrails.0.colour: Extra inputs are not permitted"),
])
def test_every_error_names_file_line_and_field(old: str, new: str, expected: str) -> None:
    assert old in EXAMPLE
    assert expected in _errors(EXAMPLE.replace(old, new))


def test_mode_per_environment_must_name_declared_environments() -> None:
    text = EXAMPLE.replace("mode: remediate ", "mode: {dev: remediate, qa: approve} ")
    assert "g.yaml:5: field guardrails.0.mode.qa: unknown environment 'qa'" in _errors(text)


def test_action_must_fit_what_the_guardrail_flags() -> None:
    text = EXAMPLE.replace("ec2.sg-admin-port-open-to-world]", "s3.default-encryption]")
    assert "works on AWS::EC2::SecurityGroup" in _errors(text)


def test_remediate_needs_an_action_and_controls_or_where() -> None:
    assert "needs an `action:`" in _errors(
        "guardrails:\n  - name: a\n    controls: [ec2.sg-admin-port-open-to-world]\n    mode: remediate\n")
    assert "`controls:` or a `where:`" in _errors("guardrails:\n  - name: a\n")
    assert "needs `resource:`" in _errors("guardrails:\n  - name: a\n    where: {path: x, eq: 1}\n")


def test_a_missing_variable_is_named_and_a_set_one_is_never_printed() -> None:
    msg = _errors(EXAMPLE, env={})
    assert "g.yaml:12: field notifications.slack-secops.slack_webhook: environment variable SLACK_WEBHOOK_URL is not set" in msg
    bad = EXAMPLE.replace("max_actions: 3", "max_actions: \"${LIMIT}\"")
    msg = _errors(bad, env={"SLACK_WEBHOOK_URL": HOOK, "LIMIT": "s3cr3t-value"})
    assert "guardrails.0.safeguards.max_actions" in msg and "s3cr3t-value" not in msg and HOOK not in msg


def test_not_yaml_and_not_a_mapping() -> None:
    assert _errors("guardrails: [\n").startswith("g.yaml:2: not valid YAML")
    assert _errors("- a\n") == "g.yaml:1: a guardrail file is a mapping with a `guardrails:` list"


def test_load_several_files_and_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", HOOK)
    (tmp_path / "a.yaml").write_text(EXAMPLE)
    sub = tmp_path / "more"
    sub.mkdir()
    (sub / "b.yml").write_text("guardrails:\n  - name: other\n    controls: [ec2.sg-admin-port-open-to-world]\n")
    gs = load_guardrails([tmp_path])
    assert [r.name for r in gs] == ["no-admin-ports-from-world", "other"]
    assert gs.get("other") is not None and gs.get("other").source.endswith("b.yml")  # type: ignore[union-attr]
    (sub / "c.yaml").write_text("guardrails:\n  - name: other\n    controls: [ec2.sg-admin-port-open-to-world]\n"
                                "  - name: x\n    bogus: 1\n")
    with pytest.raises(GuardrailError) as exc:
        load_guardrails([tmp_path])
    assert "c.yaml:5: field guardrails.1.bogus" in str(exc.value) and "c.yaml:2: field guardrails.0.name" not in str(exc.value)
    with pytest.raises(GuardrailError, match="no such file"):
        load_guardrails([tmp_path / "missing.yaml"])

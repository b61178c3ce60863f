"""Remediation: actions that fix what controls find, and the pipeline that runs them safely.

`railguard.remediation.action` defines an action (metadata, params, plan/apply/undo/current);
`railguard.remediation.actions` holds the catalogue, one small module per service family.
"""

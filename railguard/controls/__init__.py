"""The control catalogue, one module per AWS service. Controls are pure: no boto3, no I/O."""

from railguard.controls.registry import (
    IAC,
    LIVE,
    Context,
    Control,
    all_controls,
    control,
    get_control,
    has_control,
    load_all,
)

__all__ = ["IAC", "LIVE", "Context", "Control", "all_controls", "control", "get_control", "has_control", "load_all"]

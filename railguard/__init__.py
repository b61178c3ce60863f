"""railguard: cloud security automation for AWS."""

__version__ = "0.1.0"

"""`python -m railguard.cli` runs the CLI (used by tests to avoid depending on PATH)."""

from railguard.cli.main import main

main()

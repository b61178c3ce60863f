"""Incident response as resumable cases: isolate an instance, contain a principal, release.

Every workflow is a case in the store (`railguard.store.cases`): ordered steps, each recorded with
who ran it, when, what it did and the prior state that undoes it, and the evidence captured before
any change (SHA-256 per artefact). `railguard.ir.service` holds the use cases the CLI calls.
"""

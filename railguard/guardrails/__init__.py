"""Guardrail files: schema, loading, scope, environments, exceptions, `where:` conditions."""

from railguard.guardrails.load import GuardrailError, GuardrailSet, Rule, load_guardrails, parse_guardrails
from railguard.guardrails.schema import Guardrail, GuardrailFile

__all__ = ["Guardrail", "GuardrailError", "GuardrailFile", "GuardrailSet", "Rule", "load_guardrails",
           "parse_guardrails"]

"""Lambda function controls (`AWS::Lambda::Function`, and SAM `AWS::Serverless::Function`).

Template-only for now (places=("iac",)): there is no live Lambda collector yet. The
CloudFormation loader yields SAM functions as `AWS::Lambda::Function` with `Globals` merged;
the SAM type is listed too for loaders that keep it. Both carry `Environment.Variables`.
"""

from __future__ import annotations

from collections.abc import Mapping

from railguard.controls import IAC, control
from railguard.controls.ecs import env_secret_offenders
from railguard.model import Resource, Severity, UnknownValue, Verdict, failed, passed

FUNCTION = "AWS::Lambda::Function"
SAM_FUNCTION = "AWS::Serverless::Function"


@control(
    "lambda.secrets-in-environment",
    title="Lambda function holds a secret in plain environment variables",
    resource=[FUNCTION, SAM_FUNCTION],
    severity=Severity.HIGH,
    fix="Read the secret at run time from Secrets Manager or SSM SecureString (or the Parameters and Secrets extension).",
    places=(IAC,),
)
def secrets_in_environment(r: Resource) -> Verdict:
    """Function environment variables are returned in clear by GetFunctionConfiguration to
    anyone with read access, and sit in every published version. A secret-looking name with a
    literal value, or a value in a known credential format, fails; values are redacted in
    evidence. Template-only: no live Lambda collector."""
    variables = r.get("Environment.Variables")
    if not isinstance(variables, Mapping):
        return passed("no environment variables")
    offenders, pending = env_secret_offenders(list(variables.items()))
    if offenders:
        return failed(f"secret value in environment: {', '.join(str(o['name']) for o in offenders)}",
                      variables=offenders)
    if pending is not None:
        raise UnknownValue("Environment.Variables", pending)
    return passed("no secret-looking environment variable with a literal value")

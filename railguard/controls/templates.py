"""Template-only controls: secrets written into CloudFormation/Terraform code.

These exist only before deployment (places=("iac",)): once deployed, a hard-coded password
is indistinguishable from a good one, and no live collector could tell them apart.

* Parameters: the CloudFormation loader yields one `RailGuard::CloudFormation::Parameter` per
  template parameter, its declaration as properties (`Type`, `Default`, `NoEcho`, ...; the name
  is the resource id, or a `Name` property when a loader sets one).
* Resource properties that hold a secret (`SECRET_PROPERTIES`): a literal value fails; a
  dynamic reference (`{{resolve:secretsmanager:...}}`, `{{resolve:ssm-secure:...}}`) passes; a
  `Ref` to a parameter without Default passes when the parameter is NoEcho and fails when it
  is not (CloudFormation then shows the value in clear); a Terraform variable without value
  passes (the value is not in the code); any other unresolved value is UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from railguard.controls import IAC, Context, control
from railguard.controls.helpers import as_list, truthy
from railguard.controls.secretlike import (
    deploy_input,
    is_dynamic_reference,
    looks_secret_name,
    redact,
    secret_reason,
)
from railguard.model import Resource, Severity, Unknown, UnknownValue, Verdict, failed, passed

PARAMETER = "RailGuard::CloudFormation::Parameter"

# type -> dotted paths of properties that hold a secret; `*` walks a list.
SECRET_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::RDS::DBInstance": ("MasterUserPassword", "TdeCredentialPassword"),
    "AWS::RDS::DBCluster": ("MasterUserPassword",),
    "AWS::Redshift::Cluster": ("MasterUserPassword",),
    "AWS::DocDB::DBCluster": ("MasterUserPassword",),
    "AWS::DocDBElastic::Cluster": ("AdminUserPassword",),
    "AWS::ElastiCache::ReplicationGroup": ("AuthToken",),
    "AWS::ElastiCache::User": ("Passwords.*",),
    "AWS::IAM::User": ("LoginProfile.Password",),
    "AWS::DirectoryService::MicrosoftAD": ("Password",),
    "AWS::DirectoryService::SimpleAD": ("Password",),
    "AWS::AmazonMQ::Broker": ("Users.*.Password",),
    "AWS::DMS::Endpoint": ("Password",),
    "AWS::CodePipeline::Webhook": ("AuthenticationConfiguration.SecretToken",),
    "AWS::Amplify::App": ("AccessToken", "OauthToken", "BasicAuthConfig.Password"),
    "AWS::Amplify::Branch": ("BasicAuthConfig.Password",),
}
# type -> path of a name/value collection whose secret-named entries must not be literal:
# a list of {Key, Value} (OpsWorks) or a map (Glue connection properties).
SECRET_COLLECTIONS: dict[str, tuple[str, ...]] = {
    "AWS::OpsWorks::App": ("Environment",),
    "AWS::Glue::Connection": ("ConnectionInput.ConnectionProperties",),
}
_TYPES = sorted(set(SECRET_PROPERTIES) | set(SECRET_COLLECTIONS))


def _param_name(r: Resource) -> str:
    name = r.get_raw("Name")
    return name if isinstance(name, str) and name else (r.name or r.id)


def _is_ssm_typed(r: Resource) -> bool:
    t = r.get_raw("Type")
    return isinstance(t, str) and t.startswith("AWS::SSM::Parameter::")


# ----------------------------------------------------------------------- parameters


@control(
    "template.secret-parameter-without-noecho",
    title="CloudFormation parameter that holds a secret is not NoEcho",
    resource=PARAMETER,
    severity=Severity.MEDIUM,
    fix="Set `NoEcho: true` on the parameter, or better, read the secret with a {{resolve:secretsmanager:...}} reference.",
    places=(IAC,),
)
def secret_parameter_without_noecho(r: Resource) -> Verdict | None:
    """Without NoEcho, CloudFormation shows the parameter's value in clear in the console,
    DescribeStacks and events. Parameters whose name does not look secret, and SSM-typed
    parameters (their value is a parameter name), are out of scope. Template-only."""
    name = _param_name(r)
    if not looks_secret_name(name) or _is_ssm_typed(r):
        return None
    no_echo = r.get("NoEcho")
    if truthy(no_echo):
        return passed(f"parameter {name} is NoEcho", parameter=name)
    return failed(f"parameter {name} looks like a secret but is not NoEcho", parameter=name, NoEcho=no_echo)


@control(
    "template.hardcoded-secret-default",
    title="CloudFormation parameter that holds a secret has a literal Default",
    resource=PARAMETER,
    severity=Severity.HIGH,
    fix="Remove the Default and pass the value at deploy time, or use a {{resolve:secretsmanager:...}} reference.",
    places=(IAC,),
)
def hardcoded_secret_default(r: Resource) -> Verdict | None:
    """A Default is committed with the template: whoever reads the repository has the
    secret, NoEcho or not. A secret-looking name with a literal Default, or a Default in a
    known credential format, fails; the Default is redacted in evidence. Template-only."""
    name = _param_name(r)
    if _is_ssm_typed(r):
        return None
    default = r.get("Default")
    why = secret_reason(name, default)
    if why:
        return failed(f"parameter {name} has a hard-coded secret Default ({why})", parameter=name,
                      Default=redact(default))
    if not looks_secret_name(name):
        return None
    return passed(f"parameter {name} has no literal Default", parameter=name)


# ----------------------------------------------------------------------- properties


def _walk(value: Any, parts: list[str], path: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for a dotted path with `*` over lists; Unknowns are yielded."""
    if not parts or isinstance(value, Unknown):
        if value is not None:
            yield path, value
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        for i, v in enumerate(as_list(value)):
            yield from _walk(v, rest, f"{path}.{i}")
    elif isinstance(value, Mapping) and head in value:
        yield from _walk(value[head], rest, f"{path}.{head}" if path else head)


def _collection(value: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(path, name, value) of the entries of a name/value collection."""
    if isinstance(value, Unknown):
        yield path, None, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield f"{path}.{k}", k, v
    else:
        for i, e in enumerate(as_list(value)):
            if isinstance(e, Unknown):
                yield f"{path}.{i}", None, e
            elif isinstance(e, Mapping):
                yield f"{path}.{i}", e.get("Key", e.get("Name")), e.get("Value")


def _parameter(ctx: Context, r: Resource, name: str) -> Resource | None:
    for p in ctx.inventory.of_type(PARAMETER, where=lambda p: p.origin.file == r.origin.file):
        if _param_name(p) == name:
            return p
    return None


def _judge(ctx: Context, r: Resource, path: str, value: Any,
           offenders: list[dict[str, Any]], pending: list[UnknownValue]) -> None:
    if isinstance(value, Unknown):
        src = deploy_input(value)
        if src is None:
            pending.append(UnknownValue(path, value))
            return
        kind, name = src
        if kind != "parameter":
            return  # an SSM-typed parameter or a Terraform variable: not in the code
        param = _parameter(ctx, r, name)
        if param is None:
            pending.append(UnknownValue(path, value))
        elif not truthy(param.get_raw("NoEcho")):
            offenders.append({"property": path, "parameter": name,
                              "why": f"value comes from parameter {name}, which is not NoEcho"})
        return
    if isinstance(value, Mapping | list):
        pending.append(UnknownValue(path, Unknown("value is an expression railguard did not resolve")))
        return
    if isinstance(value, bool) or value is None or str(value).strip() == "":
        return
    if is_dynamic_reference(value):
        return
    offenders.append({"property": path, "value": redact(value), "why": "literal value in the template"})


@control(
    "template.hardcoded-secret-property",
    title="Resource property that holds a secret is hard-coded in the template",
    resource=_TYPES,
    reads=[PARAMETER],
    severity=Severity.HIGH,
    fix="Use a dynamic reference ({{resolve:secretsmanager:...}}), ManageMasterUserPassword, or a NoEcho parameter without Default.",
    places=(IAC,),
)
def hardcoded_secret_property(r: Resource, ctx: Context) -> Verdict:
    """Passwords, auth tokens and keys written into a template are in the repository, in every
    clone and CI log, and in the stack's template in clear. Template-only: once deployed the
    value cannot be told from a good one. Values are redacted in evidence."""
    offenders: list[dict[str, Any]] = []
    pending: list[UnknownValue] = []
    checked: list[str] = []
    for path in SECRET_PROPERTIES.get(r.type, ()):
        head = path.split(".")[0]
        for concrete, value in _walk(r.get_raw(head), path.split(".")[1:], head):
            checked.append(concrete)
            _judge(ctx, r, concrete, value, offenders, pending)
    for path in SECRET_COLLECTIONS.get(r.type, ()):
        for concrete, name, value in _collection(r.get_raw(path), path):
            if name is None:
                pending.append(UnknownValue(concrete, value if isinstance(value, Unknown) else Unknown("entry without a name")))
                continue
            if looks_secret_name(name):
                checked.append(concrete)
                _judge(ctx, r, concrete, value, offenders, pending)
            elif not isinstance(value, Unknown):
                why = secret_reason(name, value)
                if why:
                    offenders.append({"property": concrete, "value": redact(value), "why": why})
    if offenders:
        where = "; ".join(f"{o['property']} ({o['why']})" for o in offenders)
        return failed(f"secret exposed by the template: {where}", properties=offenders)
    if pending:
        raise pending[0]
    if not checked:
        return passed("no secret property is set")
    return passed("secret properties come from dynamic references or NoEcho parameters", properties=checked)

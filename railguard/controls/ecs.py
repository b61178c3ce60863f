"""ECS task definition controls (`AWS::ECS::TaskDefinition`, CloudFormation shape).

Template-only for now (places=("iac",)): they read CloudFormation/SAM templates, Terraform
`aws_ecs_task_definition` (mapped by the Terraform loader) and task definition JSON files
(`railguard.sources.containers`); there is no live ECS collector yet. Each container is an
entry of `ContainerDefinitions` with `Name`, `Image`, `Privileged`, `ReadonlyRootFilesystem`,
`User`, `Environment: [{Name, Value}]`, `Secrets: [{Name, ValueFrom}]`, `LinuxParameters`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from railguard.controls import IAC, control
from railguard.controls.helpers import as_list, truthy
from railguard.controls.secretlike import deploy_input, looks_secret_name, redact, secret_reason
from railguard.model import Resource, Severity, Unknown, UnknownValue, Verdict, failed, passed, require

TASK_DEFINITION = "AWS::ECS::TaskDefinition"


def containers(r: Resource) -> list[Mapping[str, Any]]:
    """The container definitions; an Unknown list or entry raises (-> UNKNOWN)."""
    out = []
    for i, c in enumerate(as_list(r.get("ContainerDefinitions"))):
        require(c, f"ContainerDefinitions.{i}")
        if isinstance(c, Mapping):
            out.append(c)
    return out


def _cname(c: Mapping[str, Any], i: int) -> str:
    name = c.get("Name")
    return str(name) if isinstance(name, str) and name else f"#{i}"


def env_secret_offenders(entries: list[tuple[Any, Any]]) -> tuple[list[dict[str, Any]], Unknown | None]:
    """(name, value) pairs -> offenders (value redacted) and the first Unknown value that could
    hide a literal secret under a secret-looking name. A value given at deployment (a parameter
    without Default, a Terraform variable without value) is not written in the file."""
    offenders: list[dict[str, Any]] = []
    pending: Unknown | None = None
    for name, value in entries:
        if isinstance(value, Unknown):
            if looks_secret_name(name) and deploy_input(value) is None and pending is None:
                pending = Unknown(f"{name}: {value.reason}")
            continue
        why = secret_reason(name, value)
        if why:
            offenders.append({"name": name, "value": redact(value), "why": why})
    return offenders, pending


@control(
    "ecs.privileged-container",
    title="ECS task definition runs a privileged container",
    resource=TASK_DEFINITION,
    severity=Severity.HIGH,
    fix="Remove `Privileged: true`; grant only the Linux capabilities the container needs (LinuxParameters.Capabilities.Add).",
    places=(IAC,),
)
def privileged_container(r: Resource) -> Verdict:
    """A privileged container has every capability and the host's devices: escaping to the
    host is trivial. Template-only: no live ECS collector."""
    offenders, pending = [], None
    for i, c in enumerate(containers(r)):
        value = c.get("Privileged")
        if isinstance(value, Unknown):
            pending = pending or UnknownValue(f"ContainerDefinitions.{i}.Privileged", value)
        elif truthy(value):
            offenders.append(_cname(c, i))
    if offenders:
        return failed(f"privileged container(s): {', '.join(offenders)}", containers=offenders)
    if pending is not None:
        raise pending
    return passed("no container is privileged")


@control(
    "ecs.host-network-mode",
    title="ECS task definition uses the host network mode",
    resource=TASK_DEFINITION,
    severity=Severity.MEDIUM,
    fix="Use NetworkMode awsvpc (each task gets its own ENI and security groups) instead of host.",
    places=(IAC,),
)
def host_network_mode(r: Resource) -> Verdict:
    """In host mode containers share the instance's network stack: they can reach the
    instance metadata service and every host port, and security groups cannot separate
    tasks. Template-only: no live ECS collector."""
    mode = r.get("NetworkMode")
    if isinstance(mode, str) and mode.strip().lower() == "host":
        return failed("NetworkMode is host", NetworkMode=mode)
    return passed(f"NetworkMode is {mode or 'the default (bridge on EC2, awsvpc on Fargate)'}")


@control(
    "ecs.writable-root-filesystem",
    title="ECS container has a writable root filesystem",
    resource=TASK_DEFINITION,
    severity=Severity.MEDIUM,
    fix="Set `ReadonlyRootFilesystem: true` on every container; mount volumes for the paths that must be written.",
    places=(IAC,),
)
def writable_root_filesystem(r: Resource) -> Verdict:
    """A read-only root filesystem stops an intruder from dropping tools or changing binaries
    in a running container (AWS Security Hub ECS.5). Template-only: no live ECS collector."""
    offenders, pending = [], None
    for i, c in enumerate(containers(r)):
        value = c.get("ReadonlyRootFilesystem")
        if isinstance(value, Unknown):
            pending = pending or UnknownValue(f"ContainerDefinitions.{i}.ReadonlyRootFilesystem", value)
        elif not truthy(value):
            offenders.append(_cname(c, i))
    if offenders:
        return failed(f"container(s) with a writable root filesystem: {', '.join(offenders)}", containers=offenders)
    if pending is not None:
        raise pending
    return passed("every container has a read-only root filesystem")


@control(
    "ecs.secrets-in-environment",
    title="ECS container definition holds a secret in plain environment variables",
    resource=TASK_DEFINITION,
    severity=Severity.HIGH,
    fix="Move the value to Secrets Manager or SSM SecureString and reference it under `Secrets` (ValueFrom), not `Environment`.",
    places=(IAC,),
)
def secrets_in_environment(r: Resource) -> Verdict:
    """Environment values are readable by anyone who can describe the task definition and
    stay in every revision. A secret-looking name with a literal value, or a value in a known
    credential format, fails; `Secrets` entries are the fix. Values redacted in evidence.
    Template-only: no live ECS collector."""
    offenders: list[dict[str, Any]] = []
    pending: Unknown | None = None
    for i, c in enumerate(containers(r)):
        env = c.get("Environment")
        if isinstance(env, Unknown):
            pending = pending or env
            continue
        pairs = []
        for j, e in enumerate(as_list(env)):
            if isinstance(e, Unknown):
                pending = pending or Unknown(f"ContainerDefinitions.{i}.Environment.{j}: {e.reason}")
            elif isinstance(e, Mapping):
                pairs.append((e.get("Name"), e.get("Value")))
        found, unk = env_secret_offenders(pairs)
        pending = pending or unk
        offenders += [{"container": _cname(c, i), **o} for o in found]
    if offenders:
        names = ", ".join(f"{o['container']}/{o['name']}" for o in offenders)
        return failed(f"secret value in plain environment: {names}", variables=offenders)
    if pending is not None:
        raise UnknownValue("ContainerDefinitions.Environment", pending)
    return passed("no secret-looking environment variable with a literal value")

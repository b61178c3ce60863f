"""EC2 user data that carries a secret: instances, launch templates and launch configurations.

User data is readable by anyone with `ec2:DescribeInstanceAttribute` (or
`DescribeLaunchTemplateVersions`, `DescribeLaunchConfigurations`), from the instance itself through
the metadata service without any credential, and it is kept in every launch template version. The
text is judged by the secret scanner's one engine (`railguard.secrets`): a known credential format,
`export DB_PASSWORD=...`, `--password ...`, a generic `secret = '...'` assignment. Evidence holds the
rule, the line and a redacted value, never the secret.

User data arrives as plain text from templates (CloudFormation's `Fn::Base64` is read as its text;
Terraform's `user_data`) and as base64 (possibly gzip) from the APIs and `user_data_base64`: both are
read. A CloudFormation `Fn::Sub`/`Fn::Join` with pieces resolved only at deployment
(`${AWS::StackName}`) is judged on its literal text; a secret-named parameter substituted into it
(`${DbPassword}`) fails too: it lands in clear in the instance's user data.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
from collections.abc import Mapping
from typing import Any

from railguard.controls import IAC, LIVE, control
from railguard.controls.secretlike import looks_secret_name
from railguard.model import PartialText, Resource, Severity, Unknown, UnknownValue, Verdict, failed, passed

INSTANCE = "AWS::EC2::Instance"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
LAUNCH_CONFIG = "AWS::AutoScaling::LaunchConfiguration"
INSTANCE_USER_DATA = "AWS::EC2::Instance#UserData"  # facet: DescribeInstanceAttribute per instance, only when read

_B64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")
_SUBST = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


def decode_user_data(value: str) -> str:
    """Plain text of user data given as text, base64, or gzip inside base64 (cloud-init accepts all)."""
    compact = "".join(value.split())
    data: bytes | None = None
    if len(compact) >= 8 and len(compact) % 4 == 0 and _B64.match(value):
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            data = None
    if data is None:
        return value
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return value
    text = data.decode("utf-8", "replace")
    # a base64-looking plain word (`ZWNobyBoaQ==` aside) decodes to bytes that are not text
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return text if text and printable / len(text) > 0.95 else value


def secrets_in_text(text: str) -> list[dict[str, Any]]:
    """Redacted secrets the scanner's engine verifies in `text`: rule, line, value (redacted)."""
    from railguard.secrets.engine import Engine, locate
    from railguard.secrets.findings import redact

    buf = text.encode("utf-8", "replace")
    matches = locate(buf, Engine.shared().scan_bytes(buf))
    return [{"rule": m.rule.id, "line": m.line, "value": redact(m.secret)} for m in matches]


def _sources(r: Resource) -> list[tuple[str, Any]]:
    """(where, user data) pairs to judge: a launch template read live brings each version it read."""
    if r.type == LAUNCH_TEMPLATE:
        out = [("LaunchTemplateData.UserData", r.get_raw("LaunchTemplateData.UserData"))]
        versions = r.live.get("versions")
        if isinstance(versions, Mapping):
            out = [(f"version {v}", (d or {}).get("UserData") if isinstance(d, Mapping) else d)
                   for v, d in versions.items()]
        return out
    return [("UserData", r.get_raw("UserData"))]


@control(
    "ec2.secrets-in-user-data",
    title="EC2 instance, launch template or launch configuration user data holds no secret",
    resource=[INSTANCE, LAUNCH_TEMPLATE, LAUNCH_CONFIG],
    reads=[INSTANCE_USER_DATA],
    severity=Severity.HIGH,
    fix="Fetch secrets at boot from Secrets Manager or SSM Parameter Store (the instance role grants "
        "access); remove them from user data and rotate them",
    places=(LIVE, IAC),
)
def secrets_in_user_data(r: Resource) -> Verdict:
    found: list[dict[str, Any]] = []
    pending: tuple[str, Unknown] | None = None
    deferred = 0
    for where, raw in _sources(r):
        if raw is None or raw == "":
            continue
        if isinstance(raw, PartialText):
            text = raw.text
            deferred += 1
            for name in sorted(set(_SUBST.findall(text))):
                if not name.startswith("AWS::") and looks_secret_name(name.split(".")[0]):
                    found.append({"where": where, "rule": "secret-parameter-substituted", "parameter": name})
        elif isinstance(raw, Unknown):
            pending = pending or (where, raw)
            continue
        else:
            text = decode_user_data(str(raw))
        found.extend({"where": where, **hit} for hit in secrets_in_text(text))
    if found:
        kinds = sorted({str(f["rule"]) for f in found})
        return failed(f"user data holds {len(found)} secret(s): {', '.join(kinds)}", secrets=found)
    if pending is not None:
        raise UnknownValue(pending[0], pending[1])
    if deferred:
        return passed("no secret in the literal user data (some pieces are resolved at deployment)")
    return passed("no secret found in the user data")


# ---------------------------------------------------------------- public IPs for every instance launched


def _asks_public_ip(data: Any, path: str) -> tuple[bool, Unknown | None]:
    """Does launch template data ask for a public IPv4 address on any network interface?"""
    if isinstance(data, Unknown):
        return False, data
    pending: Unknown | None = None
    nics = data.get("NetworkInterfaces") if isinstance(data, Mapping) else None
    if isinstance(nics, Unknown):
        return False, nics
    for nic in nics if isinstance(nics, list) else []:
        value = nic.get("AssociatePublicIpAddress") if isinstance(nic, Mapping) else nic
        if isinstance(value, Unknown):
            pending = pending or value
        elif value is True or (isinstance(value, str) and value.strip().lower() == "true"):
            return True, None
    return False, pending


@control(
    "ec2.launch-config-public-ip",
    title="Launch template or launch configuration does not assign public IP addresses",
    resource=[LAUNCH_TEMPLATE, LAUNCH_CONFIG],
    severity=Severity.MEDIUM,
    fix="Set AssociatePublicIpAddress: false (launch template network interfaces, launch configuration) and "
        "launch into private subnets behind a load balancer or NAT",
    places=(LIVE, IAC),
)
def launch_config_public_ip(r: Resource) -> Verdict:
    """Every instance an Auto Scaling group or a `RunInstances` starts from it gets a public IPv4
    address, reachable from the internet as far as its security groups allow. Live, each launch
    template version read (`$Default` and `$Latest`) is judged. Not set means the subnet decides
    (out of this control's sight): PASS, as FSBP EC2.25 and AutoScaling.5 read it."""
    if r.type == LAUNCH_CONFIG:
        value = r.get("AssociatePublicIpAddress")
        if value is True or (isinstance(value, str) and value.strip().lower() == "true"):
            return failed("instances launched get a public IP address", AssociatePublicIpAddress=True)
        return passed("no public IP address is requested", AssociatePublicIpAddress=value)
    versions = r.live.get("versions")
    sources = list(versions.items()) if isinstance(versions, Mapping) and versions else \
        [("LaunchTemplateData", r.get_raw("LaunchTemplateData"))]
    pending: tuple[str, Unknown] | None = None
    public = []
    for where, data in sources:
        asks, unsure = _asks_public_ip(data, where)
        if asks:
            public.append(f"version {where}" if versions else where)
        elif unsure is not None:
            pending = pending or (where, unsure)
    if public:
        return failed("network interfaces associate a public IP address", where=public)
    if pending is not None:
        raise UnknownValue(f"{pending[0]}.NetworkInterfaces", pending[1])
    return passed("no network interface associates a public IP address")

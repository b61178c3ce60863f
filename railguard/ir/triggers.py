"""What opens a case without a person typing it: detections and the Tainted tag, and the PAM marker.

`request_for(item)` maps one detection (as `railguard events` writes it, `Detection.to_dict()`) or
one CloudTrail record to the case it calls for, or None:

- `ec2.instance-credentials-outside`: the instance whose role session was used outside AWS (the
  session name of an instance role is the instance id) is isolated;
- `root.access-key-used`: a containment case for root (it records the request and says that root
  can only be contained by signing in as root);
- a successful `CreateTags` putting `Tainted` on an instance (the marker script below, or a person):
  the instance is isolated.

The case then runs with every safeguard (breaker, critical tag, approvals) like a manual one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TAINTED = "Tainted"
_INSTANCE = re.compile(r"\bi-[0-9a-f]{8,17}\b")


@dataclass(frozen=True)
class CaseRequest:
    kind: str  # isolate | contain
    subject: str
    region: str | None
    account: str | None
    reason: str
    trigger: str


def read_items(text: str) -> list[dict[str, Any]]:
    """JSON lines of detections or records, or one CloudTrail file document ({"Records": [...]})."""
    import json

    stripped = text.strip()
    if not stripped:
        return []
    try:
        doc = json.loads(stripped)
    except ValueError:
        doc = None  # JSON lines
    if isinstance(doc, dict):
        return [r for r in doc.get("Records", [doc]) if isinstance(r, dict)]
    if isinstance(doc, list):
        return [r for r in doc if isinstance(r, dict)]
    out = []
    for n, line in enumerate(stripped.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {n}: not JSON ({exc.msg})") from None
        if isinstance(item, dict):
            out.append(item)
    return out


def request_for(item: dict[str, Any]) -> CaseRequest | None:
    if "rule" in item:
        return _from_detection(item)
    if "eventName" in item:
        return _from_record(item)
    return None


def _from_detection(d: dict[str, Any]) -> CaseRequest | None:
    rule = d.get("rule")
    region, account = d.get("region") or None, d.get("account") or None
    principal = (d.get("principal") or {}).get("arn") or ""
    if rule == "ec2.instance-credentials-outside":
        m = _INSTANCE.search(principal.rsplit("/", 1)[-1]) or _INSTANCE.search(d.get("summary", ""))
        if m:
            return CaseRequest("isolate", m.group(0), region, account, d.get("summary", rule), f"detection:{rule}")
    if rule == "root.access-key-used":
        return CaseRequest("contain", "root", region, account, d.get("summary", rule), f"detection:{rule}")
    return None


def _from_record(rec: dict[str, Any]) -> CaseRequest | None:
    if rec.get("eventName") != "CreateTags" or rec.get("errorCode"):
        return None
    params = rec.get("requestParameters") or {}
    tags = [t.get("key") or t.get("Key") for t in (params.get("tagSet") or {}).get("items", [])]
    if TAINTED not in tags:
        return None
    ids = [r.get("resourceId", "") for r in (params.get("resourcesSet") or {}).get("items", [])]
    inst = next((i for i in ids if i.startswith("i-")), None)
    if inst is None:
        return None
    who = (rec.get("userIdentity") or {}).get("arn", "someone")
    return CaseRequest("isolate", inst, rec.get("awsRegion"), rec.get("recipientAccountId"),
                       f"tagged {TAINTED} by {who} at {rec.get('eventTime')}", "tag:Tainted")


MARKER_SCRIPT = r"""#!/bin/sh
# railguard marker: tag this instance "Tainted" when someone logs in interactively.
# For immutable hosts: nobody should ever log in, so a login means the host can no longer be trusted;
# the tag lets railguard open an isolation case (`railguard ir from-events`, or an EventBridge rule on
# CreateTags with tag key Tainted).
#
# Install (as root):
#   railguard ir marker-script > /usr/local/sbin/railguard-tainted && chmod 0755 /usr/local/sbin/railguard-tainted
#   echo 'session optional pam_exec.so quiet /usr/local/sbin/railguard-tainted' >> /etc/pam.d/sshd
#   (and /etc/pam.d/login for the serial console)
# The instance role needs only this, on its own instance:
#   {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "arn:aws:ec2:*:*:instance/*",
#    "Condition": {"StringEquals": {"aws:ARN": "${ec2:SourceInstanceARN}"},
#                  "ForAllValues:StringEquals": {"aws:TagKeys": ["Tainted"]}}}
# It never blocks a login (pam "optional", always exit 0) and uses IMDSv2 (session token) only.

[ "$PAM_TYPE" = "open_session" ] || exit 0
IMDS=http://169.254.169.254
TOKEN=$(curl -sf -m 2 -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 60") || exit 0
get() { curl -sf -m 2 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/$1"; }
IID=$(get instance-id) || exit 0
REGION=$(get placement/region) || exit 0
WHEN=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# tag values allow letters, digits, spaces and + - = . _ : / @ only
VALUE=$(printf '%s %s from %s via %s' "$WHEN" "${PAM_USER:-?}" "${PAM_RHOST:-local}" "${PAM_SERVICE:-?}" \
  | tr -cd 'A-Za-z0-9 +=._:/@-' | cut -c1-250)
( aws ec2 create-tags --region "$REGION" --resources "$IID" --tags "Key=Tainted,Value=$VALUE" \
    >/dev/null 2>&1 || logger -t railguard-tainted "could not tag $IID Tainted" ) &
exit 0
"""


def marker_script() -> str:
    return MARKER_SCRIPT

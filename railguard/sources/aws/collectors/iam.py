"""IAM: principals, policies, root user, password policy and server certificates, in few calls.

Calls (each at most once per account, and only when a wanted type needs it):
`GetAccountAuthorizationDetails` (paginated: users, groups, roles, customer-managed policies with
every inline and attached policy), `ListPolicies(Scope=AWS, OnlyAttached)` + one
`GetPolicyVersion` per attached AWS-managed policy (only when managed policies are wanted),
`GenerateCredentialReport` + `GetCredentialReport` (polled with a short backoff),
`GetAccountSummary`, `ListVirtualMFADevices`, `GetAccountPasswordPolicy`, `ListServerCertificates`.
Independent sections run concurrently (IAM is one global task on the critical path).

Types and their `live` facts (properties follow CloudFormation; ids are ARNs, names are names):

- `AWS::IAM::User`: UserName, Path, Groups, ManagedPolicyArns, Policies [{PolicyName,
  PolicyDocument}], PermissionsBoundary, LoginProfile ({} when a console password exists; absent
  otherwise; Unknown when the credential report could not be read).
  live (credential report; each Unknown when the report failed or lacks the user):
  `password_enabled` bool, `password_last_used`, `password_last_changed`, `user_creation_time`
  (datetime UTC or None), `mfa_active` bool, `access_keys` [{slot 1|2, active, last_rotated,
  last_used, last_used_service}] (the report names no key id), `virtual_mfa_devices` [serials].
- `AWS::IAM::Role`: RoleName, Path, AssumeRolePolicyDocument, ManagedPolicyArns, Policies,
  PermissionsBoundary. live: `instance_profiles` [arns], `last_used` (datetime or None).
- `AWS::IAM::Group`: GroupName, Path, ManagedPolicyArns, Policies. live: `users` [names].
- `AWS::IAM::ManagedPolicy`: ManagedPolicyName, Path, Description, PolicyDocument (default
  version), Users, Groups, Roles (names attached, from the principals read). live: `aws_managed`
  bool, `attachment_count` int, `is_attachable` bool, `default_version_id`. Customer-managed
  policies all; AWS-managed ones only when attached to something.
- `AWS::IAM::Policy`, `::UserPolicy`, `::RolePolicy`, `::GroupPolicy` (standalone inline policies
  of templates): never yielded live, where inline policies are read inside their principal's
  `Policies`; declared so that no gap is reported for them.
- `RailGuard::IAM::RootAccount` (id `arn:aws:iam::<account>:root`, name `root`): no properties.
  live: `access_keys_present`, `mfa_enabled` (GetAccountSummary), `virtual_mfa` (a virtual device
  `...:mfa/root-account-mfa-device` is assigned), `hardware_mfa` (MFA on, not virtual),
  `password_last_used`, `access_key_last_used` [dates], `last_used` (latest of them, None = never;
  Unknown when the credential report has no `<root_account>` row, as in moto).
- `RailGuard::IAM::AccountPasswordPolicy` (name `password-policy`): properties = PasswordPolicy;
  live `exists` False (and no properties) when the account has none.
- `AWS::IAM::ServerCertificate`: ServerCertificateName, Path, Expiration (ISO string),
  ServerCertificateId. live: `expiration` datetime, `upload_date` datetime.
"""

from __future__ import annotations

import contextvars
import csv
import io
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from railguard.model import GLOBAL, Resource, Unknown
from railguard.sources.aws import pseudo
from railguard.sources.aws.collector import CollectContext, collector, per_resource, tag_map
from railguard.sources.aws.errors import describe, is_code

USER = "AWS::IAM::User"
ROLE = "AWS::IAM::Role"
GROUP = "AWS::IAM::Group"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"
INLINE_POLICY = "AWS::IAM::Policy"
# template-only inline policy types: declared so that a live scan reports no gap for them
TEMPLATE_ONLY = (INLINE_POLICY, "AWS::IAM::UserPolicy", "AWS::IAM::RolePolicy", "AWS::IAM::GroupPolicy")
ROOT_VIRTUAL_MFA_SUFFIX = ":mfa/root-account-mfa-device"
ROOT_ROW = "<root_account>"

_PRINCIPALS = (USER, ROLE, GROUP)
_REPORT_NOT_READY = ("ReportInProgress", "ReportNotReady", "CredentialReportNotReadyException")
_REPORT_MISSING = ("ReportNotPresent", "ReportExpired", "CredentialReportNotPresentException",
                   "CredentialReportExpiredException")


@collector(
    "iam",
    yields=[USER, ROLE, GROUP, MANAGED_POLICY, *TEMPLATE_ONLY, pseudo.ROOT_ACCOUNT,
            pseudo.PASSWORD_POLICY, pseudo.SERVER_CERTIFICATE],
    scope=GLOBAL,
    calls=[
        "iam:GetAccountAuthorizationDetails", "iam:ListPolicies", "iam:GetPolicyVersion",
        "iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:GetAccountSummary",
        "iam:ListVirtualMFADevices", "iam:GetAccountPasswordPolicy", "iam:ListServerCertificates",
    ],
)
def collect_iam(ctx: CollectContext) -> Iterator[Resource]:
    want_details = ctx.wants(*_PRINCIPALS, MANAGED_POLICY)
    want_report = ctx.wants(USER, pseudo.ROOT_ACCOUNT)  # the credential report and the MFA devices
    jobs: dict[str, Callable[[], Any]] = {}
    if want_details:
        jobs["details"] = lambda: _details(ctx)
    if ctx.wants(MANAGED_POLICY):
        jobs["aws_policies"] = lambda: _attached_aws_policies(ctx)
    if want_report:
        jobs["report"] = lambda: _credential_report(ctx)
        jobs["mfa"] = lambda: list(
            ctx.paginate("iam", "list_virtual_mfa_devices", "VirtualMFADevices", AssignmentStatus="Assigned")
        )
    if ctx.wants(pseudo.ROOT_ACCOUNT):
        jobs["summary"] = lambda: ctx.client("iam").get_account_summary()["SummaryMap"]
    if ctx.wants(pseudo.PASSWORD_POLICY):
        jobs["password"] = lambda: _password_policy(ctx)
    if ctx.wants(pseudo.SERVER_CERTIFICATE):
        jobs["certs"] = lambda: list(
            ctx.paginate("iam", "list_server_certificates", "ServerCertificateMetadataList")
        )

    results: dict[str, Any] = {}
    errors: dict[str, BaseException] = {}
    with ThreadPoolExecutor(max_workers=max(1, len(jobs)), thread_name_prefix="iam") as pool:
        futures = {name: pool.submit(contextvars.copy_context().run, fn) for name, fn in jobs.items()}
        for name, fut in futures.items():
            try:
                results[name] = fut.result()
            except Exception as exc:
                errors[name] = exc

    report: dict[str, dict[str, str]] | Unknown | None = None
    if want_report:
        report = results.get("report")
        if "report" in errors:
            report = ctx.unknown(errors["report"], "iam:GetCredentialReport")
    mfa: list[dict[str, Any]] | Unknown = results.get("mfa", [])
    if "mfa" in errors:
        mfa = ctx.unknown(errors["mfa"], "iam:ListVirtualMFADevices")

    if want_details:
        if "details" in errors:
            reason = describe(errors["details"], "iam:GetAccountAuthorizationDetails")
            for t in (*_PRINCIPALS, MANAGED_POLICY):
                ctx.gap(t, reason)
        else:
            aws_policies = results.get("aws_policies")
            if "aws_policies" in errors:
                ctx.gap(MANAGED_POLICY, f"AWS-managed policies: {describe(errors['aws_policies'])}")
            yield from _principals_and_policies(ctx, results["details"], aws_policies, report, mfa)

    if ctx.wants(pseudo.ROOT_ACCOUNT):
        summary = results.get("summary")
        summary_v: dict[str, Any] | Unknown = (
            ctx.unknown(errors["summary"], "iam:GetAccountSummary") if "summary" in errors else summary or {}
        )
        yield _root(ctx, summary_v, report, mfa)

    if ctx.wants(pseudo.PASSWORD_POLICY):
        if "password" in errors:
            ctx.gap(pseudo.PASSWORD_POLICY, describe(errors["password"], "iam:GetAccountPasswordPolicy"))
        else:
            policy = results["password"]
            yield ctx.resource(
                pseudo.PASSWORD_POLICY, f"{ctx.account}/password-policy", policy or {},
                live={"exists": policy is not None}, name="password-policy",
            )

    if ctx.wants(pseudo.SERVER_CERTIFICATE):
        if "certs" in errors:
            ctx.gap(pseudo.SERVER_CERTIFICATE, describe(errors["certs"], "iam:ListServerCertificates"))
        else:
            for cert in results["certs"]:
                yield _certificate(ctx, cert)


# --- sections -------------------------------------------------------------------------------


def _details(ctx: CollectContext) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    pages = ctx.client("iam").get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Role", "Group", "LocalManagedPolicy"], PaginationConfig={"PageSize": 1000}
    )
    for page in pages:
        for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
            out[key].extend(page.get(key, []))
    return out


def _attached_aws_policies(ctx: CollectContext) -> list[tuple[dict[str, Any], Any]]:
    """AWS-managed policies attached to something, each with its default version's document."""
    iam = ctx.client("iam")
    listed = list(ctx.paginate("iam", "list_policies", "Policies", Scope="AWS", OnlyAttached=True))

    def document(p: dict[str, Any]) -> Any:
        try:
            v = iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])
            return v["PolicyVersion"]["Document"]
        except Exception as exc:
            return ctx.unknown(exc, "iam:GetPolicyVersion")

    return list(zip(listed, per_resource(document, listed, workers=8), strict=True))


def _credential_report(ctx: CollectContext, timeout: float = 60.0) -> dict[str, dict[str, str]]:
    """Rows of the credential report by user name (root is `<root_account>`)."""
    iam = ctx.client("iam")
    iam.generate_credential_report()
    delay, deadline = 0.1, time.monotonic() + timeout
    while True:
        try:
            content = iam.get_credential_report()["Content"]
            break
        except Exception as exc:
            if not is_code(exc, *_REPORT_NOT_READY, *_REPORT_MISSING) or time.monotonic() > deadline:
                raise
            if is_code(exc, *_REPORT_MISSING):
                iam.generate_credential_report()
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
    text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
    return {row["user"]: row for row in csv.DictReader(io.StringIO(text))}


def _password_policy(ctx: CollectContext) -> dict[str, Any] | None:
    try:
        return dict(ctx.client("iam").get_account_password_policy()["PasswordPolicy"])
    except Exception as exc:
        if is_code(exc, "NoSuchEntity", "NoSuchEntityException"):
            return None  # no policy: that is data (the account uses AWS defaults)
        raise


# --- shaping --------------------------------------------------------------------------------


def _when(value: str | None) -> datetime | None:
    """A credential-report date: ISO time, or N/A / no_information / not_supported (None)."""
    if not value or value in ("N/A", "no_information", "not_supported"):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _inline(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"PolicyName": p["PolicyName"], "PolicyDocument": p["PolicyDocument"]} for p in items]


def _attached(items: list[dict[str, Any]]) -> list[str]:
    return [p["PolicyArn"] for p in items]


def _user_live(row: dict[str, str] | None, report: Any, serials: list[str] | Unknown) -> dict[str, Any]:
    keys = ("password_enabled", "password_last_used", "password_last_changed", "user_creation_time",
            "mfa_active", "access_keys")
    live: dict[str, Any] = {"virtual_mfa_devices": serials}
    if isinstance(report, Unknown):
        return live | dict.fromkeys(keys, report)
    if row is None:
        missing = Unknown("user not in the credential report (created after it was generated)")
        return live | dict.fromkeys(keys, missing)
    access_keys = []
    for n in (1, 2):
        rotated = _when(row.get(f"access_key_{n}_last_rotated"))
        if rotated is None and row.get(f"access_key_{n}_active") != "true":
            continue  # no key in this slot
        service = row.get(f"access_key_{n}_last_used_service")
        access_keys.append({
            "slot": n,
            "active": row.get(f"access_key_{n}_active") == "true",
            "last_rotated": rotated,
            "last_used": _when(row.get(f"access_key_{n}_last_used_date")),
            "last_used_service": service if service not in (None, "N/A", "not_supported") else None,
        })
    return live | {
        "password_enabled": row.get("password_enabled") == "true",
        "password_last_used": _when(row.get("password_last_used")),
        "password_last_changed": _when(row.get("password_last_changed")),
        "user_creation_time": _when(row.get("user_creation_time")),
        "mfa_active": row.get("mfa_active") == "true",
        "access_keys": access_keys,
    }


def _principals_and_policies(
    ctx: CollectContext,
    details: dict[str, list[dict[str, Any]]],
    aws_policies: list[tuple[dict[str, Any], Any]] | None,
    report: dict[str, dict[str, str]] | Unknown | None,
    mfa: list[dict[str, Any]] | Unknown,
) -> Iterator[Resource]:
    attached_to: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"Users": [], "Groups": [], "Roles": []})
    group_users: dict[str, list[str]] = defaultdict(list)
    serials_by_user: dict[str, list[str]] = defaultdict(list)
    if not isinstance(mfa, Unknown):
        for d in mfa:
            user = (d.get("User") or {}).get("UserName")
            if user:
                serials_by_user[user].append(d["SerialNumber"])

    for u in details.get("UserDetailList", []):
        name = u["UserName"]
        for arn in _attached(u.get("AttachedManagedPolicies", [])):
            attached_to[arn]["Users"].append(name)
        for g in u.get("GroupList", []):
            group_users[g].append(name)
        if not ctx.wants(USER):
            continue
        props: dict[str, Any] = {
            "UserName": name,
            "Path": u.get("Path", "/"),
            "Groups": list(u.get("GroupList", [])),
            "ManagedPolicyArns": _attached(u.get("AttachedManagedPolicies", [])),
            "Policies": _inline(u.get("UserPolicyList", [])),
        }
        if u.get("PermissionsBoundary"):
            props["PermissionsBoundary"] = u["PermissionsBoundary"].get("PermissionsBoundaryArn")
        row = None if not isinstance(report, dict) else report.get(name)
        serials: list[str] | Unknown = mfa if isinstance(mfa, Unknown) else serials_by_user.get(name, [])
        live = _user_live(row, report, serials)
        pw = live["password_enabled"]
        if isinstance(pw, Unknown):
            props["LoginProfile"] = pw
        elif pw:
            props["LoginProfile"] = {}
        yield ctx.resource(USER, u["Arn"], props, arn=u["Arn"], tags=tag_map(u.get("Tags")), live=live, name=name)

    for r in details.get("RoleDetailList", []):
        name = r["RoleName"]
        for arn in _attached(r.get("AttachedManagedPolicies", [])):
            attached_to[arn]["Roles"].append(name)
        if not ctx.wants(ROLE):
            continue
        props = {
            "RoleName": name,
            "Path": r.get("Path", "/"),
            "AssumeRolePolicyDocument": r.get("AssumeRolePolicyDocument"),
            "ManagedPolicyArns": _attached(r.get("AttachedManagedPolicies", [])),
            "Policies": _inline(r.get("RolePolicyList", [])),
        }
        if r.get("PermissionsBoundary"):
            props["PermissionsBoundary"] = r["PermissionsBoundary"].get("PermissionsBoundaryArn")
        live = {
            "instance_profiles": [p["Arn"] for p in r.get("InstanceProfileList", [])],
            "last_used": _utc((r.get("RoleLastUsed") or {}).get("LastUsedDate")),
        }
        yield ctx.resource(ROLE, r["Arn"], props, arn=r["Arn"], tags=tag_map(r.get("Tags")), live=live, name=name)

    for g in details.get("GroupDetailList", []):
        name = g["GroupName"]
        for arn in _attached(g.get("AttachedManagedPolicies", [])):
            attached_to[arn]["Groups"].append(name)
        if not ctx.wants(GROUP):
            continue
        props = {
            "GroupName": name,
            "Path": g.get("Path", "/"),
            "ManagedPolicyArns": _attached(g.get("AttachedManagedPolicies", [])),
            "Policies": _inline(g.get("GroupPolicyList", [])),
        }
        yield ctx.resource(GROUP, g["Arn"], props, arn=g["Arn"], live={"users": group_users.get(name, [])}, name=name)

    if not ctx.wants(MANAGED_POLICY):
        return
    for p in details.get("Policies", []):
        default = next((v for v in p.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)
        doc = default["Document"] if default else Unknown("default policy version not returned")
        yield _managed_policy(ctx, p, doc, attached_to, aws_managed=False)
    for p, doc in aws_policies or []:
        yield _managed_policy(ctx, p, doc, attached_to, aws_managed=True)


def _managed_policy(
    ctx: CollectContext, p: dict[str, Any], doc: Any, attached_to: dict[str, dict[str, list[str]]],
    *, aws_managed: bool,
) -> Resource:
    arn = p["Arn"]
    name = p.get("PolicyName") or arn.rsplit("/", 1)[-1]
    props = {
        "ManagedPolicyName": name,
        "Path": p.get("Path", "/"),
        "Description": p.get("Description", ""),
        "PolicyDocument": doc,
        **attached_to.get(arn, {"Users": [], "Groups": [], "Roles": []}),
    }
    live = {
        "aws_managed": aws_managed,
        "attachment_count": int(p.get("AttachmentCount", 0)),
        "is_attachable": bool(p.get("IsAttachable", True)),
        "default_version_id": p.get("DefaultVersionId"),
    }
    return ctx.resource(MANAGED_POLICY, arn, props, arn=arn, live=live, name=name)


def _root(
    ctx: CollectContext,
    summary: dict[str, Any] | Unknown,
    report: dict[str, dict[str, str]] | Unknown | None,
    mfa: list[dict[str, Any]] | Unknown,
) -> Resource:
    live: dict[str, Any] = {}
    if isinstance(summary, Unknown):
        live["access_keys_present"] = live["mfa_enabled"] = summary
    else:
        live["access_keys_present"] = bool(summary.get("AccountAccessKeysPresent", 0))
        live["mfa_enabled"] = bool(summary.get("AccountMFAEnabled", 0))
    if isinstance(mfa, Unknown):
        live["virtual_mfa"] = mfa
    else:
        live["virtual_mfa"] = any(d["SerialNumber"].endswith(ROOT_VIRTUAL_MFA_SUFFIX) for d in mfa)
    if live["mfa_enabled"] is False:
        live["hardware_mfa"] = False
    elif isinstance(live["mfa_enabled"], Unknown):
        live["hardware_mfa"] = live["mfa_enabled"]
    elif isinstance(live["virtual_mfa"], Unknown):
        live["hardware_mfa"] = live["virtual_mfa"]
    else:
        live["hardware_mfa"] = not live["virtual_mfa"]

    row = report.get(ROOT_ROW) if isinstance(report, dict) else None
    if isinstance(report, Unknown):
        activity: dict[str, Any] = dict.fromkeys(("password_last_used", "access_key_last_used", "last_used"), report)
    elif row is None:
        missing = Unknown("the credential report has no <root_account> row (moto does not emulate it)")
        activity = dict.fromkeys(("password_last_used", "access_key_last_used", "last_used"), missing)
    else:
        pw = _when(row.get("password_last_used"))
        keys = [d for d in (_when(row.get(f"access_key_{n}_last_used_date")) for n in (1, 2)) if d]
        dates = [d for d in (pw, *keys) if d]
        activity = {"password_last_used": pw, "access_key_last_used": keys,
                    "last_used": max(dates) if dates else None}
    live.update(activity)
    arn = f"arn:{ctx.partition}:iam::{ctx.account}:root"
    return ctx.resource(pseudo.ROOT_ACCOUNT, arn, {}, arn=arn, live=live, name="root")


def _certificate(ctx: CollectContext, cert: dict[str, Any]) -> Resource:
    expiration = _utc(cert.get("Expiration"))
    props = {
        "ServerCertificateName": cert["ServerCertificateName"],
        "Path": cert.get("Path", "/"),
        "ServerCertificateId": cert.get("ServerCertificateId"),
        "Expiration": expiration.isoformat() if expiration else None,
    }
    live = {"expiration": expiration, "upload_date": _utc(cert.get("UploadDate"))}
    return ctx.resource(pseudo.SERVER_CERTIFICATE, cert["Arn"], props, arn=cert["Arn"], live=live,
                        name=cert["ServerCertificateName"])

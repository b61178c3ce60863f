"""S3 controls: bucket policies, public access blocks, ACLs, encryption, versioning, logging.

The live S3 collector reads each per-bucket attribute only when a selected control needs it. A
control names what it reads through *facets* of `AWS::S3::Bucket` in `reads`
(`AWS::S3::Bucket#PublicAccessBlock`, `#Encryption`, `#Versioning`, `#Logging`, `#Acl`; see
railguard/sources/aws/collectors/s3.py). A facet that was not collected reads as `Unknown`, so
forgetting one gives UNKNOWN, never a wrong verdict. Templates carry every property they state,
facets or not.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import Any

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.helpers import all_of, any_known, as_list, refers_to, same_scope, truthy
from railguard.controls.kms import cannot_be_star, unresolved_sub
from railguard.controls.policy import EXPOSURE_PARAMS, at_offender, exposure_verdict, target_in_scope
from railguard.model import (
    Resource,
    Result,
    Severity,
    Unknown,
    UnknownValue,
    Verdict,
    failed,
    find_unknown,
    passed,
    require,
    unknown,
)

BUCKET = "AWS::S3::Bucket"
POLICY = "AWS::S3::BucketPolicy"
ACCOUNT_PAB = "RailGuard::S3::AccountPublicAccessBlock"

# facets of AWS::S3::Bucket: which per-bucket calls the live collector makes
FACET_PAB = "AWS::S3::Bucket#PublicAccessBlock"
FACET_ENCRYPTION = "AWS::S3::Bucket#Encryption"
FACET_VERSIONING = "AWS::S3::Bucket#Versioning"
FACET_LOGGING = "AWS::S3::Bucket#Logging"
FACET_ACL = "AWS::S3::Bucket#Acl"

PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_CANNED_ACLS = ("PublicRead", "PublicReadWrite", "AuthenticatedRead")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


# ---------------------------------------------------------------- s3.deny-http


@control(
    "s3.deny-http",
    title="S3 bucket policy denies requests that do not use HTTPS",
    resource=BUCKET,
    reads=[POLICY],
    severity=Severity.MEDIUM,
    fix=(
        "Add a bucket policy statement: Effect Deny, Principal *, Action s3:*, Resource the bucket "
        "ARN and ARN/*, Condition Bool aws:SecureTransport false"
    ),
    places=(LIVE, IAC),
    remediation="s3.deny-http",
)
def deny_http(bucket: Resource, ctx: Context) -> Verdict:
    """A Deny statement for `aws:SecureTransport` false must cover the bucket and its objects for
    every principal and every S3 action; an allow-only policy or no policy at all fails. A policy
    whose target bucket cannot be resolved (a template reference) may be this bucket's: UNKNOWN.
    An unresolved value counts only in a statement it could turn into such a Deny (not in an
    Allow, nor in a Deny known to fall short); there it makes the answer UNKNOWN, never PASS."""
    policies, unknowns = _policies_of(bucket, ctx)
    statements = 0
    for policy in policies:
        document = policy.get_raw("PolicyDocument")
        if isinstance(document, Unknown):
            unknowns.append(document.reason)
            continue
        for stmt in as_list(document.get("Statement") if isinstance(document, dict) else None):
            statements += 1
            try:
                if _denies_http(stmt, bucket):
                    return passed("the bucket policy denies requests without aws:SecureTransport")
            except UnknownValue as exc:
                unknowns.append(exc.unknown.reason)
    if unknowns:
        return unknown(f"the bucket policy cannot be fully read: {unknowns[0]}")
    if not policies:
        return failed("the bucket has no policy, so plain-HTTP requests are not denied", policy=None)
    return failed(
        "no bucket policy statement denies s3:* on the bucket and all its objects to every principal "
        "when aws:SecureTransport is false",
        policy_statements=statements,
    )


def _policies_of(bucket: Resource, ctx: Context) -> tuple[list[Resource], list[str]]:
    """Policies attached to this bucket, and the reasons of policies whose bucket is unresolved."""
    out: list[Resource] = []
    unresolved: list[str] = []
    for p in ctx.inventory.of_type(POLICY, account=bucket.account):
        if not same_scope(p, bucket):
            continue
        target = p.get_raw("Bucket")
        if isinstance(target, Unknown):
            unresolved.append(f"the Bucket of policy {p.display_name} is unknown ({target.reason})")
        elif refers_to(target, bucket):
            out.append(p)
    return out, unresolved


def _denies_http(stmt: Any, bucket: Resource) -> bool:
    """Does this statement deny every insecure-transport request to the bucket and its objects?

    Each requirement is judged on its own: one that is known not to hold (an Allow, a named
    principal, one action) settles the statement as not denying plain HTTP, whatever its unknown
    values; only when every requirement holds or is unknown does an unknown one make it unknown.
    """
    require(stmt, "Statement")
    if not isinstance(stmt, dict):
        return False
    names = _bucket_names(bucket)
    return all_of(
        lambda: require(stmt.get("Effect"), "Effect") == "Deny",
        lambda: not any(_present(stmt, k) for k in ("NotAction", "NotResource", "NotPrincipal")),
        lambda: _is_everyone(stmt.get("Principal")),
        lambda: any_known(stmt.get("Action"), "Action", lambda a: str(a).lower() in ("*", "s3:*")),
        lambda: _secure_transport_false(stmt.get("Condition")),
        lambda: _resources_cover(stmt.get("Resource"), names, objects=False),
        lambda: _resources_cover(stmt.get("Resource"), names, objects=True),
    )


def _resources_cover(resources: Any, names: set[str], *, objects: bool) -> bool:
    """Does a Resource entry cover the bucket (or all its objects)? An unresolved one counts as
    not covering only when no value of its unknown parts could make it cover."""
    pending: Unknown | None = None
    for r in as_list(resources):
        if isinstance(r, Unknown):
            widest = _widest_arn(r)
            if widest is None or _arn_covers(widest, names, objects=objects):
                pending = pending or r
        elif _arn_covers(r, names, objects=objects):
            return True
    if pending is not None:
        raise UnknownValue("Resource", pending)
    return False


# pseudo parameters that never hold a colon: an ARN's fields stay where the template puts them
_COLON_FREE_PSEUDO = ("AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::URLSuffix")
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def _widest_arn(value: Unknown) -> str | None:
    """An unresolved `!Sub` S3 ARN with each unknown part widened to `*`: it covers whatever any
    value of those parts could make the real ARN cover. Only where the template fixes `arn:` and
    the `s3` service itself and nothing unknown before the resource path could add a colon (the
    ELB log prefix `arn:${AWS::Partition}:s3:::${Logs}/AWSLogs/${AWS::AccountId}/*`); else None."""
    sub = unresolved_sub(value)
    if sub is None:
        return None
    template, cut = sub
    pieces = re.split(r"(\$\{[^}]*\})", template)
    widened, colons = "", 0
    for piece in pieces:
        var = _SUB_VAR.fullmatch(piece)
        name: str | None = var.group(1) if var is not None else None
        if name is not None and name.startswith("!"):  # `${!Name}`: the text `${Name}`
            piece = "${" + name[1:] + "}"
            name = None
        if name is None:
            colons += piece.count(":")
            widened += piece
        elif colons < 5 and name.strip() not in _COLON_FREE_PSEUDO:
            return None
        else:
            widened += "*"
    if colons < 5:
        return None
    widened += "*" if cut else ""
    parts = widened.split(":", 5)
    if parts[0] != "arn" or parts[2] != "s3":
        return None
    return widened


def _require(value: Any, what: str) -> None:
    u = find_unknown(value)
    if u is not None:
        raise UnknownValue(what, u)


def _present(stmt: dict[str, Any], key: str) -> bool:
    """Is `key` in the statement? An unknown value may be `AWS::NoValue`, which removes it."""
    return key in stmt and require(stmt[key], key) is not None






def _is_everyone(principal: Any) -> bool:
    """`*` or `{"AWS": [..., "*"]}`. An unknown principal counts as not everyone only where it
    cannot be `*` (an ARN whose account is unresolved)."""
    if isinstance(principal, dict):
        principal = principal.get("AWS")
    values = as_list(principal)
    if "*" in values:
        return True
    pending = next((v for v in values if isinstance(v, Unknown) and not cannot_be_star(v)), None)
    if pending is not None:
        raise UnknownValue("Principal", pending)
    return False


def _secure_transport_false(condition: Any) -> bool:
    condition = require(condition, "Condition")
    if not isinstance(condition, dict):
        return False
    pending: UnknownValue | None = None
    for operator in ("Bool", "BoolIfExists"):
        try:
            block = require(condition.get(operator), f"Condition.{operator}")
            if not isinstance(block, dict):
                continue
            for key, value in block.items():
                if key.lower() == "aws:securetransport" and any_known(
                    value, f"Condition.{operator}.{key}",
                    lambda v: str(v).strip().lower() == "false",
                ):
                    return True
        except UnknownValue as exc:
            pending = pending or exc
    if pending is not None:
        raise pending
    return False


def _bucket_names(bucket: Resource) -> set[str]:
    names = {n for n in (bucket.name, bucket.id) if n}
    declared = bucket.get_raw("BucketName")
    if isinstance(declared, str):
        names.add(declared)
    return names


def _arn_covers(pattern: Any, names: Iterable[str], *, objects: bool) -> bool:
    if not isinstance(pattern, str):
        return False
    if pattern == "*":
        return True
    parts = pattern.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "s3":
        path = parts[5]
    elif not pattern.startswith("arn:"):
        # a template's stand-in for an ARN only known after deployment (a Terraform address)
        path = pattern
    else:
        return False
    return any(fnmatch.fnmatchcase(f"{n}/*" if objects else n, path) for n in names)


# ---------------------------------------------------------------- s3.mfa-delete


@control(
    "s3.mfa-delete",
    title="S3 bucket has MFA Delete enabled",
    resource=BUCKET,
    reads=[FACET_VERSIONING],
    severity=Severity.LOW,
    fix=(
        "As the root user: aws s3api put-bucket-versioning --bucket NAME --versioning-configuration "
        "Status=Enabled,MFADelete=Enabled --mfa 'SERIAL CODE'"
    ),
    places=(LIVE,),
)
def mfa_delete(bucket: Resource) -> Verdict:
    """MFA Delete exists only in the live API (GetBucketVersioning); templates cannot set it."""
    state = bucket.fact("mfa_delete")
    if state == "Enabled":
        return passed("MFA Delete is enabled")
    return failed(
        "MFA Delete is not enabled",
        mfa_delete=state or "Disabled",
        versioning=bucket.get("VersioningConfiguration.Status") or "never enabled",
    )


# ---------------------------------------------------------------- public access blocks


def _block_settings(resource: Resource | None, prefix: str) -> dict[str, bool | Unknown]:
    """Each block setting: on, off, or unknown (absent counts as off)."""
    out: dict[str, bool | Unknown] = {}
    for key in PAB_KEYS:
        value = resource.get_raw(f"{prefix}{key}") if resource is not None else Unknown("not read")
        out[key] = value if isinstance(value, Unknown) else truthy(value)
    return out


def _account_block(bucket: Resource, ctx: Context) -> Resource | None:
    found = ctx.inventory.of_type(ACCOUNT_PAB, account=bucket.account)
    return found[0] if found else None


@control(
    "s3.bucket-public-access-block",
    title="S3 bucket blocks public access (all four settings, on the bucket or the account)",
    resource=BUCKET,
    reads=[FACET_PAB, ACCOUNT_PAB],
    severity=Severity.HIGH,
    fix=(
        "Set PublicAccessBlockConfiguration with BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy "
        "and RestrictPublicBuckets all true (a template must state it: railguard does not rely on "
        "the AWS default for new buckets)"
    ),
    places=(LIVE, IAC),
    remediation="s3.block-public-access",
)
def bucket_public_access_block(bucket: Resource, ctx: Context) -> Verdict:
    """All four block settings must be in force for the bucket. Live, S3 applies the most
    restrictive of the bucket's and the account's settings, so each setting may come from
    either; a setting off on both fails even when another one is unknown.

    Decision for templates: a bucket without `PublicAccessBlockConfiguration` FAILS, although AWS
    has turned all four settings on for new buckets by default since April 2023. The template is
    where the intent is reviewed; the default only applies when nothing else sets the block (a
    later `put-public-access-block`, an older tool or an account-level setting invisible to the
    template can change it); and the same template must pass or fail the same way in every
    account. State the block explicitly and the control passes.
    """
    own = _block_settings(bucket, "PublicAccessBlockConfiguration.")
    if all(v is True for v in own.values()):
        return passed("the bucket blocks all public access")
    account: dict[str, bool | Unknown] | None = None
    if bucket.is_live:
        account = _block_settings(_account_block(bucket, ctx), "")
        effective = {k: True if own[k] is True or account[k] is True else _off_or_unknown(own[k], account[k])
                     for k in PAB_KEYS}
    else:
        effective = own
    off = [k for k, v in effective.items() if v is False]
    unknowns = [v for v in effective.values() if isinstance(v, Unknown)]
    if not off and not unknowns:
        return passed("the account-level public access block covers what the bucket leaves off")
    if not off:
        if account is not None and any(isinstance(account[k], Unknown) for k in PAB_KEYS):
            return unknown("the bucket does not block all public access and the account-level block was not read")
        raise UnknownValue("PublicAccessBlockConfiguration", unknowns[0])
    if bucket.get_raw("PublicAccessBlockConfiguration") is None:
        reason = "the bucket has no public access block configuration"
    else:
        reason = f"the bucket's public access block leaves {', '.join(k for k in PAB_KEYS if own[k] is not True)} off"
    evidence: dict[str, Any] = {"settings_off": off}
    if account is not None:
        reason += f" and the account-level block does not cover {', '.join(off)}"
    return failed(reason, **evidence)


def _off_or_unknown(*values: bool | Unknown) -> bool | Unknown:
    return next((v for v in values if isinstance(v, Unknown)), False)


@control(
    "s3.account-public-access-block",
    title="S3 account-level public access block is on (all four settings)",
    resource=ACCOUNT_PAB,
    severity=Severity.HIGH,
    fix=(
        "aws s3control put-public-access-block --account-id ACCOUNT --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
    ),
    places=(LIVE, IAC),
    remediation="s3.account-block-public-access",
)
def account_public_access_block(block: Resource) -> Verdict:
    """Live: s3control GetPublicAccessBlock. Templates: Terraform's aws_s3_account_public_access_block."""
    settings = _block_settings(block, "")
    off = [k for k, v in settings.items() if v is False]
    if not off:
        unknowns = [v for v in settings.values() if isinstance(v, Unknown)]
        if unknowns:
            raise UnknownValue("PublicAccessBlockConfiguration", unknowns[0])
        return passed("the account blocks all public access to S3")
    if block.fact("exists") is False:
        return failed("the account has no S3 public access block", settings_off=off)
    return failed(f"the account-level public access block leaves {', '.join(off)} off", settings_off=off)


# ---------------------------------------------------------------- s3.public-acl


@control(
    "s3.public-acl",
    title="S3 bucket ACL does not grant access to everyone or to any AWS user",
    resource=BUCKET,
    reads=[FACET_ACL, FACET_PAB, ACCOUNT_PAB],
    severity=Severity.HIGH,
    fix="Set the bucket ACL to private (AccessControl: Private) or turn on IgnorePublicAcls",
    places=(LIVE, IAC),
    remediation="s3.block-public-access",
)
def public_acl(bucket: Resource, ctx: Context) -> Verdict:
    """A public canned ACL (PublicRead, PublicReadWrite, AuthenticatedRead) or, live, any grant to
    AllUsers/AuthenticatedUsers fails, unless IgnorePublicAcls on the bucket or the account makes
    S3 disregard it."""
    canned = bucket.get("AccessControl")
    grants = bucket.fact("acl_grants") if bucket.is_live else []
    public = canned in PUBLIC_CANNED_ACLS or bool(grants)
    if not public:
        return passed("the bucket ACL grants nothing to public grantees")
    evidence: dict[str, Any] = {}
    if canned:
        evidence["access_control"] = canned
    if grants:
        evidence["public_grants"] = list(grants)
    ignored = bucket.get_raw("PublicAccessBlockConfiguration.IgnorePublicAcls")
    if truthy(ignored):
        return passed("the bucket's IgnorePublicAcls setting makes S3 disregard its public ACL", **evidence)
    if bucket.is_live:
        account = _account_block(bucket, ctx)
        account_ignores = account.get_raw("IgnorePublicAcls") if account is not None else None
        if truthy(account_ignores):
            return passed("the account's IgnorePublicAcls setting makes S3 disregard the public ACL", **evidence)
        if account is None or isinstance(account_ignores, Unknown):
            return unknown(
                "the bucket ACL is public and the account-level IgnorePublicAcls setting was not read",
                **evidence,
            )
    if isinstance(ignored, Unknown):
        raise UnknownValue("PublicAccessBlockConfiguration.IgnorePublicAcls", ignored)
    return failed("the bucket ACL grants access to everyone or to any AWS user", **evidence)


# ---------------------------------------------------------------- encryption, versioning, logging


@control(
    "s3.default-encryption",
    title="S3 bucket has default server-side encryption configured",
    resource=BUCKET,
    reads=[FACET_ENCRYPTION],
    severity=Severity.MEDIUM,
    params={"require_kms": False},
    fix=(
        "Set BucketEncryption.ServerSideEncryptionConfiguration with SSEAlgorithm aws:kms (and a "
        "KMSMasterKeyID) or AES256"
    ),
    places=(LIVE, IAC),
    remediation="s3.default-encryption",
)
def default_encryption(bucket: Resource, ctx: Context) -> Verdict:
    """With `require_kms` only SSE-KMS (aws:kms, aws:kms:dsse) passes. A template that states no
    BucketEncryption fails, although S3 applies SSE-S3 to every new object since January 2023:
    the control checks what the template or bucket configures."""
    rules = as_list(bucket.get("BucketEncryption.ServerSideEncryptionConfiguration"))
    _require(rules, "BucketEncryption.ServerSideEncryptionConfiguration")
    algorithms = [
        str(r.get("ServerSideEncryptionByDefault", {}).get("SSEAlgorithm"))
        for r in rules
        if isinstance(r, dict) and isinstance(r.get("ServerSideEncryptionByDefault"), dict)
        and r["ServerSideEncryptionByDefault"].get("SSEAlgorithm")
    ]
    if not algorithms:
        return failed("the bucket has no default server-side encryption", sse_algorithm=None)
    if ctx.params.get("require_kms") and not any(a in KMS_ALGORITHMS for a in algorithms):
        return failed("the bucket's default encryption does not use a KMS key", sse_algorithm=algorithms[0])
    key = next(
        (
            r["ServerSideEncryptionByDefault"].get("KMSMasterKeyID")
            for r in rules
            if isinstance(r, dict) and isinstance(r.get("ServerSideEncryptionByDefault"), dict)
        ),
        None,
    )
    evidence: dict[str, Any] = {"sse_algorithm": algorithms[0]}
    if key:
        evidence["kms_key"] = key
    return passed(f"default encryption {algorithms[0]}", **evidence)


@control(
    "s3.versioning-enabled",
    title="S3 bucket has versioning enabled",
    resource=BUCKET,
    reads=[FACET_VERSIONING],
    severity=Severity.MEDIUM,
    fix="Set VersioningConfiguration.Status to Enabled",
    places=(LIVE, IAC),
    remediation="s3.enable-versioning",
)
def versioning_enabled(bucket: Resource) -> Verdict:
    status = bucket.get("VersioningConfiguration.Status")
    if status == "Enabled":
        return passed("versioning is enabled")
    return failed("versioning is not enabled", versioning=status or "never enabled")


@control(
    "s3.access-logging-enabled",
    title="S3 bucket has server access logging enabled",
    resource=BUCKET,
    reads=[FACET_LOGGING],
    severity=Severity.LOW,
    fix="Set LoggingConfiguration with a DestinationBucketName (a dedicated log bucket)",
    places=(LIVE, IAC),
)
def access_logging_enabled(bucket: Resource) -> Verdict:
    """In a template an empty `LoggingConfiguration` is enough: it logs into the bucket itself."""
    conf = bucket.get("LoggingConfiguration")
    if conf is None:
        return failed("server access logging is not enabled")
    _require(conf, "LoggingConfiguration")
    destination = conf.get("DestinationBucketName") if isinstance(conf, dict) else None
    return passed("server access logging is enabled", destination=destination or bucket.display_name)


# ---------------------------------------------------------------- s3.bucket-policy-exposed


@control(
    "s3.bucket-policy-exposed",
    title="S3 bucket policy does not grant everyone or accounts outside the owned accounts",
    resource=[BUCKET, POLICY],
    reads=[POLICY, FACET_PAB, ACCOUNT_PAB],
    severity=Severity.CRITICAL,
    params=EXPOSURE_PARAMS,
    fix=(
        "Name the principals in the bucket policy, or restrict the '*' statement with aws:SourceVpce, "
        "aws:PrincipalOrgID or aws:SourceAccount; turn on RestrictPublicBuckets"
    ),
    places=(LIVE, IAC),
)
def bucket_policy_exposed(r: Resource, ctx: Context) -> Verdict | None:
    """A bucket policy that grants `*` without a restricting condition (see `policy.exposure`) fails,
    unless RestrictPublicBuckets (on the bucket or, live, the account) makes S3 ignore the public
    grant; a grant to an account outside `owned_accounts` fails whatever the block. A policy whose
    bucket is not in the scanned files is judged on its own."""
    if r.type == POLICY:
        if target_in_scope(r, ctx, BUCKET, "Bucket"):
            return None
        return exposure_verdict(r, ctx, [(r.display_name, r.get_raw("PolicyDocument"))], "the bucket policy")
    policies, unresolved = _policies_of(r, ctx)
    docs = [(p.display_name, p.get_raw("PolicyDocument")) for p in policies]
    blocked: str | None = None
    own = r.get_raw("PublicAccessBlockConfiguration.RestrictPublicBuckets")
    if truthy(own):
        blocked = "the bucket's RestrictPublicBuckets setting makes S3 ignore it"
    elif r.is_live:
        account = _account_block(r, ctx)
        setting = account.get_raw("RestrictPublicBuckets") if account is not None else Unknown("not read")
        if truthy(setting):
            blocked = "the account's RestrictPublicBuckets setting makes S3 ignore it"
    verdict = at_offender(exposure_verdict(r, ctx, docs, "the bucket policy", unresolved=unresolved,
                                           public_blocked=blocked), policies)
    if blocked is None and verdict.result == Result.FAIL and "external_statements" not in verdict.evidence:
        # a public grant: it stands unless a block we could not read makes S3 ignore it
        if isinstance(own, Unknown):
            raise UnknownValue("PublicAccessBlockConfiguration.RestrictPublicBuckets", own)
        if r.is_live:
            account = _account_block(r, ctx)
            if account is None or isinstance(account.get_raw("RestrictPublicBuckets"), Unknown):
                return unknown("the bucket policy is public and the account-level RestrictPublicBuckets "
                               "setting was not read", **verdict.evidence)
    return verdict

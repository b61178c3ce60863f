"""RDS controls over `AWS::RDS::DBInstance` (CloudFormation shape; live: see collectors/rds.py).

Template defaults follow CloudFormation: StorageEncrypted and MultiAZ absent mean false,
AutoMinorVersionUpgrade absent means true, PubliclyAccessible absent means false (the case of a
template that relies on the default subnet group of a default VPC, where AWS makes the instance
public, is not visible from the template; the live scan catches it).
"""

from __future__ import annotations

from typing import Any

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.helpers import as_list, truthy
from railguard.model import Resource, Severity, Unknown, Verdict, failed, passed, unknown

DB_INSTANCE = "AWS::RDS::DBInstance"


def _cluster(db: Resource) -> Any:
    return db.get("DBClusterIdentifier")


@control(
    "rds.storage-encrypted",
    title="RDS DB instance storage is encrypted",
    resource=DB_INSTANCE,
    severity=Severity.HIGH,
    fix="Set StorageEncrypted: true (an existing instance: restore an encrypted snapshot copy)",
    places=(LIVE, IAC),
)
def storage_encrypted(db: Resource) -> Verdict:
    """Live, an Aurora member reports its cluster's encryption. In a template, an instance that
    belongs to a cluster, restores a snapshot or replicates another instance inherits its
    encryption from there, so an absent StorageEncrypted is UNKNOWN rather than a FAIL."""
    value = db.get("StorageEncrypted")
    if truthy(value):
        return passed("storage is encrypted", kms_key=db.get("KmsKeyId"))
    if value is None and not db.is_live:
        for key in ("DBClusterIdentifier", "DBSnapshotIdentifier", "SourceDBInstanceIdentifier"):
            source = db.get(key)
            if source:
                return unknown(f"the instance inherits its encryption from {key} {source}", **{key: source})
    return failed("storage is not encrypted", storage_encrypted=bool(truthy(value)), engine=db.get("Engine"))


@control(
    "rds.auto-minor-version-upgrade",
    title="RDS DB instance upgrades minor engine versions automatically",
    resource=DB_INSTANCE,
    severity=Severity.LOW,
    fix="Set AutoMinorVersionUpgrade: true",
    places=(LIVE, IAC),
)
def auto_minor_version_upgrade(db: Resource) -> Verdict:
    value = db.get("AutoMinorVersionUpgrade")
    if value is None or truthy(value):  # CloudFormation's default is true
        return passed("automatic minor version upgrade is on")
    return failed("automatic minor version upgrade is off", auto_minor_version_upgrade=False,
                  engine=db.get("Engine"))


@control(
    "rds.publicly-accessible",
    title="RDS DB instance is not publicly accessible",
    resource=DB_INSTANCE,
    severity=Severity.HIGH,
    params={"public_tag": ""},
    fix="Set PubliclyAccessible: false and reach the database from inside the VPC",
    places=(LIVE, IAC),
)
def publicly_accessible(db: Resource, ctx: Context) -> Verdict:
    """`public_tag` ("Key" or "Key=Value"; empty by default, so CIS allows no exception; the
    railguard-baseline sets `railguard:public`) lets an instance that is meant to be public and
    carries that tag pass, with the tag as evidence."""
    if not truthy(db.get("PubliclyAccessible")):
        return passed("the instance is not publicly accessible")
    tag = _matching_tag(db, str(ctx.params.get("public_tag") or ""))
    if tag:
        return passed(f"publicly accessible, and tagged as public ({tag})", public_tag=tag)
    return failed("the instance is publicly accessible", publicly_accessible=True, engine=db.get("Engine"))


def _matching_tag(db: Resource, spec: str) -> str | None:
    """`Key` matches a tag of that key whose value is not false/no/0; `Key=Value` needs that value."""
    if not spec:
        return None
    key, has_value, value = spec.partition("=")
    tags = dict(db.tags)
    for t in as_list(db.get_raw("Tags")):
        if isinstance(t, dict) and isinstance(t.get("Key"), str) and not isinstance(t.get("Value"), Unknown):
            tags.setdefault(t["Key"], str(t.get("Value", "")))
    if key not in tags:
        return None
    actual = str(tags[key]).strip()
    if (has_value and actual != value) or (not has_value and actual.lower() in ("false", "no", "0")):
        return None
    return f"{key}={actual}"


@control(
    "rds.multi-az",
    title="RDS DB instance is deployed across several Availability Zones (Multi-AZ)",
    resource=DB_INSTANCE,
    severity=Severity.MEDIUM,
    fix="Set MultiAZ: true",
    places=(LIVE, IAC),
)
def multi_az(db: Resource) -> Verdict:
    """An Aurora member's availability comes from its cluster's replicas in other zones, which this
    instance-level control cannot see: UNKNOWN with the cluster named."""
    if truthy(db.get("MultiAZ")):
        return passed("the instance is Multi-AZ")
    cluster = _cluster(db)
    if cluster:
        return unknown(f"Multi-AZ is decided by the DB cluster {cluster}, not its instances", cluster=cluster)
    return failed("the instance is not Multi-AZ", multi_az=False, engine=db.get("Engine"))


# ---------------------------------------------------------------- Aurora / Multi-AZ DB clusters

DB_CLUSTER = "AWS::RDS::DBCluster"


@control(
    "rds.cluster-storage-encrypted",
    title="RDS DB cluster (Aurora, Multi-AZ cluster) storage is encrypted",
    resource=DB_CLUSTER,
    severity=Severity.HIGH,
    fix="Set StorageEncrypted: true on the DB cluster (an existing cluster: restore an encrypted snapshot copy)",
    places=(LIVE, IAC),
)
def cluster_storage_encrypted(c: Resource) -> Verdict:
    """Live (DescribeDBClusters) and on templates. Aurora Serverless v1 is always encrypted; a
    cluster restored from a snapshot or replicating another inherits its encryption: UNKNOWN."""
    value = c.get("StorageEncrypted")
    if truthy(value):
        return passed("cluster storage is encrypted", kms_key=c.get("KmsKeyId"))
    if value is None and str(c.get("EngineMode") or "").lower() == "serverless":
        return passed("Aurora Serverless v1 clusters are always encrypted", engine_mode="serverless")
    if value is None:
        for key in ("SnapshotIdentifier", "SourceDBClusterIdentifier", "ReplicationSourceIdentifier"):
            source = c.get(key)
            if source:
                return unknown(f"the cluster inherits its encryption from {key} {source}", **{key: source})
    return failed("cluster storage is not encrypted", storage_encrypted=False, engine=c.get("Engine"))


@control(
    "rds.cluster-deletion-protection",
    title="RDS DB cluster has deletion protection enabled",
    resource=DB_CLUSTER,
    severity=Severity.LOW,
    fix="Set DeletionProtection: true on the DB cluster",
    places=(LIVE, IAC),
)
def cluster_deletion_protection(c: Resource) -> Verdict:
    """Live and on templates; CloudFormation's default is off."""
    if truthy(c.get("DeletionProtection")):
        return passed("deletion protection is on")
    return failed("deletion protection is off", deletion_protection=False, engine=c.get("Engine"))


@control(
    "rds.cluster-backup-retention",
    title="RDS DB cluster keeps automated backups for at least the configured number of days",
    resource=DB_CLUSTER,
    severity=Severity.MEDIUM,
    params={"min_days": 7},
    fix="Set BackupRetentionPeriod to 7 days or more on the DB cluster",
    places=(LIVE, IAC),
)
def cluster_backup_retention(c: Resource, ctx: Context) -> Verdict:
    """Live and on templates. CloudFormation's (and Terraform's) default retention is 1 day."""
    want = int(ctx.params.get("min_days") or 7)
    raw = c.get("BackupRetentionPeriod")
    try:
        days = 1 if raw is None else int(str(raw))
    except ValueError:
        return unknown(f"BackupRetentionPeriod {raw!r} is not a number")
    if days >= want:
        return passed(f"backups are kept {days} day(s)", backup_retention_days=days)
    return failed(f"backups are kept {days} day(s), fewer than {want}", backup_retention_days=days, minimum=want)


# ---------------------------------------------------------------- snapshots (live only)

DB_SNAPSHOT = "AWS::RDS::DBSnapshot"
DB_CLUSTER_SNAPSHOT = "AWS::RDS::DBClusterSnapshot"


@control(
    "rds.snapshot-public",
    title="RDS DB snapshot or DB cluster snapshot is not public",
    resource=[DB_SNAPSHOT, DB_CLUSTER_SNAPSHOT],
    severity=Severity.CRITICAL,
    fix="Remove `all` from the snapshot's restore attribute (modify-db-snapshot-attribute / "
        "modify-db-cluster-snapshot-attribute --values-to-remove all); share with named accounts instead",
    places=(LIVE,),
)
def snapshot_public(s: Resource) -> Verdict:
    """A manual snapshot whose `restore` attribute holds `all` can be copied and restored by every AWS
    account: the whole database, readable outside the account. Live only: snapshot sharing is not
    a CloudFormation or Terraform property. Accounts it is shared with are evidence either way."""
    accounts = [str(a) for a in as_list(s.fact("restore"))]
    named = [a for a in accounts if a != "all"]
    if "all" in accounts:
        return failed("the snapshot is public: any AWS account can restore it", restore="all",
                      shared_with=named, encrypted=bool(s.get("Encrypted") or s.get("StorageEncrypted")))
    if named:
        return passed(f"the snapshot is shared with {len(named)} named account(s), not public", shared_with=named)
    return passed("the snapshot is private")

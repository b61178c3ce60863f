"""Memory flat in the number of accounts: every assumed-role session shares one botocore data loader
(the parsed service models), and a scan keeps an account's clients only while that account is read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

REGION = "us-east-1"


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    from moto import mock_aws

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
                 "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}.items():
        monkeypatch.setenv(k, v)
    for k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    with mock_aws():
        import boto3

        o = boto3.client("organizations", region_name=REGION)
        o.create_organization(FeatureSet="ALL")
        yield [o.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")["CreateAccountStatus"]["AccountId"]
               for i in range(4)]


def _loader(sess: Any) -> Any:
    return sess.session._session.get_component("data_loader")


def test_local_scan_shares_the_service_models_and_releases_each_accounts_clients(org: list[str]) -> None:
    from railguard.sources.aws.collector import collectors_for
    from railguard.sources.aws.runner import collect
    from railguard.sources.aws.session import open_sessions

    sessions = open_sessions(org=True, region=REGION)
    assumed = [s for s in sessions if s.account in org]
    assert len(assumed) == 4 and not any(s.error for s in assumed)
    assert len({id(_loader(s)) for s in assumed}) == 1  # one parsed copy of the models for every account
    assert {s.session.get_credentials().access_key for s in assumed} != {os.environ["AWS_ACCESS_KEY_ID"]}

    types = {"AWS::EC2::SecurityGroup"}
    out = collect(sessions, collectors_for(types), types, regions=[REGION], max_workers=4)
    groups = [r for r in out.resources if r.type == "AWS::EC2::SecurityGroup"]
    assert {r.account for r in groups} >= set(org) and not out.gaps
    assert all(s._clients == {} for s in sessions)  # nothing of a finished account stays in memory
    # a released session still works: remediation after the scan makes its client again
    assert assumed[0].client("ec2", REGION).describe_security_groups()["SecurityGroups"]


def test_worker_session_cache_shares_the_loader_and_reuses_assumed_credentials(org: list[str]) -> None:
    from railguard.executor.accounts import SessionCache
    from railguard.sources.aws.session import CallCounter

    cache = SessionCache()
    spec = {"region": REGION, "role_name": "OrganizationAccountAccessRole"}
    counter = CallCounter()
    first = [cache.enter(spec, a, True, counter) for a in org]
    again = [cache.enter(spec, a, True, counter) for a in org]
    assert not any(s.error for s in first + again)
    assert counter.snapshot().get("sts:AssumeRole") == len(org)  # once per account, not once per task
    assert [id(s.session) for s in first] == [id(s.session) for s in again]
    assert len({id(_loader(s)) for s in first}) == 1


def test_children_of_a_worker_share_assumed_credentials_until_near_expiry(org: list[str], tmp_path: Any) -> None:
    import stat

    from railguard.executor.accounts import SessionCache
    from railguard.sources.aws.session import CallCounter

    shared = tmp_path / "creds"
    shared.mkdir(mode=0o700)
    spec = {"region": REGION, "role_name": "OrganizationAccountAccessRole"}
    counter = CallCounter()
    child_a, child_b = SessionCache(str(shared)), SessionCache(str(shared))  # two prefork children
    a = [child_a.enter(spec, acct, True, counter) for acct in org]
    b = [child_b.enter(spec, acct, True, counter) for acct in org]
    assert counter.snapshot().get("sts:AssumeRole") == len(org)  # the second child assumed nothing
    assert [s.session.get_credentials().access_key for s in a] == [s.session.get_credentials().access_key for s in b]
    files = list(shared.iterdir())
    assert len(files) == len(org) and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    # credentials about to expire are not handed out: a third child assumes again
    for f in files:
        f.write_text(f.read_text().replace('"expires": ', '"expires": 0, "was": '))
    [SessionCache(str(shared)).enter(spec, acct, True, counter) for acct in org]
    assert counter.snapshot()["sts:AssumeRole"] == 2 * len(org)

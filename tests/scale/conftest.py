"""A real redis-server, real `railguard worker` processes and moto with an organization of 50 accounts.

The Redis server comes from Debian's package (`.ci/run` installs it): started on 127.0.0.1 on a free
port in a temporary directory, stopped at the end; without the binary these tests are skipped
with that reason."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 50
REGION = "us-east-1"
CONTROLS = "ec2.sg-admin-port-open-to-world,ec2.default-sg-restricts-all,s3.account-public-access-block"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.scale.redisserver import binary, redis_server

    if binary() is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; .ci/run installs it)")
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the test process dies, so no moto outlives the run."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def moto_process() -> Iterator[str]:
    """moto in its own process on 127.0.0.1: moto's backends are process-global, so an in-process
    server shares its state with every `mock_aws` and moto reset of the other tests in this pytest
    worker; its own process also gives it its own GIL (50 accounts, several workers at once)."""
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # 51 accounts: not 1,500 managed policies nor the default AMIs each
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "false", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start on {url}") from None
                time.sleep(0.2)
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            os.environ.pop(k, None)
        os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": REGION})
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def moto_org() -> Iterator[dict[str, Any]]:
    """moto on 127.0.0.1 with an organization of 50 member accounts; every fifth one has a security
    group open to the world on port 22 (and every account its default groups: findings everywhere)."""
    import boto3

    saved = dict(os.environ)
    with moto_process() as url:
        kw: dict[str, Any] = {"endpoint_url": url, "region_name": REGION}
        org = boto3.client("organizations", **kw)
        org.create_organization(FeatureSet="ALL")
        members = [org.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")["CreateAccountStatus"]["AccountId"]
                   for i in range(MEMBERS)]
        sts = boto3.client("sts", **kw)
        for i, acct in enumerate(members[::5]):
            c = sts.assume_role(RoleArn=f"arn:aws:iam::{acct}:role/OrganizationAccountAccessRole",
                                RoleSessionName="seed")["Credentials"]
            ec2 = boto3.client("ec2", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                               aws_session_token=c["SessionToken"], **kw)
            vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
            sg = ec2.create_security_group(GroupName=f"open-{i}", Description="ssh from anywhere", VpcId=vpc)["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        yield {"url": url, "members": members}
    os.environ.clear()
    os.environ.update(saved)


def base_env(moto_url: str, redis_url: str, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RAILGUARD_", "RG_TEST_"))}
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
                "AWS_ENDPOINT_URL": moto_url, "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                "RAILGUARD_BROKER_URL": redis_url, "RAILGUARD_DB": f"sqlite:///{db}",
                "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")})
    return env


def railguard(*args: str, env: dict[str, str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "railguard.cli", *args], env=env, cwd=cwd, text=True,
                          capture_output=True, timeout=timeout)


def start_railguard(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "railguard.cli", *args], env=env, cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class Workers:
    """`railguard worker` processes, each in its own process group (so one can be SIGKILLed whole)."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, n: int = 1, *extra: str, env: dict[str, str] | None = None) -> list[subprocess.Popen[bytes]]:
        out = []
        for _ in range(n):
            log = open(self.cwd / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115 (closed with the process)
            p = subprocess.Popen([sys.executable, "-m", "railguard.cli", "worker", "--concurrency", "2",
                                  "--heartbeat", "0.5", "--include", "tests.scale.plugin", *extra],
                                 env={**self.env, **(env or {})}, cwd=self.cwd, stdout=log, stderr=log,
                                 start_new_session=True)
            self.procs.append(p)
            out.append(p)
        return out

    def kill(self, p: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=10)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(p)

    def logs(self) -> str:
        return "\n".join((self.cwd / f"worker-{i}.log").read_text(errors="replace")[-3000:]
                         for i in range(len(self.procs)))


@pytest.fixture
def workers(tmp_path: Path, moto_org: dict[str, Any], redis_url: str) -> Iterator[Workers]:
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # no message of an earlier test is left for these workers
    w = Workers(base_env(moto_org["url"], redis_url, tmp_path / "store.db"), tmp_path)
    try:
        yield w
    finally:
        w.stop()

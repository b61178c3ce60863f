"""Per rule: true positives in several contexts, near misses, and placeholders."""

from __future__ import annotations

import random
import zlib

import pytest

from railguard.secrets.engine import Engine
from railguard.secrets.rules import RULES, crc32_token_ok, is_placeholder
from railguard.secrets.samples import sample

RULE_IDS = [r.id for r in RULES]


def _ids(engine: Engine, text: str) -> list[str]:
    return [m.rule.id for m in engine.scan_bytes(text.encode())]


def _contexts(key: str, value: str) -> list[str]:
    return [
        f'{key} = "{value}"\n',
        f"export {key}='{value}'\n",
        f'  "{key}": "{value}",\n',
        f"{key}: {value}\n",
        f'const cfg = {{ {key}: "{value}" }};\n',
    ]


def test_at_least_thirty_rules() -> None:
    assert len(RULES) >= 30
    assert len(set(RULE_IDS)) == len(RULE_IDS)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_true_positives(engine: Engine, rule_id: str) -> None:
    rng = random.Random(zlib.crc32(rule_id.encode()))
    for _ in range(5):
        s = sample(rule_id, rng)
        texts = [s.value] if s.block else _contexts(s.key, s.value)
        for text in texts:
            found = _ids(engine, "# settings\n" + text + "\nretries = 3\n")
            assert rule_id in found, (rule_id, text[:120])
            if not s.block:
                assert set(found) == {rule_id}, (rule_id, found)


def _flip(ch: str) -> str:
    return "B" if ch != "B" else "C"


# A near miss keeps the shape but breaks the structure (checksum, length, alphabet, context).
NEAR_MISS = {
    "aws-access-key-id": lambda s: [s.value[:-1], s.value[:4] + "0" + s.value[5:], "AKIB" + s.value[4:]],
    "aws-secret-access-key": lambda s: [f"aws_secret_access_key = '{s.value[:-2]}'", f"description = '{s.value}'"],
    "aws-session-token": lambda s: [f"token = '{s.value[:50]}'"],
    "github-pat": lambda s: [s.value[:-1] + _flip(s.value[-1]), s.value[:-1]],
    "github-oauth-token": lambda s: [s.value[:-1] + _flip(s.value[-1])],
    "github-app-token": lambda s: [s.value[:-1] + _flip(s.value[-1])],
    "github-refresh-token": lambda s: [s.value[:-1] + _flip(s.value[-1])],
    "github-fine-grained-pat": lambda s: [s.value[:-3], s.value.replace("_", "-", 2)],
    "gitlab-pat": lambda s: [s.value[:-3]],
    "gitlab-ci-token": lambda s: [s.value[:-3]],
    "slack-token": lambda s: [s.value.replace("xoxb", "xoxz"), s.value[:-10]],
    "slack-app-token": lambda s: [s.value[:-4]],
    "slack-webhook": lambda s: [s.value[:-3], s.value.replace("/T", "/X")],
    "stripe-secret-key": lambda s: [s.value.replace("sk_", "pk_").replace("rk_", "pk_"), s.value[:12]],
    "google-api-key": lambda s: [s.value[:-2], "AIzb" + s.value[4:]],
    "gcp-service-account": lambda s: [s.value.replace("service_account", "authorized_user").split("-----BEGIN")[0]],
    "gcp-oauth-client-secret": lambda s: [s.value[:-3]],
    "azure-storage-connection-string": lambda s: [s.value.replace("AccountKey=", "AccountKey=short").split(";Endpoint")[0][:60]],
    "azure-storage-key": lambda s: [f"{s.key} = '{s.value[:60]}'", f"checksum = '{s.value}'"],
    "private-key-rsa": lambda s: ["-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"],
    "private-key-ec": lambda s: ["-----BEGIN EC PUBLIC KEY-----\n" + s.value.split("\n", 1)[1]],
    "private-key-dsa": lambda s: ["-----BEGIN DSA PRIVATE KEY-----\n-----END DSA PRIVATE KEY-----\n"],
    "private-key-openssh": lambda s: ["-----BEGIN OPENSSH PUBLIC KEY-----\n" + s.value.split("\n", 1)[1]],
    "private-key-pgp": lambda s: ["-----BEGIN PGP PUBLIC KEY BLOCK-----\n" + s.value.split("\n", 1)[1]],
    "private-key-pkcs8": lambda s: ["-----BEGIN CERTIFICATE-----\n" + s.value.split("\n", 1)[1]],
    "jwt": lambda s: ["eyJub3QiOiJqd3QifQ.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlc2lnbmF0dXJl", s.value.rsplit(".", 1)[0]],
    "npm-token": lambda s: [s.value[:-1] + _flip(s.value[-1])],
    "npmrc-auth-token": lambda s: ["//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"],
    "pypi-token": lambda s: [s.value[:40], s.value.replace("pypi-AgEI", "pypi-AgEJ")],
    "docker-config-auth": lambda s: ['{"auths": {"r.io": {"auth": "bm90LWEtcGFpcg=="}}}'],
    "twilio-api-key": lambda s: [s.value[:-2], "SK" + s.value[2:].upper()],
    "twilio-auth-token": lambda s: [f"TWILIO_AUTH_TOKEN = '{s.value[:-4]}'"],
    "sendgrid-api-key": lambda s: [s.value[:-5]],
    "mailgun-api-key": lambda s: [s.value[:-3]],
    "mailgun-private-key": lambda s: [f"{s.key} = '{s.value[:-3]}'"],
    "heroku-api-key": lambda s: [f"request_id = '{s.value}'"],
    "datadog-api-key": lambda s: [f"DD_API_KEY = '{s.value[:-5]}'", f"build_id = '{s.value}'"],
    "openai-api-key": lambda s: [s.value.replace("T3BlbkFJ", "T3BlbkFK")],
    "anthropic-api-key": lambda s: [s.value[:-2]],
    "shopify-token": lambda s: [s.value[:-2]],
    "digitalocean-token": lambda s: [s.value[:-2]],
    "hashicorp-vault-token": lambda s: [s.value[:40]],
    "telegram-bot-token": lambda s: [s.value.replace(":AA", ":BB")],
    "square-token": lambda s: [s.value[:-4]],
    "database-url-password": lambda s: ["postgresql://app:app@localhost:5432/app", "mysql://root@db:3306/x"],
    "basic-auth-url": lambda s: ["https://user@host.internal/x", "https://host.internal:8443/x"],
    "env-secret": lambda s: [
        'os.environ.setdefault("DB_PASSWORD", os.getenv("PG_PASS", ""))',
        "ENV DB_PASSWORD=${DB_PASSWORD}",
        "ENV DB_PASSWORD_FILE=/run/secrets/db_password",
        "DB_PASSWORD=changeme",
        "export AWS_SECRET_ACCESS_KEY=test",  # localstack's documented credentials
        "- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef: {name: db, key: password}",
        'os.environ["DB_PASSWORD"] = ""',
        'os.environ.setdefault("DB_HOST", "' + s.value.splitlines()[-1][-12:].strip('"') + '")',
    ],
    "generic-secret-assignment": lambda s: [
        'password = os.environ["DB_PASSWORD"]',
        "secret_name = 'prod/db/credentials-main'",
        "token_url = 'https://auth.internal/oauth2/token'",
        "password_field = 'userPasswordInput'",
        "api_key = get_api_key(config)",
    ],
}

PLACEHOLDERS = {
    "aws-access-key-id": ["AKIAIOSFODNN7" + "EXAMPLE", "AKIA" + "X" * 16],
    "aws-secret-access-key": ["aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"],  # railguard:allow AWS docs example
    "github-pat": ["ghp_" + "x" * 36, "ghp_<your-token>"],
    "slack-webhook": ["https://hooks.slack.com/" + "services/TXXXXXXXX/BXXXXXXXX/" + "X" * 24],
    "stripe-secret-key": ["sk_" + "test_4eC39HqLyjWDarjtT1zdp7dc", "sk_" + "live_" + "x" * 24],
    "private-key-rsa": ["-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
                        "-----BEGIN RSA PRIVATE KEY-----\n<your private key here>\n-----END RSA PRIVATE KEY-----"],
    "database-url-password": ["postgres://user:${DB_PASSWORD}@db/app", "postgres://user:<password>@db/app",
                              "postgres://admin:changeme@db/app", "mysql://u:password@db/app"],
    "basic-auth-url": ["https://user:${TOKEN}@github.com/org/repo", "https://user:xxxx@host/x"],
    "generic-secret-assignment": [
        'password = "changeme"', 'password = "${DB_PASSWORD}"', "token: <your-key>", 'api_key = "xxxxxxxxxxxx"',
        'secret = "{{ vault_secret }}"', 'PASSWORD="your_password_here"', "password: '********'",
        'client_secret = "%(secret)s"', "password = 'YOUR_PASSWORD'", 'api_key = "REPLACE_ME_WITH_KEY"',
    ],
    "npmrc-auth-token": ["//registry.npmjs.org/:_authToken=${NPM_TOKEN}"],
    "docker-config-auth": ['{"auths": {"r.io": {"auth": "dXNlcjpjaGFuZ2VtZQ=="}}}'],  # user:changeme
    "heroku-api-key": ["HEROKU_API_KEY=<your-api-key>", "HEROKU_API_KEY=${HEROKU_API_KEY}"],
}


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_near_misses(engine: Engine, rule_id: str) -> None:
    rng = random.Random(7 + len(rule_id))
    s = sample(rule_id, rng)
    for text in NEAR_MISS[rule_id](s):
        assert rule_id not in _ids(engine, text + "\n"), (rule_id, text[:100])


@pytest.mark.parametrize("rule_id", sorted(PLACEHOLDERS))
def test_placeholders(engine: Engine, rule_id: str) -> None:
    for text in PLACEHOLDERS[rule_id]:
        assert _ids(engine, text + "\n") == [], (rule_id, text)


def test_every_rule_has_a_near_miss_table() -> None:
    assert set(NEAR_MISS) == set(RULE_IDS)


def test_github_checksum_is_verified(rng: random.Random) -> None:
    good = sample("github-pat", rng).value
    assert crc32_token_ok(good.encode())
    assert not crc32_token_ok((good[:-1] + _flip(good[-1])).encode())


def test_aws_pair_found_by_proximity(engine: Engine, rng: random.Random) -> None:
    key_id = sample("aws-access-key-id", rng).value
    secret = sample("aws-secret-access-key", rng).value
    ids = _ids(engine, f'Credentials("{key_id}", "{secret}")\n')
    assert ids == ["aws-access-key-id", "aws-secret-access-key"]


def test_generic_secret_inside_specific_is_one_finding(engine: Engine, rng: random.Random) -> None:
    token = sample("github-pat", rng).value
    assert _ids(engine, f'password = "{token}"\n') == ["github-pat"]


@pytest.mark.parametrize(
    "decoy",
    [
        '"integrity": "sha512-Xk9Cm1nFqN3vYyKj5nC7W1aQ0sYx2b9c0wF4rD8eT6gH5jK3lM2nP1qR0sT9uV8wX7yZ6aB5cD4eF3gH2iJ1kL=="',
        'hash = "sha256:6b1a2f4e9c3d8a7b5e0f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"',
        "id = '3f2504e0-4f89-11d3-9a0c-0305e82c3301'",
        "commit = 'e83c5163316f89bfbde7d9ab23ca2e25604af290'",
        'checksum = "c2ed4b7f1d5a0b8e3c9f6a2d1e0b7c4a5f8e3d2c1b0a9f8e7d6c5b4a3f2e1d0c"',
        "h1:Xk9Cm1nFqN3vYyKj5nC7W1aQ0sYx2b9c0wF4rD8eT6g=",
        "password_hash = models.CharField(max_length=128)",
        "token_type = 'Bearer'",
        # shapes seen when scanning real third-party code (botocore, moto, cfn-lint, playwright)
        '"secretsmanager:ResourceTag/aws:secretsmanager:owningService":"aws-datasync"',
        '"AWS::Location::APIKey": "4089715a7b0b3686",',
        "token = Name.Builtin.Pseudo",
        '"ChangeToken": "abcd12f2-46da-4fdb-b8d5-fbd4c466928f",',
        '"PasswordLastUsed": "2016-09-08T21:47:36Z",',
        "    password: _PasswordType | None = None,",
        "'fiber_force_length_passive': FiberForceLengthPassiveDeGroote2016,",
        'ACL_CREDENTIALS = "Access-Control-Allow-Credentials"',
        "const browserToken = browser.launchOptions?.channel ?? browser?.browserName;",
        "    private_key: PKCS7PrivateKeyTypes,",
        'for example --http-credentials="admin:secret"',
        "        self._auth = HTTPBasicAuthHandler(username, password_value)",
        '{"BlockIndex": idx, "BlockToken": b.block_token}',
    ],
)
def test_decoys_are_not_findings(engine: Engine, decoy: str) -> None:
    assert _ids(engine, decoy + "\n") == []


def test_is_placeholder() -> None:
    for v in (b"${VAR}", b"<your-key>", b"xxxx", b"changeme", b"AKIAIOSFODNN7" + b"EXAMPLE", b"{{ token }}"):
        assert is_placeholder(v)
    assert not is_placeholder(b"Tq8vLp2Wz9Kd4Rm7")


@pytest.mark.parametrize("rule_id", ["heroku-api-key", "datadog-api-key", "twilio-auth-token", "generic-secret-assignment"])
def test_typed_assignments(engine: Engine, rng: random.Random, rule_id: str) -> None:
    s = sample(rule_id, rng)
    key = s.key.lower().replace("_", "")
    assert _ids(engine, f'export const {key}: string = "{s.value}";\n') == [rule_id]
    assert _ids(engine, f'val {key}: String = "{s.value}"\n') == [rule_id]

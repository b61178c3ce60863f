"""Synthetic, structurally valid credentials for tests and benchmarks, built at run time.

Nothing here is a real credential: values are drawn from a seeded ``random.Random`` and only
assembled when called (so the repository itself holds no token-shaped strings). Checksummed
formats (GitHub, npm) get a correct CRC32 so the scanner's verification is exercised.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import string
import uuid
from dataclasses import dataclass

from railguard.secrets.rules import base62_encode, is_placeholder

B62 = string.digits + string.ascii_letters
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
HEX = "0123456789abcdef"
B32 = string.ascii_uppercase + "234567"


@dataclass(frozen=True)
class Sample:
    """``value`` is the secret; ``key`` the name it is usually assigned to; ``block`` is True when
    the value is a whole multi-line document (PEM, JSON key file) rather than one token."""

    rule_id: str
    value: str
    key: str
    block: bool = False
    filename: str | None = None  # a natural file name for block samples


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if not is_placeholder(s.encode()):
            return s


def _checksummed(prefix: str, rng: random.Random) -> str:
    body = _r(rng, B62, 30)
    return prefix + body + base62_encode(binascii.crc32(body.encode()))


def _pem(rng: random.Random, header: str, nbytes: int, lead: bytes = b"") -> str:
    raw = lead + rng.randbytes(nbytes)
    b64 = base64.b64encode(raw).decode()
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    end = header.replace("BEGIN", "END")
    return "\n".join([f"-----BEGIN {header}-----", *lines, f"-----END {end}-----"]) + "\n"


def _pgp(rng: random.Random) -> str:
    b64 = base64.b64encode(b"\x95\x03\x98\x04" + rng.randbytes(900)).decode()
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return "\n".join(
        ["-----BEGIN PGP PRIVATE KEY BLOCK-----", "", *lines, "=" + _r(rng, B64, 4), "-----END PGP PRIVATE KEY BLOCK-----"]
    ) + "\n"


def _jwt(rng: random.Random) -> str:
    def enc(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).rstrip(b"=").decode()

    head = enc({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"})
    body = enc({"sub": str(rng.randint(10**6, 10**9)), "name": _r(rng, string.ascii_lowercase, 8), "iat": rng.randint(1_500_000_000, 1_800_000_000)})
    sig = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
    return f"{head}.{body}.{sig}"


def _password(rng: random.Random, n: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits + "!#%^*-_+=~"
    while True:
        s = _r(rng, alphabet, n)
        if s[0].isalnum() and sum(c.isdigit() for c in s) >= 2 and any(c.isupper() for c in s):
            return s


def _service_account(rng: random.Random) -> str:
    project = f"{_r(rng, string.ascii_lowercase, 6)}-{rng.randint(100000, 999999)}"
    key = _pem(rng, "PRIVATE KEY", 1216, b"0\x82\x04\xbc").replace("\n", "\\n")
    return json.dumps(
        {
            "type": "service_account",
            "project_id": project,
            "private_key_id": _r(rng, HEX, 40),
            "private_key": key,
            "client_email": f"deployer@{project}.iam.gserviceaccount.com",
            "client_id": str(rng.randint(10**20, 10**21)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        },
        indent=2,
    ).replace("\\\\n", "\\n")


def _docker_config(rng: random.Random) -> str:
    user = _r(rng, string.ascii_lowercase, 7)
    auth = base64.b64encode(f"{user}:{_password(rng, 20)}".encode()).decode()
    return json.dumps({"auths": {"registry.corp.internal:5000": {"auth": auth}}}, indent=2)


def sample(rule_id: str, rng: random.Random) -> Sample:
    """A valid credential of the type ``rule_id`` (see ``railguard.secrets.rules.RULES``)."""
    r = rng
    match rule_id:
        case "aws-access-key-id":
            return Sample(rule_id, r.choice(["AKIA", "ASIA"]) + _r(r, B32, 16), "aws_access_key_id")
        case "aws-secret-access-key":
            while True:
                v = _r(r, B64, 40)
                if any(c.islower() for c in v) and any(c.isupper() for c in v) and any(c.isdigit() for c in v):
                    return Sample(rule_id, v, "aws_secret_access_key")
        case "aws-session-token":
            return Sample(rule_id, "IQoJb3JpZ2luX2Vj" + _r(r, B64, 340), "aws_session_token")
        case "github-pat":
            return Sample(rule_id, _checksummed("ghp_", r), "GITHUB_TOKEN")
        case "github-oauth-token":
            return Sample(rule_id, _checksummed("gho_", r), "github_oauth")
        case "github-app-token":
            return Sample(rule_id, _checksummed(r.choice(["ghs_", "ghu_"]), r), "GH_APP_INSTALLATION")
        case "github-refresh-token":
            return Sample(rule_id, _checksummed("ghr_", r), "github_refresh")
        case "github-fine-grained-pat":
            return Sample(rule_id, "github_pat_" + _r(r, B62, 22) + "_" + _r(r, B62, 59), "GH_PAT")
        case "gitlab-pat":
            return Sample(rule_id, "glpat-" + _r(r, B62 + "-_", 20), "GITLAB_TOKEN")
        case "gitlab-ci-token":
            return Sample(rule_id, "glptt-" + _r(r, HEX, 40), "trigger")
        case "slack-token":
            return Sample(
                rule_id,
                f"xoxb-{r.randint(10**10, 10**12)}-{r.randint(10**11, 10**13)}-{_r(r, B62, 24)}",
                "SLACK_BOT",
            )
        case "slack-app-token":
            return Sample(
                rule_id, f"xapp-1-A{_r(r, string.ascii_uppercase + string.digits, 10)}-{r.randint(10**12, 10**13)}-{_r(r, HEX, 64)}", "SLACK_APP"
            )
        case "slack-webhook":
            u = string.ascii_uppercase + string.digits
            return Sample(rule_id, f"https://hooks.slack.com/services/T{_r(r, u, 8)}/B{_r(r, u, 10)}/{_r(r, B62, 24)}", "webhook_url")
        case "stripe-secret-key":
            return Sample(rule_id, r.choice(["sk_live_", "rk_live_"]) + _r(r, B62, r.choice([24, 99])), "STRIPE_KEY")
        case "google-api-key":
            return Sample(rule_id, "AIza" + _r(r, B64URL, 35), "GOOGLE_MAPS")
        case "gcp-service-account":
            return Sample(rule_id, _service_account(r), "", True, "service-account.json")
        case "gcp-oauth-client-secret":
            return Sample(rule_id, "GOCSPX-" + _r(r, B64URL, 28), "client_secret")
        case "azure-storage-connection-string":
            key = base64.b64encode(r.randbytes(64)).decode()
            return Sample(
                rule_id,
                f"DefaultEndpointsProtocol=https;AccountName={_r(r, string.ascii_lowercase, 10)};AccountKey={key};EndpointSuffix=core.windows.net",
                "AZURE_STORAGE_CONNECTION_STRING",
            )
        case "azure-storage-key":
            return Sample(rule_id, base64.b64encode(r.randbytes(64)).decode(), "azure_storage_account_key")
        case "private-key-rsa":
            return Sample(rule_id, _pem(r, "RSA PRIVATE KEY", 1190, b"0\x82\x04\xa2\x02\x01\x00"), "", True, "id_rsa")
        case "private-key-ec":
            return Sample(rule_id, _pem(r, "EC PRIVATE KEY", 115, b"0w\x02\x01\x01\x04 "), "", True, "ec.key")
        case "private-key-dsa":
            return Sample(rule_id, _pem(r, "DSA PRIVATE KEY", 440, b"0\x82\x01\xbb\x02\x01\x00"), "", True, "dsa.pem")
        case "private-key-openssh":
            return Sample(rule_id, _pem(r, "OPENSSH PRIVATE KEY", 380, b"openssh-key-v1\x00"), "", True, "id_ed25519")
        case "private-key-pgp":
            return Sample(rule_id, _pgp(r), "", True, "signing.asc")
        case "private-key-pkcs8":
            return Sample(rule_id, _pem(r, "PRIVATE KEY", 1210, b"0\x82\x04\xbe\x02\x01\x00"), "", True, "tls.key")
        case "jwt":
            return Sample(rule_id, _jwt(r), "session")
        case "npm-token":
            return Sample(rule_id, _checksummed("npm_", r), "NPM_TOKEN")
        case "npmrc-auth-token":
            return Sample(rule_id, f"//registry.npmjs.org/:_authToken={uuid.UUID(int=r.getrandbits(128))}\n", "", True, ".npmrc")
        case "pypi-token":
            return Sample(rule_id, "pypi-AgEIcHlwaS5vcmc" + _r(r, B64URL, 160), "PYPI_TOKEN")
        case "docker-config-auth":
            return Sample(rule_id, _docker_config(r), "", True, "config.json")
        case "twilio-api-key":
            return Sample(rule_id, "SK" + _r(r, HEX, 32), "TWILIO_API_KEY_SID")
        case "twilio-auth-token":
            return Sample(rule_id, _r(r, HEX, 32), "TWILIO_AUTH_TOKEN")
        case "sendgrid-api-key":
            return Sample(rule_id, f"SG.{_r(r, B64URL, 22)}.{_r(r, B64URL, 43)}", "SENDGRID")
        case "mailgun-api-key":
            return Sample(rule_id, "key-" + _r(r, HEX + "ghijklmnopqrstuvwxyz", 32), "mg_key")
        case "mailgun-private-key":
            return Sample(rule_id, f"{_r(r, HEX, 32)}-{_r(r, HEX, 8)}-{_r(r, HEX, 8)}", "MAILGUN_API_KEY")
        case "heroku-api-key":
            return Sample(rule_id, str(uuid.UUID(int=r.getrandbits(128))), "HEROKU_API_KEY")
        case "datadog-api-key":
            return Sample(rule_id, _r(r, HEX, 32), "DD_API_KEY")
        case "openai-api-key":
            return Sample(rule_id, f"sk-proj-{_r(r, B64URL, 48)}T3BlbkFJ{_r(r, B64URL, 48)}", "OPENAI_API_KEY")
        case "anthropic-api-key":
            return Sample(rule_id, f"sk-ant-api03-{_r(r, B64URL, 93)}AA", "ANTHROPIC_API_KEY")
        case "shopify-token":
            return Sample(rule_id, "shpat_" + _r(r, HEX, 32), "SHOPIFY_TOKEN")
        case "digitalocean-token":
            return Sample(rule_id, "dop_v1_" + _r(r, HEX, 64), "DO_TOKEN")
        case "hashicorp-vault-token":
            return Sample(rule_id, "hvs." + _r(r, B64URL, 95), "VAULT_TOKEN")
        case "telegram-bot-token":
            return Sample(rule_id, f"{r.randint(10**8, 10**10 - 1)}:AA{_r(r, B64URL, 33)}", "TELEGRAM_BOT")
        case "square-token":
            return Sample(rule_id, "sq0atp-" + _r(r, B64URL, 22), "SQUARE_TOKEN")
        case "database-url-password":
            scheme = r.choice(["postgresql", "mysql", "mongodb+srv", "redis", "amqp"])
            return Sample(rule_id, f"{scheme}://app_{_r(r, string.ascii_lowercase, 4)}:{_password(r, 18).replace('%', 'Q')}@db-{r.randint(1, 9)}.prod.internal:5432/app", "DATABASE_URL")
        case "basic-auth-url":
            return Sample(rule_id, f"https://deploy:{_password(r, 20).replace('%', 'Q')}@artifacts.corp.internal/repo/simple", "index_url")
        case "generic-secret-assignment":
            return Sample(rule_id, _password(r, r.randint(12, 24)), r.choice(["db_password", "SMTP_PASSWORD", "client_secret", "signing_secret", "apiKey", "adminPassword"]))
        case "env-secret":
            pw, name = _password(r, r.randint(12, 20)).replace("%", "Q"), r.choice(["DB_PASSWORD", "SMTP_PASSWORD", "REDIS_PASSWORD", "ADMIN_PASS"])
            form = r.randrange(4)
            if form == 0:
                return Sample(rule_id, f"FROM python:3.12-slim\nENV {name}={pw}\nCMD [\"python\", \"app.py\"]\n", "", True, "Dockerfile")
            if form == 1:
                return Sample(rule_id, f"import os\n\nos.environ.setdefault(\"{name}\", \"{pw}\")\n", "", True, "settings.py")
            if form == 2:
                return Sample(rule_id, f"DEBUG=0\n{name}={pw}\n", "", True, ".env")
            return Sample(rule_id, f"containers:\n  - name: app\n    env:\n      - name: {name}\n        value: \"{pw}\"\n", "", True, "deployment.yaml")
    raise KeyError(rule_id)

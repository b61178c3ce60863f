"""Build the independent secrets corpus from its committed templates.

``benchmarks/corpora/secrets-independent/templates/`` holds realistic files (application code in
several languages, CI and deployment config, dotfiles, docs) written by hand for this benchmark,
not by the generator of ``secrets_scan.py``. Each true secret is marked in place as ``⟦kind⟧`` and
each generated look-alike negative as ``⟦~kind⟧``; everything else (documented example keys,
placeholders, ``${VAR}`` references, identifiers) is written literally as a negative.

Values are made at build time from the vendors' documented formats (GitHub's CRC32 token format,
Slack's ``xoxb-`` layout, Stripe's ``sk_live_``, Twilio's ``SK`` + 32 hex, SendGrid's
``SG.<22>.<43>``, Google's ``AIza`` + 35, npm's ``npm_`` + CRC32, PyPI's macaroon prefix,
Azure's 64-byte account keys, real private keys from ``cryptography`` in every PEM and OpenSSH
kind), so the repository itself holds no credential-shaped string. The formats were read from
vendor documentation and from other scanners' public rule and test files (gitleaks,
detect-secrets, trufflehog); no file of theirs is copied. ``templates-labels.json`` and ``holdout-labels.json`` beside the templates are
the hand-checkable manifests: every true secret's file, first and last line and kind; the build
checks that they still match the templates.

    .venv/bin/python benchmarks/secrets_independent.py [--out DIR]   # writes the corpus, prints counts
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import random
import re
import shutil
import string
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpora" / "secrets-independent"
#: ``templates``: the first set, measured once as written, then used to fix the rules (both figures are
#: reported); ``holdout``: written after those fixes, measured once, then used to fix the rules too;
#: ``holdout2``: written later by another hand (issue 13), measured first as written (both figures reported);
#: ``holdout3``: written after the fixes holdout2 led to, measured once, never used to change a rule
SETS = ("templates", "holdout", "holdout2", "holdout3")
B62 = string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
HEX = "0123456789abcdef"
MARK = re.compile(r"⟦(~?)([a-z0-9-]+)(?:\|([a-z0-9:-]+))?⟧")


@dataclass(frozen=True)
class Label:
    path: str
    first: int
    last: int
    kind: str


def _s(r: random.Random, alphabet: str, n: int) -> str:
    return "".join(r.choice(alphabet) for _ in range(n))


def _b62(n: int) -> str:
    out = ""
    while n:
        n, d = divmod(n, 62)
        out = (string.digits + string.ascii_uppercase + string.ascii_lowercase)[d] + out
    return out.rjust(6, "0")


def _crc_token(prefix: str, r: random.Random) -> str:
    """GitHub's and npm's format: 30 random base62 characters and a base62 CRC32 of them."""
    body = _s(r, B62, 30)
    return prefix + body + _b62(binascii.crc32(body.encode()))


def _password(r: random.Random) -> str:
    """What people choose: words, digits and a symbol, or a generated mix."""
    words = ["Winter", "harbor", "Maple", "falcon", "Copper", "Orbit", "violet", "Tundra", "Summit", "Ember"]
    style = r.randrange(3)
    if style == 0:
        return f"{r.choice(words)}{r.randint(10, 99)}{r.choice('!#%&*@')}{r.choice(words).lower()}{r.randint(1, 9)}"
    if style == 1:
        return "-".join(r.choice(words).lower() for _ in range(3)) + f"-{r.randint(100, 999)}"
    return _s(r, B62 + "!#%^*", 18)


def _pem(kind: str) -> str:
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

    enc = ser.Encoding.PEM
    none = ser.NoEncryption()
    if kind == "rsa-pem":
        return rsa.generate_private_key(65537, 2048).private_bytes(enc, ser.PrivateFormat.TraditionalOpenSSL, none).decode()
    if kind == "ec-pem":
        return ec.generate_private_key(ec.SECP256R1()).private_bytes(enc, ser.PrivateFormat.TraditionalOpenSSL, none).decode()
    if kind == "dsa-pem":
        return dsa.generate_private_key(1024).private_bytes(enc, ser.PrivateFormat.TraditionalOpenSSL, none).decode()
    if kind == "pkcs8-pem":
        return rsa.generate_private_key(65537, 2048).private_bytes(enc, ser.PrivateFormat.PKCS8, none).decode()
    if kind == "pkcs8-enc-pem":
        key = ec.generate_private_key(ec.SECP384R1())
        return key.private_bytes(enc, ser.PrivateFormat.PKCS8, ser.BestAvailableEncryption(b"build-time")).decode()
    if kind == "openssh-ed25519":
        return ed25519.Ed25519PrivateKey.generate().private_bytes(enc, ser.PrivateFormat.OpenSSH, none).decode()
    if kind == "openssh-rsa":
        return rsa.generate_private_key(65537, 2048).private_bytes(enc, ser.PrivateFormat.OpenSSH, none).decode()
    if kind == "openssh-ecdsa":
        return ec.generate_private_key(ec.SECP256R1()).private_bytes(enc, ser.PrivateFormat.OpenSSH, none).decode()
    raise KeyError(kind)


def _public(kind: str, r: random.Random) -> str:
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    if kind == "ssh-pub":
        key = ed25519.Ed25519PrivateKey.generate().public_key()
        return key.public_bytes(ser.Encoding.OpenSSH, ser.PublicFormat.OpenSSH).decode() + " deploy@ci"
    key2 = rsa.generate_private_key(65537, 2048).public_key()
    return key2.public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo).decode()


def _pgp(r: random.Random) -> str:
    body = base64.b64encode(b"\x95\x01\xd8\x04" + r.randbytes(700)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    crc = base64.b64encode(r.randbytes(3)).decode()
    return "\n".join(["-----BEGIN PGP PRIVATE KEY BLOCK-----", "", *lines, f"={crc}", "-----END PGP PRIVATE KEY BLOCK-----"]) + "\n"


def _cert(r: random.Random) -> str:
    body = base64.b64encode(b"0\x82\x03" + r.randbytes(760)).decode()
    return "\n".join(["-----BEGIN CERTIFICATE-----", *[body[i : i + 64] for i in range(0, len(body), 64)],
                      "-----END CERTIFICATE-----"]) + "\n"


def _jwt(r: random.Random) -> str:
    def enc(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).decode().rstrip("=")

    head = enc({"alg": r.choice(["HS256", "RS256"]), "typ": "JWT"})
    body = enc({"sub": str(uuid.UUID(int=r.getrandbits(128))), "iat": 1718000000 + r.randint(0, 10**6), "scope": "admin"})
    return f"{head}.{body}.{base64.urlsafe_b64encode(r.randbytes(32)).decode().rstrip('=')}"


def _gcp_service_account(r: random.Random) -> str:
    key = _pem("pkcs8-pem")
    return json.dumps({
        "type": "service_account",
        "project_id": "acme-analytics-prod",
        "private_key_id": _s(r, HEX, 40),
        "private_key": key,
        "client_email": "loader@acme-analytics-prod.iam.gserviceaccount.com",
        "client_id": str(r.randint(10**20, 10**21 - 1)),
        "token_uri": "https://oauth2.googleapis.com/token",
    }, indent=2)


SECRETS: dict[str, Callable[[random.Random], str]] = {
    "gcp-sa": _gcp_service_account,
    "aws-akid": lambda r: "AKIA" + _s(r, string.ascii_uppercase + "234567", 16),
    "aws-asia": lambda r: "ASIA" + _s(r, string.ascii_uppercase + "234567", 16),
    "aws-secret": lambda r: _s(r, B64, 40),
    "aws-session": lambda r: "IQoJb3JpZ2luX2VjE" + _s(r, B64, 300),
    "gh-classic": lambda r: _crc_token("ghp_", r),
    "gh-oauth": lambda r: _crc_token("gho_", r),
    "gh-server": lambda r: _crc_token("ghs_", r),
    "gh-fine": lambda r: "github_pat_" + _s(r, B62, 22) + "_" + _s(r, B62, 59),
    "gitlab-pat": lambda r: "glpat-" + _s(r, B62 + "-_", 20),
    "gitlab-runner": lambda r: "glrt-" + _s(r, B62 + "-_", 20),
    "slack-bot": lambda r: f"xoxb-{r.randint(10**11, 10**12 - 1)}-{r.randint(10**12, 10**13 - 1)}-{_s(r, B62, 24)}",
    "slack-user": lambda r: f"xoxp-{r.randint(10**11, 10**12 - 1)}-{r.randint(10**11, 10**12 - 1)}-{r.randint(10**11, 10**12 - 1)}-{_s(r, HEX, 32)}",
    "slack-webhook": lambda r: f"https://hooks.slack.com/services/T{_s(r, string.ascii_uppercase + string.digits, 10)}/B{_s(r, string.ascii_uppercase + string.digits, 10)}/{_s(r, B62, 24)}",
    "stripe-live": lambda r: "sk_live_" + _s(r, B62, 99),
    "stripe-restricted": lambda r: "rk_live_" + _s(r, B62, 24),
    "stripe-test": lambda r: "sk_test_" + _s(r, B62, 24),
    "twilio-apikey": lambda r: "SK" + _s(r, HEX, 32),
    "twilio-token": lambda r: _s(r, HEX, 32),
    "sendgrid": lambda r: f"SG.{_s(r, B64URL, 22)}.{_s(r, B64URL, 43)}",
    "google-api": lambda r: "AIza" + _s(r, B64URL, 35),
    "azure-key": lambda r: base64.b64encode(r.randbytes(64)).decode(),
    "azure-sas": lambda r: base64.b64encode(r.randbytes(32)).decode(),  # Service Bus / Event Hubs SAS key
    "npm": lambda r: _crc_token("npm_", r),
    "pypi": lambda r: "pypi-AgEIcHlwaS5vcmcCJ" + _s(r, B64URL, 150),
    "jwt": _jwt,
    "password": _password,
    "db-password": _password,
    "hex-secret": lambda r: _s(r, HEX, 64),
    "django-secret": lambda r: _s(r, string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)", 50),
    "digitalocean": lambda r: "dop_v1_" + _s(r, HEX, 64),
    "vault": lambda r: "hvs." + _s(r, B64URL, 90),
    "shopify": lambda r: "shpat_" + _s(r, HEX, 32),
    "telegram": lambda r: f"{r.randint(10**9, 10**10 - 1)}:AA{_s(r, B64URL, 33)}",
    "openai": lambda r: f"sk-proj-{_s(r, B64URL, 64)}T3BlbkFJ{_s(r, B64URL, 64)}",
    "anthropic": lambda r: f"sk-ant-api03-{_s(r, B64URL, 93)}AA",
    "datadog": lambda r: _s(r, HEX, 32),
    "mailgun": lambda r: "key-" + _s(r, HEX, 32),
    "docker-auth": lambda r: base64.b64encode(f"ci-bot:{_password(r)}".encode()).decode(),
    "pgp-private": _pgp,
    **{k: (lambda r, k=k: _pem(k)) for k in ("rsa-pem", "ec-pem", "dsa-pem", "pkcs8-pem", "pkcs8-enc-pem",
                                             "openssh-ed25519", "openssh-rsa", "openssh-ecdsa")},
}

NEGATIVES: dict[str, Callable[[random.Random], str]] = {
    "sha1": lambda r: _s(r, HEX, 40),
    "sha256": lambda r: hashlib.sha256(r.randbytes(16)).hexdigest(),
    "md5": lambda r: _s(r, HEX, 32),
    "integrity": lambda r: "sha512-" + base64.b64encode(r.randbytes(64)).decode(),
    "uuid": lambda r: str(uuid.UUID(int=r.getrandbits(128))),
    "b64-16": lambda r: base64.b64encode(r.randbytes(16)).decode(),
    "b64-32": lambda r: base64.b64encode(r.randbytes(32)).decode(),
    "b64-blob": lambda r: base64.b64encode(r.randbytes(300)).decode(),
    "twilio-sid": lambda r: "AC" + _s(r, HEX, 32),
    "stripe-publishable": lambda r: "pk_live_" + _s(r, B62, 24),
    "google-client-id": lambda r: f"{r.randint(10**11, 10**12 - 1)}-{_s(r, string.ascii_lowercase + string.digits, 32)}.apps.googleusercontent.com",
    "gh-badcrc": lambda r: "ghp_" + _s(r, B62, 36),
    "ssh-pub": lambda r: _public("ssh-pub", r),
    "pem-pub": lambda r: _public("pem-pub", r),
    "cert": _cert,
}


def _apply(value: str, mods: str | None) -> str:
    for mod in (mods or "").split("-") if mods else []:
        if mod == "escaped":
            value = value.rstrip("\n").replace("\n", "\\n")
        elif mod == "strip":
            value = value.rstrip("\n")
        elif mod.startswith("indent"):
            pad = " " * int(mod[6:])
            value = value.rstrip("\n").replace("\n", "\n" + pad)
        elif mod == "java":  # one string literal per line, concatenated
            lines = value.rstrip("\n").split("\n")
            value = " +\n".join(f'        "{ln}\\n"' for ln in lines) + ";"
        elif mod == "b64":
            value = base64.b64encode(value.encode()).decode()
    return value


def render(template: str, r: random.Random, rel: str) -> tuple[str, list[Label]]:
    """The file's text and the labels of the true secrets in it (lines 1-based)."""
    out: list[str] = []
    labels: list[Label] = []
    pos = 0
    for m in MARK.finditer(template):
        out.append(template[pos : m.start()])
        negative, kind, mods = m.group(1) == "~", m.group(2), m.group(3)
        value = _apply((NEGATIVES if negative else SECRETS)[kind](r), mods)
        if not negative:
            first = "".join(out).count("\n") + 1
            labels.append(Label(rel, first, first + value.count("\n"), kind))
        out.append(value)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), labels


def build(dest: Path, which: str = "templates", seed: int = 1307) -> list[Label]:
    """Write one set of the corpus to ``dest`` (replaced) and return its labels, checked against the
    committed ``<set>-labels.json``."""
    templates = CORPUS / which
    labels_file = CORPUS / f"{which}-labels.json"
    if dest.exists():
        shutil.rmtree(dest)
    r = random.Random(seed)
    labels: list[Label] = []
    for tpl in sorted(p for p in templates.rglob("*") if p.is_file()):
        rel = tpl.relative_to(templates).as_posix()
        rel = rel[: -len(".tmpl")] if rel.endswith(".tmpl") else rel
        text, found = render(tpl.read_text(), r, rel)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        labels.extend(found)
    committed = [Label(**d) for d in json.loads(labels_file.read_text())] if labels_file.exists() else None
    if committed is not None and committed != labels:
        raise SystemExit(f"{labels_file} does not match the templates: run with --write-labels after checking the change")
    return labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE / ".work", help="each set goes to OUT/secrets-independent-<set>")
    ap.add_argument("--write-labels", action="store_true", help="rewrite <set>-labels.json from the templates")
    args = ap.parse_args()
    for which in SETS:
        labels_file = CORPUS / f"{which}-labels.json"
        if args.write_labels and labels_file.exists():
            labels_file.unlink()
        dest = args.out / f"secrets-independent-{which}"
        labels = build(dest, which)
        if args.write_labels:
            labels_file.write_text(json.dumps([asdict(lb) for lb in labels], indent=1) + "\n")
        kinds = sorted({lb.kind for lb in labels})
        print(f"{which}: {len(labels)} secrets of {len(kinds)} kinds in {len({lb.path for lb in labels})} files -> {dest}")


if __name__ == "__main__":
    main()

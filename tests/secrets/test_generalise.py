"""Secrets written the ways real code writes them: OpenSSH keys in string literals, passwords set
through environment setters, and the public development keys that are not secrets."""

from __future__ import annotations

import base64
import random

import pytest
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from railguard.secrets.engine import Engine

_KEYS = {
    "ed25519": lambda: ed25519.Ed25519PrivateKey.generate(),
    "ecdsa": lambda: ec.generate_private_key(ec.SECP256R1()),
    "rsa": lambda: rsa.generate_private_key(65537, 1024),
}
_FORMS = {
    "file": lambda pem: pem,
    "escaped string": lambda pem: 'SSH_KEY = "' + pem.replace("\n", "\\n") + '"\n',
    "template string": lambda pem: "const deployKey = `" + pem + "`;\n",
    "json": lambda pem: '{"deploy_key": "' + pem.replace("\n", "\\n") + '"}\n',
    "yaml block": lambda pem: "ssh_key: |\n" + "".join("  " + ln + "\n" for ln in pem.splitlines()),
    "concatenated": lambda pem: " +\n".join(f'"{ln}\\n"' for ln in pem.splitlines()) + ";\n",
}


def _ids(engine: Engine, text: str) -> list[str]:
    return [m.rule.id for m in engine.scan_bytes(text.encode())]


@pytest.mark.parametrize("kind", list(_KEYS))
@pytest.mark.parametrize("form", list(_FORMS))
def test_openssh_private_keys_are_found(engine: Engine, kind: str, form: str) -> None:
    pem = _KEYS[kind]().private_bytes(ser.Encoding.PEM, ser.PrivateFormat.OpenSSH, ser.NoEncryption()).decode()
    assert _ids(engine, _FORMS[form](pem)) == ["private-key-openssh"]


@pytest.mark.parametrize("text", [
    "-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----\n",
    "-----BEGIN OPENSSH PRIVATE KEY-----\n<your key here>\n-----END OPENSSH PRIVATE KEY-----\n",
    'KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\\nREDACTED\\n-----END OPENSSH PRIVATE KEY-----"\n',
    "if line.startswith('-----BEGIN OPENSSH PRIVATE KEY-----'):\n    kind = 'openssh'\n",
])
def test_openssh_stand_ins_are_not(engine: Engine, text: str) -> None:
    assert _ids(engine, text) == []


PW = "Xk92mPq7Lr"


@pytest.mark.parametrize("text", [
    f'os.environ.setdefault("PASSWORD", "{PW}")\n',
    f"os.environ['DB_PASSWORD'] = '{PW}'\n",
    f'process.env["SMTP_PASSWORD"] = "{PW}";\n',
    f"ENV['REDIS_PASSWORD'] = '{PW}'\n",
    f'os.Setenv("DB_PASSWORD", "{PW}")\n',
    f'System.setProperty("db.password", "{PW}");\n',
    f"FROM alpine:3.20\nENV DB_PASSWORD={PW}\n",
    f"FROM alpine:3.20\nENV DB_PASSWORD {PW}\n",
    "export POSTGRES_PASSWORD=hunter2\n",
    f"DEBUG=0\nDB_PASSWORD={PW}\n",
    f"spec:\n  containers:\n    - env:\n        - name: DB_PASSWORD\n          value: {PW}\n",
    f'[{{"name": "DB_PASSWORD", "value": "{PW}"}}]\n',
])
def test_passwords_set_in_the_environment_are_found(engine: Engine, text: str) -> None:
    assert _ids(engine, text) == ["env-secret"]


@pytest.mark.parametrize("text", [
    'os.environ.setdefault("PASSWORD", os.environ.get("PGPASSWORD", ""))\n',
    "ENV DB_PASSWORD=${DB_PASSWORD}\n",
    "ENV DB_PASSWORD_FILE=/run/secrets/db\n",
    "export DB_PASSWORD=changeme\n",
    "export AWS_SECRET_ACCESS_KEY=test\n",
    "- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:\n      name: db\n",
    f'os.environ.setdefault("DB_HOST", "{PW}")\n',
    "AUTH_MODE=oauth2-proxy\n",
])
def test_environment_near_misses_are_not(engine: Engine, text: str) -> None:
    assert _ids(engine, text) == []


def _split(*parts: str) -> str:
    return "".join(parts)  # keeps key-shaped literals out of the source


@pytest.mark.parametrize("text", [
    # the Azurite storage emulator's documented account key
    _split("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=",
           "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/", "K1SZFPTOtr/KBHBeksoGMGw==;",
           "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;\n"),
    # the Cosmos DB emulator key
    _split("AccountEndpoint=https://localhost:8081/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8",
           "mGGyPMbIZnqyMsEcaGQy67XIw/", "Jw==\n"),
    # AWS's documentation example keys
    _split("aws_access_key_id = AKIAIOSFODNN7", "EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/",
           "bPxRfiCYEXAMPLEKEY\n"),
    # localstack
    "AWS_ACCESS_KEY_ID=test\nAWS_SECRET_ACCESS_KEY=test\nAWS_ENDPOINT_URL=http://localhost:4566\n",
    'api_key = "<your-key>"\n', "token: xxxxxxxxxxxxxxxxxxxx\n", "DB_PASSWORD=changeme\n", 'secret = "${SECRET}"\n',
])
def test_public_development_keys_and_placeholders_are_not_reported(engine: Engine, text: str) -> None:
    assert _ids(engine, text) == []


def test_a_real_azure_key_next_to_the_emulator_shape_is_reported(engine: Engine) -> None:
    key = base64.b64encode(random.Random(5).randbytes(64)).decode()
    text = f"DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey={key};EndpointSuffix=core.windows.net\n"
    assert _ids(engine, text) == ["azure-storage-connection-string"]


# Forms the second independent holdout found missing (issue 13): each written as users write it, and
# the stand-in or reference beside it that must stay quiet.
@pytest.mark.parametrize("text", [
    f'SECRET_KEY = os.environ.get("SECRET_KEY", "{PW}x9Qz")\n',
    f"'password' => env('DB_PASSWORD', '{PW}'),\n",
    f'token = ENV.fetch("API_TOKEN", "{PW}x9Qz")\n',
    f'{{\n  "key": "api_key",\n  "value": "{PW}x9Qz4hT7"\n}}\n',
    f"\t<key>BackendAPIToken</key>\n\t<string>{PW}x9Qz4hT7</string>\n",
    f'<add key="SmtpPassword" value="{PW}" />\n',
    f"requirepass {PW}\n",
    f"mysql -h db -u app -p'{PW}' shop < dump.sql\n",
    f"mysqldump -u root -p{PW} shop > shop.sql\n",
    f'echo "{PW}" | docker login ghcr.io -u bot --password-stdin\n',
    f'req.SetBasicAuth("api", "{PW}")\n',
    f'requests.get(url, auth=("api", "{PW}"))\n',
    f'my $dbh = DBI->connect("dbi:Pg:dbname=reports;host=db", "reports", "{PW}");\n',
    f'DriverManager.getConnection("jdbc:postgresql://db/shop", "shop", "{PW}");\n',
])
def test_more_ways_of_setting_a_password_are_found(engine: Engine, text: str) -> None:
    assert _ids(engine, text) == ["env-secret"]


@pytest.mark.parametrize("text", [
    'SECRET_KEY = os.environ.get("SECRET_KEY", "")\n',
    "'password' => env('DB_PASSWORD', null),\n",
    'password = request.form.get("password", "changeme")\n',
    '{"key": "base_url", "value": "https://staging.api.acme.test"}\n',
    "\t<key>BuildCommit</key>\n\t<string>release-4.12</string>\n",
    "# requirepass foobared\n",
    "mysql -u root -p shop\n",
    'echo "$DOCKER_PASSWORD" | docker login -u bot --password-stdin\n',
    'req.SetBasicAuth(user, os.Getenv("API_PASSWORD"))\n',
    'System.getProperty("db.password", "${DB_PASS}")\n',
    '$db = new PDO("mysql:host=localhost;dbname=shop", "shop", "");\n',
    "db_password: ENC[AES256_GCM,data:1pmAg0jlidxjyRtClehpkg==,iv:oA0U38kYr9grgr6DJpwzEJl0JG9goAFDwnF4dzA2KDk=,type:str]\n",
    "spring.datasource.password: ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)\n",
])
def test_their_stand_ins_and_references_are_not(engine: Engine, text: str) -> None:
    assert _ids(engine, text) == []

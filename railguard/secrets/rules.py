"""Detection rules: one per credential type, each with the format's real structure.

A rule has two halves:

* ``trigger``: a hyperscan pattern (bytes) that all rules share one database for. It is
  literal-prefixed and bounded wherever the format allows, and ends with a boundary so
  hyperscan reports each candidate once (at its end offset).
* ``regex`` + ``validate``: Python ``re`` run only on the small window around a trigger hit,
  then a structural check (checksum, length, alphabet, decodes as expected, not a
  placeholder). Only candidates pay for Python.

``priority`` decides overlaps: a generic finding (entropy-gated assignment) is dropped when a
specific rule found the same span, so ``password = "ghp_..."`` is one GitHub finding.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from railguard.secrets.shapes import KNOWN_EXAMPLES_B, char_classes, is_placeholder, shannon

HS_MULTILINE = 4  # hyperscan.HS_FLAG_MULTILINE (kept literal: hyperscan is imported lazily)
SPECIFIC = 3
CONTEXTUAL = 2
SETTER = 1  # a secret-named environment entry: below a vendor's format, above the generic assignment
GENERIC = 0


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str  # "critical" | "high" | "medium" | "low"
    trigger: bytes
    regex: re.Pattern[bytes]
    back: int = 256  # bytes before the hit end where the match may start
    fwd: int = 64  # bytes after the hit end where the match may still run
    validate: Callable[[bytes, re.Match[bytes], bytes], bool] | None = None
    priority: int = SPECIFIC
    description: str = ""
    hs_flags: int = 0
    hs_parts: tuple[str, ...] = ()  # hyperscan patterns used instead of ``trigger`` (an alternation split up)
    vetoes: tuple[str, ...] = ()  # hyperscan patterns that, ending where the trigger ends, reject the candidate
    multiline: bool = False  # the match may span lines (PEM bodies, name/value pairs); others sit on one line
    #: per ``hs_parts`` entry, the verifying regex of that part alone and whether it may span lines: a hit
    #: is verified by the form that fired, not by the alternation of every form (empty: ``regex`` for all)
    part_regexes: tuple[tuple[re.Pattern[bytes], bool], ...] = ()


_B62_DIGITS_UPPER = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B62_DIGITS_LOWER = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def base62_encode(n: int, width: int = 6, alphabet: str = _B62_DIGITS_UPPER) -> str:
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = alphabet[r] + out
    return out.rjust(width, alphabet[0])


def crc32_token_ok(token: bytes) -> bool:
    """GitHub/npm token checksum: the last 6 chars are base62(CRC32(the 30 random chars)).

    GitHub's post on the format names base62 without pinning the digit order, so both common
    orders are accepted (a random 36-char string passes with probability ~2/62**6).
    """
    body, check = token[4:-6], token[-6:].decode("ascii", "replace")
    crc = binascii.crc32(body)
    # encoding the checksum (two divmod loops) is cheaper than decoding both ways
    return check in (base62_encode(crc, 6, _B62_DIGITS_UPPER), base62_encode(crc, 6, _B62_DIGITS_LOWER))


_SECRET_GROUPS: dict[re.Pattern[bytes], tuple[int, ...]] = {}


def secret_of(m: re.Match[bytes]) -> tuple[bytes, int, int]:
    """The secret part of a rule match and its span (the first group named ``s``, ``s2``, ...
    that took part, else the whole match)."""
    groups = _SECRET_GROUPS.get(m.re)
    if groups is None:
        index = m.re.groupindex
        groups = _SECRET_GROUPS[m.re] = tuple(index[g] for g in sorted(index, key=index.__getitem__)
                                              if g == "s" or (g[0] == "s" and g[1:].isdigit()))
    for g in groups:
        st = m.start(g)
        if st >= 0:
            return m.group(g), st, m.end(g)
    return m.group(0), m.start(), m.end()


def _secret(m: re.Match[bytes]) -> bytes:
    return secret_of(m)[0]


def _not_placeholder(_buf: bytes, m: re.Match[bytes], _s: bytes) -> bool:
    return not is_placeholder(_secret(m))


def _random_token(min_entropy: float, min_classes: int = 2) -> Callable[[bytes, re.Match[bytes], bytes], bool]:
    def check(_buf: bytes, m: re.Match[bytes], s: bytes) -> bool:
        return not is_placeholder(s) and shannon(s) >= min_entropy and char_classes(s) >= min_classes

    return check


def _github_checksum(_buf: bytes, m: re.Match[bytes], s: bytes) -> bool:
    return crc32_token_ok(s) and not is_placeholder(s[4:])


def _b64decode(s: bytes) -> bytes | None:
    s = s.replace(b"-", b"+").replace(b"_", b"/")
    try:
        return base64.b64decode(s + b"=" * (-len(s) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _jwt_ok(_buf: bytes, m: re.Match[bytes], s: bytes) -> bool:
    if s.lower() in KNOWN_EXAMPLES_B:
        return False
    parts = s.split(b".")
    if len(parts) != 3:
        return False
    head, payload = _b64decode(parts[0]), _b64decode(parts[1])
    if head is None or payload is None:
        return False
    try:
        h = json.loads(head)
        p = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(h, dict) and "alg" in h and isinstance(p, dict) and len(parts[2]) >= 16


def _docker_auth_ok(buf: bytes, m: re.Match[bytes], s: bytes) -> bool:
    raw = _b64decode(s)
    if raw is None or b":" not in raw:
        return False
    user, _, pw = raw.partition(b":")
    if not user or len(pw) < 4 or not all(32 <= c < 127 for c in raw):
        return False
    if is_placeholder(pw) or pw.lower() == user.lower():
        return False
    window = buf[max(0, m.start() - 4096) : m.start()]
    return b'"auths"' in window or b"auths" in window


def _azure_key_ok(_buf: bytes, m: re.Match[bytes], s: bytes) -> bool:
    raw = _b64decode(s)
    return raw is not None and len(raw) in (32, 64) and not is_placeholder(s) and shannon(s) > 4.5


def _url_password_ok(_buf: bytes, m: re.Match[bytes], s: bytes) -> bool:
    user = m.group("u") or b""
    pw = s
    if is_placeholder(pw) or pw.startswith((b"$", b"%", b"{", b"<", b":")):
        return False
    if pw.lower() == user.lower() or len(pw) < 4:
        return False
    return not (pw.isalpha() and pw.islower() and len(pw) < 8)


def _service_account_ok(buf: bytes, m: re.Match[bytes], s: bytes) -> bool:
    lo = max(0, m.start() - 2048)
    return b"service_account" in buf[lo : m.end() + 4096] and not is_placeholder(s)


_PEM_BODY = re.compile(rb"[A-Za-z0-9+/=]+")


_PEM_STAND_IN = re.compile(rb"(?i)example|your|redacted|placeholder|insert|replace|\.\.\.|x{4,}|\*{3,}|<|\$\{|\{\{")
_OPENSSH_MAGIC = b"b3BlbnNzaC1rZXktdjE"  # base64 of "openssh-key-v1\0", the start of every OpenSSH key body


def _private_key_ok(buf: bytes, m: re.Match[bytes], s: bytes) -> bool:
    body = m.group("body")
    # strip escaped newlines, string concatenation, quotes, whitespace and PEM headers
    body = re.sub(rb"\\[nr]|[\s\"'+,`]|Proc-Type:[^\\\n]*|DEK-Info:[^\\\n]*|Version:[^\\\n]*|Comment:[^\\\n]*", b"", body)
    if _PEM_STAND_IN.search(body[:120]):
        return False
    total = sum(len(c) for c in _PEM_BODY.findall(body))
    if total < 64:
        return False
    if body.startswith(_OPENSSH_MAGIC):
        return True  # structure verified: OpenSSH bodies hold runs of A (zero length fields), so no entropy gate
    return shannon(body[:1024]) > 4.5


# Generic assignments --------------------------------------------------------------------------

#: Values shaped like a vendor token belong to that vendor's rule: if it rejected them (bad
#: checksum, wrong length) the generic rule must not report them instead.
_VENDOR_SHAPED = re.compile(
    rb"^(?:gh[pousr]_|github_pat_|gl(?:pat|ptt|rt|dt)-|xox[a-z]-|xapp-|[sr]k_(?:live|test)_|AIza|GOCSPX-|npm_|pypi-|"
    rb"SG\.|key-|SK[0-9a-f]{8}|sk-|shp(?:at|ca|pa|ss)_|do[opr]_v1_|hv[sb]\.|sq0|A(?:KIA|SIA|BIA|CCA)|eyJ|HRKU-)"
)
_KEY_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _full_key(buf: bytes, m: re.Match[bytes]) -> tuple[bytes, int]:
    """The whole identifier the keyword sits in (``db_password`` for a match on ``password``) and
    where it starts."""
    i = m.start("k")
    lo = max(0, i - 40)
    while i > lo and buf[i - 1] in _KEY_CHARS:
        i -= 1
    return buf[i : m.end("k")], i


def _generic_ok(buf: bytes, m: re.Match[bytes], s: bytes) -> bool:
    from railguard.secrets.assign import literal_secret, name_strength, uuid_name

    quoted = m.group("s") is not None
    if not quoted:
        s = s.rstrip(b"})];,")
    raw_key, start = _full_key(buf, m)
    name = raw_key.decode("latin-1")
    strength = name_strength(name)  # cached per name: names repeat, values do not
    if not strength:
        return False
    # a name inside a value (``arn:aws:secretsmanager:...``, ``AWS::Location::APIKey``) is no key
    if start >= 2 and buf[start - 1] in b":/" and buf[start - 2] not in b" \t" and buf[max(0, start - 5) : start].lower() != b"$env:":
        return False  # (PowerShell's ``$env:NAME = ...`` is an assignment)
    if _VENDOR_SHAPED.match(s) or not literal_secret(strength, s, quoted, uuid_name(name)):
        return False
    st, en = m.start(), m.end()
    # inside a very long (minified) line: code, not configuration
    return not (len(buf) > 4000 and buf.rfind(b"\n", max(0, st - 2000), st) < 0 and buf.find(b"\n", en, en + 2000) < 0)


# --------------------------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------------------------

_B = r"(?:[^A-Za-z0-9]|\z)"  # hyperscan end boundary: one report per candidate
# optional TypeScript/Kotlin type annotation (``key: string = "..."``), then the operator
_ASSIGN_HS = r"[\"']?(?:[ \t]*:[ \t]*[A-Za-z][A-Za-z0-9_.<>\[\]]{0,30})?[ \t]{0,4}(?::=|=>|=|:|,)[ \t]{0,4}[\"']?"
_ASSIGN_RE = _ASSIGN_HS.encode()  # the same operator for the verifying regex


def _hs(p: str) -> bytes:
    return p.encode()


def _rx(p: bytes, flags: int = 0) -> re.Pattern[bytes]:
    return re.compile(p, flags)


# Environment setters: the name is a string, the value is always a literal ---------------------

_ENV_KW = r"(?i:pass|pwd|secret|token|api_?key|access_?key|private_?key|credential|auth)"
_ENV_NAME = r"[A-Za-z0-9_.\-]{0,30}" + _ENV_KW + r"[A-Za-z0-9_.\-]{0,30}"
_ENV_UPPER = r"[A-Z0-9_]{0,30}(?:PASS|PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH)[A-Z0-9_]{0,30}"
_ENV_QUOTED = r"[^\"'`\s$<{%*][^\"'`\s]{4,199}"
_ENV_BARE = r"[^\s\"'`$<{%*#;][^\s\"'`;]{5,199}"
# hyperscan's looser versions: no length bounds (Python checks them), never all lower-case letters (a
# word is no secret), and a bare value ends on a boundary so that each candidate is reported once
_ENV_QUOTED_HS = r"(?:[^\"'`\s$<{%*a-z][^\"'`\s]*|[a-z][^\"'`\s]*[^\"'`\sa-z][^\"'`\s]*)"
_ENV_BARE_HS = r"(?:[^\s\"'`$<{%*#;a-z][^\s\"'`;]*|[a-z][^\s\"'`;]*[^\s\"'`;a-z][^\s\"'`;]*)(?:[\s\"';]|\z)"


def _env_form_list(q: str, b: str, name: str = _ENV_NAME, upper: str = _ENV_UPPER) -> list[str]:
    """The ways code and config set an environment variable, each with its name and value groups."""
    return [
        # os.environ.setdefault("DB_PASSWORD", "..."), os.Setenv, putenv, System.setProperty, and a lookup's
        # default: os.environ.get("SECRET_KEY", "..."), getenv, ENV.fetch, PHP env('DB_PASSWORD', '...'), getProperty
        r"(?:setdefault|[sS]etenv|set_var|putenv|setProperty|SetEnvironmentVariable|define|get|[gG]etenv|env|fetch"
        r"|getOrDefault|getProperty|get_env)\([ \t]{0,4}[\"'](?P<k1>" + name
        + r")[\"'][ \t]{0,4},[ \t]{0,4}[\"'`](?P<s>" + q + r")[\"'`]",
        # os.environ["DB_PASSWORD"] = "...", ENV["X"] = , $_ENV['X'] =, process.env["X"] =
        r"(?:environ|ENV|env|_ENV|_SERVER)\[[ \t]{0,2}[\"'](?P<k2>" + name + r")[\"'][ \t]{0,2}\][ \t]{0,4}(?:\|\|)?=[ \t]{0,4}"
        r"[\"'`](?P<s2>" + q + r")[\"'`]",
        # Dockerfile: ENV DB_PASSWORD=... / ENV DB_PASSWORD ...
        r"^[ \t]*ENV[ \t]+(?P<k3>" + name + r")(?:[ \t]+|=)(?:[\"'](?P<s3>" + q + r")[\"']|(?P<s4>" + b + r"))",
        # .env files and shell: DB_PASSWORD=... / export DB_PASSWORD=...
        r"^[ \t]*(?:export[ \t]+)?(?P<k4>" + upper + r")=(?:[\"'](?P<s5>" + q + r")[\"']|(?P<s6>" + b + r"))",
        # Kubernetes / ECS / compose: name: DB_PASSWORD then value: ... (YAML or JSON); Postman and
        # CloudFormation parameter lists say key: ... value: ...
        r"(?i:name|key)[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?(?P<k5>" + name + r")[\"']?[ \t]{0,4},?[ \t]{0,4}\r?\n?"
        r"[ \t]{0,40}[\"']?(?i:value)[\"']?[ \t]{0,4}[:=][ \t]{0,4}(?:[\"'](?P<s7>" + q + r")[\"']|(?P<s8>" + b + r"))",
        # XML configuration (Maven settings.xml, .NET, Spring): <password>...</password>, <gpg.passphrase>
        r"<(?P<k6>" + name + r")>(?P<s13>" + q + r")</",
        # property lists (iOS Info.plist): <key>APIToken</key> then <string>...</string>
        r"<key>(?P<k7>" + name + r")</key>[ \t]{0,8}\r?\n?[ \t]{0,40}<string>(?P<s15>" + q + r")</string>",
        # .NET appSettings: <add key="ApiToken" value="..." />
        r"<add[ \t]+key=[\"'](?P<k8>" + name + r")[\"'][ \t]+value=[\"'](?P<s16>" + q + r")[\"']",
    ]


_PIPED = r"[^\s\"'`$<{%*#;|][^\s\"'`;|]{5,199}"  # a bare value piped on: ends where the pipe starts


def _cli_form_list(q: str, b: str, piped: str = _PIPED) -> list[str]:
    """Passwords on a command line: ``docker login -p``, ``redis-server --requirepass``, ``curl -u user:pass``,
    ``sshpass -p``. No name: the flag says password."""
    return [
        r"(?:(?:docker|podman|nerdctl|helm|oras|skopeo|buildah)[ \t]+(?:registry[ \t]+)?login[ \t][^\n]{0,160}[ \t]"
        r"(?:-p|--password)[ \t=]+|--requirepass[\"']?[ \t,]+|sshpass[ \t]+-p[ \t]*)"
        r"(?:[\"'](?P<s9>" + q + r")[\"']|(?P<s10>" + b + r"))",
        r"curl[ \t][^\n]{0,200}[ \t](?:-u|--user)[ \t=]+[\"']?[^\s:\"'$]{1,64}:(?:(?P<s11>" + q + r")[\"']|(?P<s12>" + b + r"))",
        # SQL: CREATE ROLE ... PASSWORD '...', CREATE USER ... IDENTIFIED BY '...'
        r"(?i:password|identified[ \t]+by)[ \t]+'(?P<s14>" + q + r")'",
        # MySQL clients take the password glued to -p: mysql -u app -p'...' / -p... / --password=...
        r"(?:mysql|mysqldump|mysqladmin|mariadb)[ \t][^\n]{0,160}[ \t](?:-p|--password=)"
        r"(?:[\"'](?P<s17>" + q + r")[\"']|(?P<s18>" + b + r"))",
        # a password piped into a registry login: echo "..." | docker login ... --password-stdin
        r"echo[ \t]+(?:-n[ \t]+)?(?:[\"'](?P<s19>" + q + r")[\"']|(?P<s20>" + piped + r"))[ \t]*\|[ \t]*"
        r"(?:docker|podman|nerdctl|helm|oras|skopeo|buildah)[ \t]+(?:registry[ \t]+)?login[ \t][^\n]{0,160}--password-stdin",
        # HTTP basic authentication in code: req.SetBasicAuth("user", "..."), HTTPBasicAuth(...), auth=("user", "...")
        r"(?:SetBasicAuth|HTTPBasicAuth|BasicAuth|basic_auth|basicAuth|withBasicAuth|auth[ \t]{0,2}=[ \t]{0,2})"
        r"\([ \t]{0,4}[\"'][^\"'\n]{1,64}[\"'][ \t]{0,4},[ \t]{0,4}[\"'](?P<s21>" + q + r")[\"']",
        # database connect calls whose third argument is the password: Perl DBI->connect(dsn, user, pw), JDBC
        # DriverManager.getConnection(url, user, pw), PHP mysqli_connect / new mysqli / new PDO
        r"(?:DBI->connect|DriverManager\.getConnection|mysqli_connect|new[ \t]+mysqli|new[ \t]+PDO)\("
        r"[ \t]{0,4}[\"'][^\"'\n]{0,200}[\"'][ \t]{0,4},[ \t]{0,4}[\"'][^\"'\n]{0,64}[\"'][ \t]{0,4},[ \t]{0,4}"
        r"[\"'](?P<s24>" + q + r")[\"']",
        # Redis configuration: requirepass ... / masterauth ...
        r"^[ \t]*(?:requirepass|masterauth)[ \t]+(?:[\"'](?P<s22>" + q + r")[\"']|(?P<s23>" + b + r"))",
    ]


def _env_forms(q: str, b: str) -> str:
    return "(?:" + "|".join((*_env_form_list(q, b), *_cli_form_list(q, b))) + ")"


_ENV_FORMS_RE = _env_forms(_ENV_QUOTED, _ENV_BARE).encode()
_ENV_FORMS_HS = re.sub(r"\?P<\w+>", "", _env_forms(_ENV_QUOTED_HS, _ENV_BARE_HS))  # hyperscan: no named groups


def _hs_only(pattern: str) -> str:
    return re.sub(r"\?P<\w+>", "", pattern)


_STAND_IN = r"(?:(?i:example|placeholder|changeme|change_me|dummy|redacted)|x{4}|X{4}|\*{3}|\.\.\.|1234567)"
_POINTER_WORDS = ("url", "uri", "name", "names", "id", "ids", "arn", "file", "path", "type", "field", "endpoint",
                  "header", "param", "ref", "env", "length", "ttl", "expiry", "expires", "version", "prefix", "label")
# a name ending in a pointer word (``token_url``, ``secretName``, ``ACCESS_KEY_ID``): it names where a secret is
# (``_url``, ``-id``; ``Url``, ``Name`` after anything; ``URL``, ``ID`` only after a lower-case letter or digit,
# since ``PASSWORDID`` is one word)
_POINTER_SUFFIX = (r"(?-i:[_.\-](?i:" + "|".join(_POINTER_WORDS) + r")|(?:"
                   + "|".join(w.capitalize() for w in _POINTER_WORDS) + r")|[a-z0-9](?:"
                   + "|".join(w.upper() for w in _POINTER_WORDS) + r"))")
_ENV_PARTS = tuple(_hs_only(f) for f in (*_env_form_list(_ENV_QUOTED_HS, _ENV_BARE_HS), *_cli_form_list(_ENV_QUOTED_HS, _ENV_BARE_HS)))
_ENV_STAND_IN_Q = r"[^\"'`\s]*" + _STAND_IN + r"[^\"'`\s]*"
_ENV_STAND_IN_B = r"[^\s\"'`;]*" + _STAND_IN + r"[^\s\"'`;]*(?:[\s\"';]|\z)"
_ENV_VETOES = tuple(
    _hs_only(f)
    for f in (
        *_env_form_list(_ENV_QUOTED_HS, _ENV_BARE_HS, _ENV_NAME + _POINTER_SUFFIX, _ENV_UPPER + _POINTER_SUFFIX),
        *_env_form_list(_ENV_STAND_IN_Q, _ENV_STAND_IN_B),
        *_cli_form_list(_ENV_STAND_IN_Q, _ENV_STAND_IN_B, r"[^\s\"'`;|]*" + _STAND_IN + r"[^\s\"'`;|]*"),
    )
)


#: each form alone, for verifying a hit of that form (the Kubernetes name/value form spans two lines)
_ENV_PART_RES = tuple(
    (re.compile(f.encode(), re.M), r"\r?\n?" in f)
    for f in (*_env_form_list(_ENV_QUOTED, _ENV_BARE), *_cli_form_list(_ENV_QUOTED, _ENV_BARE))
)


def _env_ok(_buf: bytes, m: re.Match[bytes], s: bytes) -> bool:
    from railguard.secrets.assign import literal_secret, name_strength, uuid_name

    # a command-line flag (``-p``, ``--requirepass``, ``-u user:``) has no name: it is a password
    name = next((v for k, v in m.groupdict().items() if v and k[0] == "k"), b"password")
    key = name.decode("latin-1")
    if _VENDOR_SHAPED.match(s):
        return False  # a vendor's format: its own rule decides
    return literal_secret(name_strength(key), s.rstrip(b"})];,"), True, uuid_name(key))


# Generic assignment: the pieces of its trigger, shared with its vetoes ------------------------

_G_KW = (r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_.\-]?key|access[_.\-]?key|auth[_.\-]?key|credentials?|"
         r"private[_.\-]?key|client[_.\-]?secret|signing[_.\-]?key|encryption[_.\-]?key)")
_G_NAME = r"[A-Za-z0-9_.\-]{0,30}"
# optional TypeScript/Kotlin type annotation (``key: string = "..."``), then the operator
_G_OP = r"[\"']?(?:[ \t]*:[ \t]*[A-Za-z][A-Za-z0-9_.<>\[\]]{0,30})?[ \t]{0,40}(?::=|\?=|=>|=|:)[ \t]{0,4}"
# a literal may sit in a decoding call or carry a bytes prefix: ``bytes.fromhex("...")``, ``b"..."``
_G_WRAP = r"(?:b|bytes\.fromhex\(|Buffer\.from\(|SecretStr\(|b64decode\(|unhexlify\()?"
# the value for hyperscan: never all lower-case letters (a word is no secret, ``assign`` rejects it, and
# leaving words out here spares Python thousands of candidates); lengths are checked in Python
_G_VALUE_HS = (r"(?-i:" + _G_WRAP + r"[\"'](?:[^\"'\s$<{%*a-z][^\"'\s]*|[a-z][^\"'\s]*[^\"'\sa-z][^\"'\s]*)[\"']"
               r"|(?:[^\s\"'$<{(\[,;%*:`|&!#@?.\-=>a-z][^\s\"',;]*|[a-z][^\s\"',;]*[^\s\"',;a-z][^\s\"',;]*)(?:[\s\"',;]|\z))")
# Vetoes end where the trigger ends and prove the candidate is rejected, so Python never looks at it:
# a name that points at a secret (``token_url``, ``secretName``, ``access_key_id``), or a value that is
# a documented example or stand-in (``...EXAMPLE``, ``xxxx``, ``changeme``); see ``Rule.vetoes``.
_G_VETOES = (
    "(?i)" + _G_KW + _G_NAME + _POINTER_SUFFIX + _G_OP + _G_VALUE_HS,
    "(?i)" + _G_KW + _G_NAME + _G_OP + r"(?-i:[\"'][^\"'\s]*" + _STAND_IN + r"[^\"'\s]*[\"']|[^\s\"',;]*"
    + _STAND_IN + r"[^\s\"',;]*(?:[\s\"',;]|\z))",
)


RULES: list[Rule] = [
    # AWS --------------------------------------------------------------------------------------
    Rule(
        "aws-access-key-id",
        "AWS access key ID",
        "high",
        _hs(r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}" + _B),
        _rx(rb"(?<![A-Za-z0-9])(?P<s>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})(?![A-Za-z0-9])"),
        back=24,
        fwd=2,
        validate=_not_placeholder,
        description="AWS access key ID (AKIA long-term, ASIA temporary); base32 alphabet, 20 chars.",
        vetoes=(r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{9}EXAMPLE" + _B,),  # AWS's documented examples
    ),
    Rule(
        "aws-secret-access-key",
        "AWS secret access key",
        "critical",
        _hs(
            r"(?i)(?:secret_?access_?key|aws_?secret(?:_?key)?|secretkey)"
            + _ASSIGN_HS
            + r"[A-Za-z0-9/+]{40}(?:[^A-Za-z0-9/+=]|\z)"
        ),
        _rx(
            rb"(?i)(?:secret_?access_?key|aws_?secret(?:_?key)?|secretkey)"
            + _ASSIGN_RE
            + rb"(?P<s>(?-i:[A-Za-z0-9/+]{40}))(?![A-Za-z0-9/+=])"
        ),
        back=120,
        fwd=2,
        validate=_random_token(4.0, 3),
        description="40-char AWS secret access key assigned to a secret-access-key name (pairs with "
        "an access key ID are also found by proximity).",
        vetoes=(r"(?i)(?:secret_?access_?key|aws_?secret(?:_?key)?|secretkey)" + _ASSIGN_HS
                + r"[A-Za-z0-9/+]{30}EXAMPLEKEY(?:[^A-Za-z0-9/+=]|\z)",),
    ),
    Rule(
        "aws-session-token",
        "AWS session token",
        "high",
        _hs(r"(?:FwoGZXIvYXdz|IQoJb3JpZ2lu|FQoGZXIvYXdz|IQpJb3JpZ2lu)[A-Za-z0-9/+]{60}"),
        _rx(rb"(?P<s>(?:FwoGZXIvYXdz|IQoJb3JpZ2lu|FQoGZXIvYXdz|IQpJb3JpZ2lu)[A-Za-z0-9/+]{60,2000}={0,2})"),
        back=80,
        fwd=2000,
        validate=_random_token(4.5, 3),
        description="STS session token (its base64 starts with the AWS token header).",
    ),
    # GitHub -----------------------------------------------------------------------------------
    Rule(
        "github-pat",
        "GitHub personal access token (classic)",
        "critical",
        _hs(r"ghp_[A-Za-z0-9]{36}" + _B),
        _rx(rb"(?<![A-Za-z0-9_])(?P<s>ghp_[A-Za-z0-9]{36})(?![A-Za-z0-9])"),
        back=48,
        fwd=2,
        validate=_github_checksum,
        description="ghp_ + 30 base62 chars + 6-char base62 CRC32 checksum (verified).",
    ),
    Rule(
        "github-oauth-token",
        "GitHub OAuth access token",
        "critical",
        _hs(r"gho_[A-Za-z0-9]{36}" + _B),
        _rx(rb"(?<![A-Za-z0-9_])(?P<s>gho_[A-Za-z0-9]{36})(?![A-Za-z0-9])"),
        back=48,
        fwd=2,
        validate=_github_checksum,
        description="gho_ token with CRC32 checksum.",
    ),
    Rule(
        "github-app-token",
        "GitHub App token",
        "critical",
        _hs(r"gh[us]_[A-Za-z0-9]{36}" + _B),
        _rx(rb"(?<![A-Za-z0-9_])(?P<s>gh[us]_[A-Za-z0-9]{36})(?![A-Za-z0-9])"),
        back=48,
        fwd=2,
        validate=_github_checksum,
        description="ghu_ (user-to-server) and ghs_ (server-to-server) tokens with CRC32 checksum.",
    ),
    Rule(
        "github-refresh-token",
        "GitHub refresh token",
        "high",
        _hs(r"ghr_[A-Za-z0-9]{36}" + _B),
        _rx(rb"(?<![A-Za-z0-9_])(?P<s>ghr_[A-Za-z0-9]{36})(?![A-Za-z0-9])"),
        back=48,
        fwd=2,
        validate=_github_checksum,
        description="ghr_ refresh token with CRC32 checksum.",
    ),
    Rule(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        "critical",
        _hs(r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}" + _B),
        _rx(rb"(?<![A-Za-z0-9_])(?P<s>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9])"),
        back=100,
        fwd=2,
        validate=_random_token(4.5, 3),
        description="github_pat_ + 22 + _ + 59 base62 chars.",
    ),
    # GitLab -----------------------------------------------------------------------------------
    Rule(
        "gitlab-pat",
        "GitLab personal access token",
        "critical",
        _hs(r"glpat-[A-Za-z0-9_\-]{20}"),
        _rx(rb"(?<![A-Za-z0-9_])(?P<s>glpat-[A-Za-z0-9_\-]{20,300}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,9})?)(?![A-Za-z0-9_\-])"),
        back=40,
        fwd=320,
        validate=_random_token(3.5, 2),
        description="glpat- + 20 chars (legacy) or routable token with version and CRC suffix.",
    ),
    Rule(
        "gitlab-ci-token",
        "GitLab runner, trigger or deploy token",
        "high",
        _hs(r"(?:glptt-[0-9a-f]{40}|glrt-[A-Za-z0-9_\-]{20}|gldt-[A-Za-z0-9_\-]{20})"),
        _rx(rb"(?<![A-Za-z0-9_])(?P<s>glptt-[0-9a-f]{40}|glrt-[A-Za-z0-9_\-]{20,300}|gldt-[A-Za-z0-9_\-]{20,300})(?![A-Za-z0-9_\-])"),
        back=60,
        fwd=320,
        validate=_random_token(2.8, 1),
        description="glptt- pipeline trigger, glrt- runner and gldt- deploy tokens.",
    ),
    # Slack ------------------------------------------------------------------------------------
    Rule(
        "slack-token",
        "Slack token",
        "high",
        _hs(r"xox[abposre]-[0-9]{8,13}-"),
        _rx(rb"(?<![A-Za-z0-9])(?P<s>xox[abposre]-(?:[0-9]{8,13}-){1,3}[A-Za-z0-9]{24,64})(?![A-Za-z0-9\-])"),
        back=24,
        fwd=140,
        validate=_random_token(3.5, 2),
        description="xoxb- bot, xoxp- user, xoxa/xoxo/xoxr/xoxs tokens: team and user ids then a secret.",
    ),
    Rule(
        "slack-app-token",
        "Slack app-level token",
        "high",
        _hs(r"xapp-[0-9]-[A-Z0-9]{9,11}-[0-9]{10,13}-[a-f0-9]{64}"),
        _rx(rb"(?P<s>xapp-[0-9]-[A-Z0-9]{9,11}-[0-9]{10,13}-[a-f0-9]{64})(?![A-Za-z0-9])"),
        back=110,
        fwd=2,
        validate=_random_token(3.5, 2),
    ),
    Rule(
        "slack-webhook",
        "Slack incoming webhook URL",
        "medium",
        _hs(r"hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}"),
        _rx(rb"(?P<s>hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24})(?![A-Za-z0-9])"),
        back=90,
        fwd=2,
        validate=_random_token(3.0, 2),
    ),
    # Payments and SaaS ------------------------------------------------------------------------
    Rule(
        "stripe-secret-key",
        "Stripe secret or restricted key",
        "critical",
        _hs(r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24}"),
        _rx(rb"(?<![A-Za-z0-9_])(?P<s>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,247})(?![A-Za-z0-9])"),
        back=40,
        fwd=240,
        validate=_random_token(3.5, 2),
        description="sk_live_/rk_live_ (and _test_) keys; publishable pk_ keys are not secrets.",
    ),
    Rule(
        "google-api-key",
        "Google API key",
        "high",
        _hs(r"AIza[0-9A-Za-z_\-]{35}(?:[^0-9A-Za-z_\-]|\z)"),
        _rx(rb"(?<![A-Za-z0-9_\-])(?P<s>AIza[0-9A-Za-z_\-]{35})(?![0-9A-Za-z_\-])"),
        back=48,
        fwd=2,
        validate=_random_token(3.5, 2),
    ),
    Rule(
        "gcp-service-account",
        "Google Cloud service-account key (JSON)",
        "critical",
        _hs(r"\"private_key_id\"\s{0,4}:\s{0,4}\"[0-9a-f]{40}\""),
        _rx(rb"\"private_key_id\"\s{0,4}:\s{0,4}\"(?P<s>[0-9a-f]{40})\""),
        back=100,
        fwd=2,
        validate=_service_account_ok,
        description="A service-account key file: type service_account with a private_key_id.",
    ),
    Rule(
        "gcp-oauth-client-secret",
        "Google OAuth client secret",
        "high",
        _hs(r"GOCSPX-[A-Za-z0-9_\-]{28}"),
        _rx(rb"(?P<s>GOCSPX-[A-Za-z0-9_\-]{28})(?![A-Za-z0-9_\-])"),
        back=40,
        fwd=2,
        validate=_random_token(3.5, 2),
    ),
    Rule(
        "azure-storage-connection-string",
        "Azure storage / service bus connection string key",
        "critical",
        _hs(r"(?i)(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{43}(?:=|[A-Za-z0-9+/]{43}==)"),
        _rx(rb"(?i)(?:AccountKey|SharedAccessKey)=(?P<s>(?-i:[A-Za-z0-9+/]{86}==|[A-Za-z0-9+/]{43}=))(?![A-Za-z0-9+/=])"),
        back=120,
        fwd=64,
        validate=_azure_key_ok,
        description="AccountKey=/SharedAccessKey= with a base64 key that decodes to 32 or 64 bytes.",
    ),
    Rule(
        "azure-storage-key",
        "Azure storage account key",
        "critical",
        _hs(r"(?i)(?:azure|storage|account)[A-Za-z0-9_.\-]{0,30}key" + _ASSIGN_HS + r"[A-Za-z0-9+/]{86}=="),
        _rx(rb"(?i)(?:azure|storage|account)[A-Za-z0-9_.\-]{0,30}key" + _ASSIGN_RE + rb"(?P<s>(?-i:[A-Za-z0-9+/]{86}==))"),
        back=160,
        fwd=2,
        validate=_azure_key_ok,
        priority=CONTEXTUAL,
    ),
    # Private keys -----------------------------------------------------------------------------
    *(
        Rule(
            rid,
            title,
            "critical",
            _hs(r"-----BEGIN " + header + r"-----"),
            _rx(
                rb"-----BEGIN "
                + header.encode()
                + rb"-----(?P<body>(?:[^-]|-(?!----END)){0,6000})(?:-----END|$)"
            ),
            back=len(header) + 20,
            fwd=6100,
            validate=_private_key_ok,
            multiline=True,
            description=f"PEM block '-----BEGIN {header}-----' with a real base64 body.",
        )
        for rid, title, header in (
            ("private-key-rsa", "RSA private key", "RSA PRIVATE KEY"),
            ("private-key-ec", "EC private key", "EC PRIVATE KEY"),
            ("private-key-dsa", "DSA private key", "DSA PRIVATE KEY"),
            ("private-key-openssh", "OpenSSH private key", "OPENSSH PRIVATE KEY"),
            ("private-key-pgp", "PGP private key block", "PGP PRIVATE KEY BLOCK"),
            ("private-key-pkcs8", "PKCS#8 private key", "(?:ENCRYPTED )?PRIVATE KEY"),
        )
    ),
    # Tokens with structure --------------------------------------------------------------------
    Rule(
        "jwt",
        "JSON Web Token",
        "medium",
        _hs(r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}(?:[^A-Za-z0-9_\-]|\z)"),
        _rx(rb"(?<![A-Za-z0-9_\-])(?P<s>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})(?![A-Za-z0-9_\-])"),
        back=4096,
        fwd=2,
        validate=_jwt_ok,
        description="Three base64url parts; the header decodes to JSON with an alg.",
    ),
    Rule(
        "npm-token",
        "npm access token",
        "critical",
        _hs(r"npm_[A-Za-z0-9]{36}" + _B),
        _rx(rb"(?<![A-Za-z0-9_])(?P<s>npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])"),
        back=48,
        fwd=2,
        validate=_github_checksum,
        description="npm_ + 30 base62 + CRC32 checksum (the GitHub token format).",
    ),
    Rule(
        "npmrc-auth-token",
        "npm registry auth token in .npmrc",
        "high",
        _hs(r"(?:^|/:)_auth(?:Token)?[ \t]{0,3}=[ \t]{0,3}[^\s$\"'{]{16,}(?:[\s$\"'{]|\z)"),
        _rx(rb"(?m)(?:^|/:)_auth(?:Token)?[ \t]{0,3}=[ \t]{0,3}(?P<s>[^\s$\"'{]{16,512})"),
        back=64,
        fwd=512,
        validate=_random_token(3.0, 1),
        priority=CONTEXTUAL,
        hs_flags=HS_MULTILINE,
        description=".npmrc `_authToken=`/`_auth=` at the start of a line or after a registry `//host/:`.",
    ),
    Rule(
        "pypi-token",
        "PyPI upload token",
        "critical",
        _hs(r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]{50}"),
        _rx(rb"(?P<s>pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]{50,400})(?![A-Za-z0-9_\-])"),
        back=80,
        fwd=400,
        validate=_random_token(4.0, 3),
        description="pypi- macaroon whose location decodes to pypi.org / test.pypi.org.",
    ),
    Rule(
        "docker-config-auth",
        "Docker registry credentials (config.json auths)",
        "high",
        _hs(r"\"auth\"\s{0,4}:\s{0,4}\"[A-Za-z0-9+/]{8,}={0,2}\""),
        _rx(rb"\"auth\"\s{0,4}:\s{0,4}\"(?P<s>[A-Za-z0-9+/]{8,}={0,2})\""),
        back=1024,
        fwd=2,
        validate=_docker_auth_ok,
        description="auths.<registry>.auth: base64 of user:password.",
    ),
    Rule(
        "twilio-api-key",
        "Twilio API key",
        "high",
        _hs(r"SK[0-9a-f]{32}" + _B),
        _rx(rb"(?<![A-Za-z0-9])(?P<s>SK[0-9a-f]{32})(?![A-Za-z0-9])"),
        back=40,
        fwd=2,
        validate=_random_token(2.8, 1),
    ),
    Rule(
        "twilio-auth-token",
        "Twilio auth token",
        "high",
        _hs(r"(?i)twilio[A-Za-z0-9_.\-]{0,20}(?:auth)?_?token" + _ASSIGN_HS + r"[0-9a-f]{32}" + _B),
        _rx(rb"(?i)twilio[A-Za-z0-9_.\-]{0,20}(?:auth)?_?token" + _ASSIGN_RE + rb"(?P<s>[0-9a-f]{32})(?![A-Za-z0-9])"),
        back=100,
        fwd=2,
        validate=_random_token(2.8, 1),
        priority=CONTEXTUAL,
    ),
    Rule(
        "sendgrid-api-key",
        "SendGrid API key",
        "high",
        _hs(r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"),
        _rx(rb"(?P<s>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})(?![A-Za-z0-9_\-])"),
        back=80,
        fwd=2,
        validate=_random_token(4.0, 2),
    ),
    Rule(
        "mailgun-api-key",
        "Mailgun API key",
        "high",
        _hs(r"key-[0-9a-z]{32}" + _B),
        _rx(rb"(?<![A-Za-z0-9_\-])(?P<s>key-[0-9a-z]{32})(?![A-Za-z0-9])"),
        back=40,
        fwd=2,
        validate=_random_token(3.5, 2),
    ),
    Rule(
        "mailgun-private-key",
        "Mailgun private API key",
        "high",
        _hs(r"(?i)mailgun[A-Za-z0-9_.\-]{0,30}" + _ASSIGN_HS + r"[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}"),
        _rx(rb"(?i)mailgun[A-Za-z0-9_.\-]{0,30}" + _ASSIGN_RE + rb"(?P<s>[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})"),
        back=120,
        fwd=2,
        validate=_random_token(2.8, 1),
        priority=CONTEXTUAL,
    ),
    Rule(
        "heroku-api-key",
        "Heroku API key",
        "high",
        _hs(
            r"(?:(?i)heroku[A-Za-z0-9_.\-]{0,30}"
            + _ASSIGN_HS
            + r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|HRKU-[A-Za-z0-9_\-]{60})"
        ),
        _rx(
            rb"(?:(?i:heroku[A-Za-z0-9_.\-]{0,30})"
            + _ASSIGN_RE
            + rb"(?P<s>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
            rb"|(?P<s2>HRKU-[A-Za-z0-9_\-]{60}))"
        ),
        back=120,
        fwd=2,
        validate=_not_placeholder,
        priority=CONTEXTUAL,
        description="HRKU- keys, or a UUID assigned to a heroku-named key.",
    ),
    Rule(
        "datadog-api-key",
        "Datadog API or application key",
        "high",
        _hs(r"(?i)(?:datadog|dd)[_.\-]?(?:api|app|application)[_.\-]?key" + _ASSIGN_HS + r"[0-9a-f]{32}"),
        _rx(
            rb"(?i)(?:datadog|dd)[_.\-]?(?:api|app|application)[_.\-]?key"
            + _ASSIGN_RE
            + rb"(?P<s>[0-9a-f]{40}|[0-9a-f]{32})(?![0-9a-zA-Z])"
        ),
        back=80,
        fwd=12,
        validate=_random_token(2.8, 1),
        priority=CONTEXTUAL,
    ),
    Rule(
        "openai-api-key",
        "OpenAI API key",
        "high",
        _hs(r"sk-[A-Za-z0-9_\-]{16,200}T3BlbkFJ"),
        _rx(rb"(?<![A-Za-z0-9_\-])(?P<s>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,200}T3BlbkFJ[A-Za-z0-9_\-]{16,200})(?![A-Za-z0-9_\-])"),
        back=220,
        fwd=210,
        validate=_random_token(4.0, 3),
        description="Keys carrying the base64 'OpenAI' marker T3BlbkFJ.",
    ),
    Rule(
        "anthropic-api-key",
        "Anthropic API key",
        "high",
        _hs(r"sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_\-]{93}AA"),
        _rx(rb"(?P<s>sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_\-]{93}AA)(?![A-Za-z0-9_\-])"),
        back=120,
        fwd=2,
        validate=_random_token(4.0, 3),
    ),
    Rule(
        "shopify-token",
        "Shopify access token",
        "high",
        _hs(r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _B),
        _rx(rb"(?P<s>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})(?![A-Za-z0-9])"),
        back=48,
        fwd=2,
        validate=_random_token(2.8, 1),
    ),
    Rule(
        "digitalocean-token",
        "DigitalOcean token",
        "high",
        _hs(r"do[opr]_v1_[a-f0-9]{64}" + _B),
        _rx(rb"(?P<s>do[opr]_v1_[a-f0-9]{64})(?![A-Za-z0-9])"),
        back=80,
        fwd=2,
        validate=_random_token(3.5, 1),
    ),
    Rule(
        "hashicorp-vault-token",
        "HashiCorp Vault token",
        "high",
        _hs(r"hv[sb]\.[A-Za-z0-9_\-]{90}"),
        _rx(rb"(?<![A-Za-z0-9])(?P<s>hv[sb]\.[A-Za-z0-9_\-]{90,300})(?![A-Za-z0-9_\-])"),
        back=100,
        fwd=220,
        validate=_random_token(4.0, 3),
    ),
    Rule(
        "telegram-bot-token",
        "Telegram bot token",
        "medium",
        _hs(r"[0-9]{8,10}:AA[A-Za-z0-9_\-]{33}(?:[^A-Za-z0-9_\-]|\z)"),
        _rx(rb"(?<![0-9])(?P<s>[0-9]{8,10}:AA[A-Za-z0-9_\-]{33})(?![A-Za-z0-9_\-])"),
        back=56,
        fwd=2,
        validate=_random_token(3.5, 3),
    ),
    Rule(
        "square-token",
        "Square access token or OAuth secret",
        "high",
        _hs(r"sq0(?:atp|csp)-[A-Za-z0-9_\-]{22}"),
        _rx(rb"(?P<s>sq0atp-[A-Za-z0-9_\-]{22}|sq0csp-[A-Za-z0-9_\-]{43})(?![A-Za-z0-9_\-])"),
        back=40,
        fwd=30,
        validate=_random_token(3.5, 2),
    ),
    # URLs with credentials --------------------------------------------------------------------
    Rule(
        "database-url-password",
        "Database URL with a password",
        "high",
        _hs(
            r"(?i)(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|oracle|"
            r"cockroachdb|clickhouse|couchdb|neo4j)(?:\+[a-z0-9]+)?://[^\s:@/\"']{0,64}:[^\s@/\"']{3,128}@"
        ),
        _rx(
            rb"(?i)(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|oracle|"
            rb"cockroachdb|clickhouse|couchdb|neo4j)(?:\+[a-z0-9]+)?://(?P<u>[^\s:@/\"']{0,64}):(?P<s>[^\s@/\"']{3,128})@"
            rb"[A-Za-z0-9_.\-\[\]]+"
        ),
        back=240,
        fwd=256,
        validate=_url_password_ok,
        description="scheme://user:password@host for database and broker schemes.",
        # a stand-in password (``postgres:postgres@``, ``:${DB_PASSWORD}@``) never needs Python
        vetoes=(r"(?i)(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|oracle|"
                r"cockroachdb|clickhouse|couchdb|neo4j)(?:\+[a-z0-9]+)?://[^\s:@/\"']{0,64}:"
                r"(?:postgres|root|admin|guest|password|pass|test|secret|changeme|example|default|dummy|[$%{<:][^\s@/\"']{2,127})@",),
    ),
    Rule(
        "basic-auth-url",
        "URL with embedded credentials",
        "medium",
        _hs(r"(?i)(?:https?|ftps?|git|ssh|ldaps?)://[^\s:@/\"'<>]{1,64}:[^\s@/\"'<>]{3,128}@"),
        _rx(
            rb"(?i)(?:https?|ftps?|git|ssh|ldaps?)://(?P<u>[^\s:@/\"'<>]{1,64}):(?P<s>[^\s@/\"'<>]{3,128})@"
            rb"[A-Za-z0-9_.\-]+"
        ),
        back=220,
        fwd=256,
        validate=_url_password_ok,
        priority=CONTEXTUAL,
    ),
    # Environment setters ----------------------------------------------------------------------
    Rule(
        "env-secret",
        "Password or secret set in the environment or configuration",
        "high",
        _hs(_ENV_FORMS_HS),
        _rx(_ENV_FORMS_RE, re.M),
        back=420,
        fwd=2,
        validate=_env_ok,
        priority=SETTER,
        hs_parts=_ENV_PARTS,
        part_regexes=_ENV_PART_RES,
        vetoes=_ENV_VETOES,
        multiline=True,  # a Kubernetes entry puts the name on the line above the value
        hs_flags=HS_MULTILINE,
        description="os.environ[...] = / setdefault / setenv / putenv, Dockerfile ENV, .env and export "
        "lines, Kubernetes and ECS name/value env entries and XML elements, where the name says password or "
        "secret; passwords on command lines (docker login -p, --requirepass, curl -u) and in SQL (PASSWORD '...').",
    ),
    # Generic ----------------------------------------------------------------------------------
    Rule(
        "generic-secret-assignment",
        "Hard-coded password or secret",
        "medium",
        _hs("(?i)" + _G_KW + _G_NAME + _G_OP + _G_VALUE_HS),
        _rx(
            rb"(?i)(?=[pstacePSTACE])(?P<k>" + _G_KW.encode() + _G_NAME.encode() + rb")" + _G_OP.encode()
            + rb"(?:(?-i:" + _G_WRAP.encode() + rb")[\"'](?P<s>[^\"'\s]{6,200})[\"']|(?P<s2>[^\s\"'$<{(\[,;%*:`|&!#@?.\-=>][^\s\"',;]{7,200}))"
        ),
        back=260,
        fwd=2,
        validate=_generic_ok,
        priority=GENERIC,
        description="password/secret/token/api_key = '...' with an entropy and context gate.",
        vetoes=_G_VETOES,
    ),
]

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}

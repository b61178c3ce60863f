"""Benchmark `railguard secrets scan` against detect-secrets and git-secrets.

    .venv/bin/python benchmarks/secrets_scan.py                 # 5 MB and 50 MB corpora + history
    .venv/bin/python benchmarks/secrets_scan.py --sizes 5 --no-history --no-peers

What it does (everything under benchmarks/.work/, which is git-ignored):

1. Generates a deterministic (seeded) labeled corpus: source and config files in many languages
   (Python, JS/TS, Go, Java, C#, Ruby, shell, YAML, JSON, Terraform, .env, .properties, XML,
   Markdown) plus lock files (package-lock.json, poetry.lock, go.sum, yarn.lock) whose hashes are
   the classic false-positive trap. Planted secrets of every rule type are recorded with their
   file and line span; realistic decoys (UUIDs, commit SHAs, lock hashes, AWS's documented
   example keys, `changeme`, `${VAR}`, `<your-key>`, public keys and certificates, tokens with a
   bad checksum, data URIs) are not secrets.
2. Installs detect-secrets into its own venv (benchmarks/.work/detect-secrets-venv) and uses
   Debian's git-secrets (`apt-get install git-secrets`) when available.
3. Runs each tool as a separate process, measuring wall time, MB/s and peak RSS (wait4), and
   scores findings by location: a finding is a true positive when it lands on a planted
   secret's lines; recall is per planted secret, precision per distinct (file, line) finding.
4. History: a 500-commit repository over the corpus in which secrets are added and later deleted
   (so they exist only in history); `railguard secrets scan --history` vs `git secrets --scan-history`.

Secrets are synthetic (railguard.secrets.samples); nothing here prints a secret value.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import string
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from railguard.secrets.rules import RULES  # noqa: E402
from railguard.secrets.samples import Sample, sample  # noqa: E402

RULE_IDS = [r.id for r in RULES]
# rules whose secret only makes sense next to a telling name: never rendered in XML or Markdown
NEEDS_KEY = {
    "aws-secret-access-key", "twilio-auth-token", "datadog-api-key", "heroku-api-key", "mailgun-private-key",
    "azure-storage-key", "generic-secret-assignment",
}


@dataclass(frozen=True)
class Planted:
    path: str
    first: int
    last: int
    type: str
    history_only: bool = False


# --------------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------------

WORDS = ["user", "account", "order", "invoice", "payment", "item", "cart", "session", "cache", "queue", "event", "metric", "report", "config", "client", "server", "request", "response", "handler", "service", "worker", "job", "task", "batch", "record", "entry", "index", "table", "column", "value", "result", "status", "error", "retry", "timeout", "limit", "offset", "page", "region", "bucket", "stream", "topic", "message", "payload"]


def ident(r: random.Random, style: str = "snake") -> str:
    w = [r.choice(WORDS) for _ in range(r.randint(1, 3))]
    if style == "camel":
        return w[0] + "".join(x.capitalize() for x in w[1:])
    if style == "upper":
        return "_".join(w).upper()
    return "_".join(w)


def keyname(key: str, style: str) -> str:
    parts = key.replace("-", "_").lower().split("_")
    if style == "camel":
        return parts[0] + "".join(p.capitalize() for p in parts[1:])
    if style == "upper":
        return "_".join(parts).upper()
    return "_".join(parts)


LANGS = {
    # ext: (key style, assignment template, filler generator name)
    "py": ("snake", '{k} = "{v}"'),
    "js": ("camel", 'const {k} = "{v}";'),
    "ts": ("camel", 'export const {k}: string = "{v}";'),
    "go": ("camel", '\t{k} := "{v}"'),
    "java": ("camel", '    private static final String {k} = "{v}";'),
    "cs": ("camel", '        var {k} = "{v}";'),
    "rb": ("snake", "{k} = '{v}'"),
    "sh": ("upper", 'export {k}="{v}"'),
    "yaml": ("snake", "  {k}: {v}"),
    "json": ("camel", '  "{k}": "{v}",'),
    "tf": ("snake", '  {k} = "{v}"'),
    "env": ("upper", "{k}={v}"),
    "properties": ("snake", "{k}={v}"),
    "xml": ("camel", '  <entry name="{k}">{v}</entry>'),
    "md": ("upper", "    {k}={v}"),
}


def filler_line(r: random.Random, ext: str) -> str:
    a, b, c = ident(r), ident(r, "camel"), ident(r, "upper")
    n = r.randint(0, 10**6)
    t = r.random()
    if ext == "py":
        opts = [f"def {a}(self, {b}: int = {n % 100}) -> dict:", f"    return {{'{a}': {b}, 'count': {n}}}",
                f"# {a.replace('_', ' ')} is cached for {n % 60} seconds", f"{c} = {n}",
                f"    if {a} is None:\n        raise ValueError('missing {a}')", f"logger.info('{a} %s', {b})"]
    elif ext in ("js", "ts"):
        opts = [f"function {b}({a}) {{", f"  return fetch(`/api/{a}/${{{b}}}`);", "}",
                f"// {a.replace('_', ' ')}", f"const {b} = {n};", f"export default {{ {b}, limit: {n % 500} }};"]
    elif ext == "go":
        opts = [f"func {b.capitalize()}(ctx context.Context) error {{", f"\tif err := {b}(ctx); err != nil {{",
                "\t\treturn err", "\t}", f"\t// {a.replace('_', ' ')}", f"\t{b} := {n}"]
    elif ext in ("java", "cs"):
        opts = [f"    public int {b}() {{ return {n}; }}", f"    // {a.replace('_', ' ')}",
                f"    private final List<String> {b} = new ArrayList<>();", "    }"]
    elif ext in ("yaml",):
        opts = [f"  {a}: {n}", f"  {a}_enabled: true", f"  # {a.replace('_', ' ')}", f"- name: {a}", f"  image: registry/{a}:1.{n % 20}"]
    elif ext == "json":
        opts = [f'  "{b}": {n},', f'  "{b}Name": "{a}",', f'  "{b}Enabled": false,']
    elif ext == "tf":
        opts = [f'resource "aws_s3_bucket" "{a}" {{', f'  bucket = "{a.replace("_", "-")}-{n}"', "}", f"  # {a}"]
    elif ext in ("env", "properties", "sh"):
        opts = [f"{c}={n}", f"# {a.replace('_', ' ')}", f"{c}_ENABLED=true", f"{c}_HOST={a.replace('_', '-')}.internal"]
    elif ext == "xml":
        opts = [f'  <entry name="{b}">{n}</entry>', f"  <!-- {a} -->", f"  <{b}>{a}</{b}>"]
    elif ext == "rb":
        opts = [f"def {a}", f"  @{a} ||= {n}", "end", f"# {a.replace('_', ' ')}"]
    else:
        opts = [f"The {a.replace('_', ' ')} is described in section {n % 40}.", f"## {a.replace('_', ' ').title()}", "", f"- {b}: {n}"]
    return opts[int(t * len(opts))]


def decoy_lines(r: random.Random, ext: str) -> list[str]:
    style, tmpl = LANGS[ext]
    u = str(uuid.UUID(int=r.getrandbits(128)))
    sha = "".join(r.choice("0123456789abcdef") for _ in range(40))
    b64 = base64.b64encode(r.randbytes(48)).decode()
    bad_gh = "ghp_" + "".join(r.choice(string.ascii_letters + string.digits) for _ in range(36))
    choices = [
        tmpl.format(k=keyname("request_id", style), v=u),
        tmpl.format(k=keyname("commit_sha", style), v=sha),
        tmpl.format(k=keyname("aws_access_key_id", style), v="AKIAIOSFODNN7" + "EXAMPLE"),
        tmpl.format(k=keyname("aws_secret_access_key", style), v="wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"),
        tmpl.format(k=keyname("password", style), v="changeme"),
        tmpl.format(k=keyname("db_password", style), v="${DB_PASSWORD}"),
        tmpl.format(k=keyname("api_key", style), v="<your-api-key>"),
        tmpl.format(k=keyname("auth_token", style), v="xxxxxxxxxxxxxxxxxxxx"),
        tmpl.format(k=keyname("secret_name", style), v=f"prod/{ident(r)}/credentials"),
        tmpl.format(k=keyname("token_url", style), v="https://auth.internal/oauth2/token"),
        tmpl.format(k=keyname("checksum", style), v=base64.b64encode(r.randbytes(64)).decode()),
        tmpl.format(k=keyname("nonce", style), v=b64),
        tmpl.format(k=keyname("example_token", style), v=bad_gh),
        tmpl.format(k=keyname("database_url", style), v="postgres://postgres:postgres@localhost:5432/dev"),
        tmpl.format(k=keyname("etag", style), v="".join(r.choice("0123456789abcdef") for _ in range(32))),
        tmpl.format(k=keyname("image", style), v="data:image/png;base64," + base64.b64encode(r.randbytes(120)).decode()),
    ]
    return [r.choice(choices)]


def pem_decoy(r: random.Random) -> str:
    kind = r.choice(["PUBLIC KEY", "CERTIFICATE"])
    b64 = base64.b64encode(r.randbytes(600)).decode()
    return "\n".join([f"-----BEGIN {kind}-----", *[b64[i : i + 64] for i in range(0, len(b64), 64)], f"-----END {kind}-----"])


def lockfile(r: random.Random, kind: str, n: int) -> str:
    out = []
    if kind == "package-lock.json":
        out.append('{\n  "name": "app",\n  "lockfileVersion": 3,\n  "packages": {')
        for _ in range(n):
            name = ident(r).replace("_", "-")
            ver = f"{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 9)}"
            integ = base64.b64encode(r.randbytes(64)).decode()
            out.append(f'    "node_modules/{name}": {{\n      "version": "{ver}",\n      "resolved": '
                       f'"https://registry.npmjs.org/{name}/-/{name}-{ver}.tgz",\n      "integrity": "sha512-{integ}"\n    }},')
        out.append("  }\n}")
    elif kind == "poetry.lock":
        for _ in range(n):
            name = ident(r).replace("_", "-")
            h1, h2 = (r.randbytes(32).hex() for _ in range(2))
            out.append(f'[[package]]\nname = "{name}"\nversion = "1.{r.randint(0, 40)}.0"\nfiles = [\n'
                       f'    {{file = "{name}-1.0.tar.gz", hash = "sha256:{h1}"}},\n    {{file = "{name}-1.0-py3-none-any.whl", hash = "sha256:{h2}"}},\n]\n')
    elif kind == "go.sum":
        for _ in range(n):
            mod = f"github.com/{ident(r)}/{ident(r)}".replace("_", "")
            out.append(f"{mod} v1.{r.randint(0, 20)}.0 h1:{base64.b64encode(r.randbytes(32)).decode()}")
            out.append(f"{mod} v1.{r.randint(0, 20)}.0/go.mod h1:{base64.b64encode(r.randbytes(32)).decode()}")
    else:  # yarn.lock
        for _ in range(n):
            name = ident(r).replace("_", "-")
            out.append(f'"{name}@^1.0.0":\n  version "1.{r.randint(0, 9)}.0"\n  resolved "https://registry.yarnpkg.com/{name}/-/{name}-1.0.0.tgz#{r.randbytes(20).hex()}"\n'
                       f'  integrity sha512-{base64.b64encode(r.randbytes(64)).decode()}\n')
    return "\n".join(out) + "\n"


def render(s: Sample, ext: str) -> str:
    """One planted secret in the syntax of ``ext`` (block secrets as a string literal or as is)."""
    style, tmpl = LANGS[ext]
    if s.block:
        if s.rule_id in ("private-key-rsa", "private-key-ec", "private-key-dsa", "private-key-openssh",
                         "private-key-pgp", "private-key-pkcs8"):
            if ext == "py":
                return f'{keyname("private_key", style)} = """{s.value}"""'
            if ext == "yaml":
                return "  private_key: |\n" + "\n".join("    " + ln for ln in s.value.splitlines())
            return s.value.rstrip("\n")
        return s.value.rstrip("\n")
    key = keyname(s.key or "value", style)
    return tmpl.format(k=key, v=s.value)


def block_file_ext(s: Sample, r: random.Random) -> str:
    if s.rule_id in ("gcp-service-account", "docker-config-auth"):
        return "json"
    if s.rule_id == "npmrc-auth-token":
        return "npmrc"
    return r.choice(["py", "yaml", "pem"])


def generate_corpus(dest: Path, size_mb: int, seed: int) -> list[Planted]:
    """Write the corpus into ``dest``; return the planted secrets (ground truth)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    r = random.Random(seed)
    target = size_mb * 1_000_000
    per_type = max(3, size_mb * 30 // 50)  # 30 of each type in 50 MB
    todo = [rid for rid in RULE_IDS for _ in range(per_type)]
    r.shuffle(todo)
    planted: list[Planted] = []
    used: set[str] = set()

    def uniq(path: str) -> str:
        n = 1
        base = path
        while path in used:
            n += 1
            stem, dot, ext = base.rpartition(".")
            path = f"{stem}{n}.{ext}" if dot and "/" not in ext else f"{base}{n}"
        used.add(path)
        return path

    written = 0
    n_files = 0
    exts = list(LANGS)
    while written < target or todo:
        n_files += 1
        kind = r.random()
        folder = f"{r.choice(['services', 'libs', 'infra', 'tools', 'web', 'docs', 'config'])}/{ident(r).replace('_', '-')}"
        if kind < 0.04:
            lk = r.choice(["package-lock.json", "poetry.lock", "go.sum", "yarn.lock"])
            text = lockfile(r, lk, r.randint(50, 600))
            path = uniq(f"{folder}/{lk}")
        else:
            s_block = None
            if todo and r.random() < 0.08:
                cand = sample(todo[-1], r)
                if cand.block and cand.rule_id not in ("private-key-rsa", "private-key-ec", "private-key-dsa",
                                                       "private-key-openssh", "private-key-pgp", "private-key-pkcs8"):
                    s_block = cand
                    todo.pop()
            if s_block is not None:
                ext = block_file_ext(s_block, r)
                path = uniq(f"{folder}/{s_block.filename}")
                text = s_block.value if s_block.value.endswith("\n") else s_block.value + "\n"
                planted.append(Planted(path, 1, text.count("\n"), s_block.rule_id))
            else:
                ext = r.choice(exts)
                path = uniq(f"{folder}/{ident(r)}.{ext}")
                lines: list[str] = []
                n_lines = r.randint(40, 900)
                secrets_here = 0
                for _ in range(n_lines):
                    x = r.random()
                    if x < 0.02:
                        lines.extend(decoy_lines(r, ext))
                    elif x < 0.0215 and ext in ("py", "md", "yaml"):
                        lines.append(pem_decoy(r) if ext != "py" else f'CA_CERT = """{pem_decoy(r)}"""')
                    elif x < 0.025 and todo and secrets_here < 6:
                        rid = todo[-1]
                        s = sample(rid, r)
                        if s.block and rid in ("gcp-service-account", "docker-config-auth", "npmrc-auth-token"):
                            continue
                        if ext in ("xml", "md") and rid in NEEDS_KEY:
                            continue
                        todo.pop()
                        secrets_here += 1
                        txt = render(s, ext)
                        first = sum(ln.count("\n") + 1 for ln in lines) + 1
                        lines.append(txt)
                        planted.append(Planted(path, first, first + txt.count("\n"), rid))
                    else:
                        lines.append(filler_line(r, ext))
                text = "\n".join(lines) + "\n"
        p = dest / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        written += len(text.encode())
    return planted


# --------------------------------------------------------------------------------------------
# Running tools
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    tool: str
    wall: float
    rss_mb: float
    cpu: float
    findings: set[tuple[str, int]]
    by_rule: dict[str, set[tuple[str, int]]]
    note: str = ""


def timed(cmd: list[str], cwd: Path, stdout_path: Path, merge_stderr: bool = False) -> tuple[float, float, int, float]:
    """Run ``cmd`` with stdout to a file: wall time, peak RSS of its process tree (wait4), exit
    code and CPU seconds (user + system, children included: steadier than wall on a busy host)."""
    t0 = time.perf_counter()
    with open(stdout_path, "wb") as out:
        err = subprocess.STDOUT if merge_stderr else subprocess.DEVNULL
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_maxrss / 1024, p.returncode, ru.ru_utime + ru.ru_stime


def run_railguard(corpus: Path, extra: list[str], label: str = "railguard") -> Run:
    out = WORK / f"{label}.json"
    cmd = [str(ROOT / ".venv" / "bin" / "railguard"), "secrets", "scan", *extra, "--format", "json", "--no-baseline"]
    if not extra:
        cmd.insert(3, ".")
    wall, rss, rc, cpu = timed(cmd, corpus, out)
    if rc not in (0, 1):
        raise SystemExit(f"railguard failed ({rc})")
    doc = json.loads(out.read_text())
    found: set[tuple[str, int]] = set()
    by_rule: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for f in doc["findings"]:
        found.add((f["path"], f["line"]))
        by_rule[f["rule_id"]].add((f["path"], f["line"]))
    return Run(label, wall, rss, cpu, found, by_rule)


def median_run(runs: list[Run]) -> Run:
    """The run with the median wall time: the host may be shared, one slow run is noise."""
    return sorted(runs, key=lambda r: r.wall)[len(runs) // 2]


def ensure_detect_secrets() -> Path | None:
    venv = WORK / "detect-secrets-venv"
    exe = venv / "bin" / "detect-secrets"
    if not exe.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "detect-secrets"], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"detect-secrets could not be installed: {exc}")
            return None
    return exe


def run_detect_secrets(exe: Path, corpus: Path) -> Run:
    out = WORK / "detect-secrets.json"
    wall, rss, _rc, cpu = timed([str(exe), "scan", "--all-files", "."], corpus, out)
    doc = json.loads(out.read_text())
    found: set[tuple[str, int]] = set()
    for path, items in doc.get("results", {}).items():
        if path.startswith(".git/"):
            continue  # --all-files reads git's own files (git-secrets writes its patterns into .git/config)
        for it in items:
            found.add((path, int(it["line_number"])))
    return Run("detect-secrets", wall, rss, cpu, found, {})


def ensure_git_secrets() -> bool:
    if shutil.which("git-secrets"):
        return True
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "git-secrets"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        print("git-secrets could not be installed (apt-get install git-secrets failed)")
        return False
    return shutil.which("git-secrets") is not None


def _parse_git_grep(text: bytes, history: bool) -> set[tuple[str, int]]:
    """git-secrets prints path:line:content (history: rev:path:line:content). Keep location only."""
    found = set()
    for raw in text.split(b"\n"):
        parts = raw.split(b":", 3 if history else 2)
        try:
            if history:
                found.add((parts[1].decode(), int(parts[2])))
            else:
                found.add((parts[0].decode(), int(parts[1])))
        except (IndexError, ValueError):
            continue
    return found


def git_init(corpus: Path) -> None:
    if (corpus / ".git").exists():
        return
    env = {**os.environ, "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}
    for cmd in (["init", "-q", "-b", "main"], ["config", "user.email", "bench@example.org"], ["config", "user.name", "bench"],
                ["config", "commit.gpgsign", "false"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "corpus"]):
        subprocess.run(["git", *cmd], cwd=corpus, check=True, capture_output=True, env=env)
    subprocess.run(["git", "secrets", "--register-aws"], cwd=corpus, capture_output=True)


def run_git_secrets(corpus: Path) -> Run:
    git_init(corpus)
    out = WORK / "git-secrets.txt"
    wall, rss, _rc, cpu = timed(["git", "secrets", "--scan", "-r", "."], corpus, out, merge_stderr=True)
    found = _parse_git_grep(out.read_bytes(), False)
    found = {(p[2:] if p.startswith("./") else p, ln) for p, ln in found}
    out.unlink()
    return Run("git-secrets", wall, rss, cpu, found, {})


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


def score(run: Run, planted: list[Planted]) -> dict[str, object]:
    index: dict[str, list[Planted]] = defaultdict(list)
    for p in planted:
        index[p.path].append(p)

    def hit(loc: tuple[str, int]) -> Planted | None:
        for p in index.get(loc[0], ()):
            if p.first <= loc[1] <= p.last:
                return p
        return None

    hits = {loc: hit(loc) for loc in run.findings}
    recalled = {h for h in hits.values() if h is not None}
    tp = sum(1 for h in hits.values() if h is not None)
    per_type: dict[str, dict[str, float]] = {}
    for rid in RULE_IDS:
        total = [p for p in planted if p.type == rid]
        got = [p for p in total if p in recalled]
        row: dict[str, float] = {"planted": len(total), "recall": len(got) / len(total) if total else 1.0}
        if run.by_rule:
            mine = run.by_rule.get(rid, set())
            row["findings"] = len(mine)
            row["precision"] = (sum(1 for loc in mine if hits.get(loc) is not None) / len(mine)) if mine else 1.0
        per_type[rid] = row
    return {
        "recall": len(recalled) / len(planted) if planted else 1.0,
        "precision": tp / len(run.findings) if run.findings else 1.0,
        "findings": len(run.findings),
        "per_type": per_type,
        "false_positives": sorted(loc for loc, h in hits.items() if h is None)[:20],
    }


def corpus_bytes(corpus: Path) -> int:
    return sum(f.stat().st_size for f in corpus.rglob("*") if f.is_file() and ".git" not in f.parts)


# --------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------


def build_history(
    corpus: Path, planted: list[Planted], commits: int, seed: int, aws_share: float = 0.36
) -> tuple[Path, list[Planted]]:
    """A repository whose first commit is the corpus, then ``commits - 1`` commits that edit files;
    some add a secret and a later commit deletes it again (history-only secrets).

    `aws_share` of the history secrets are AWS credentials (the most common leak), the rest
    spread over every other type: 0.36 matches the issue's reference history, in which
    git-secrets (AWS patterns only) found 24 of 67 history-only secrets."""
    repo = WORK / f"history-{corpus.name}"
    if repo.exists():
        shutil.rmtree(repo)
    shutil.copytree(corpus, repo, ignore=shutil.ignore_patterns(".git"))
    r = random.Random(seed)
    env = {**os.environ}
    git = ["git", "-C", str(repo)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    for kv in (("user.email", "bench@example.org"), ("user.name", "bench"), ("commit.gpgsign", "false")):
        subprocess.run([*git, "config", *kv], check=True)
    subprocess.run(["git", "secrets", "--register-aws"], cwd=repo, capture_output=True)
    files = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*.py"))
    files += sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*.env"))
    files += sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*.yaml"))

    def commit(n: int, msg: str) -> None:
        e = {**env, "GIT_AUTHOR_DATE": f"2024-01-01T00:00:00Z +{n}", "GIT_COMMITTER_DATE": f"{1704067200 + n * 3600} +0000"}
        subprocess.run([*git, "add", "-A"], check=True, env=e)
        subprocess.run([*git, "commit", "-q", "--no-verify", "--allow-empty", "-m", msg], check=True, env=e)

    commit(0, "import corpus")
    live: list[tuple[Planted, str, int]] = []  # secrets added in history (and the commit), not yet deleted
    protected = {(p.path, ln) for p in planted for ln in range(p.first, p.last + 1)}
    history_only: list[Planted] = []
    rules_for_history = [rid for rid in RULE_IDS if rid not in ("gcp-service-account", "docker-config-auth", "npmrc-auth-token")]
    for n in range(1, commits):
        for _ in range(r.randint(1, 3)):  # ordinary edits: change a line in place, or append
            f = repo / r.choice(files)
            lines = f.read_text().split("\n")
            ext = f.suffix.lstrip(".")
            i = r.randrange(len(lines))
            rel = f.relative_to(repo).as_posix()
            if r.random() < 0.5 and (rel, i + 1) not in protected:
                lines[i] = filler_line(r, ext if ext in LANGS else "py")
            else:
                lines.insert(len(lines) - 1, filler_line(r, ext if ext in LANGS else "py"))
            f.write_text("\n".join(lines))
        if n < commits - 40 and r.random() < 0.14:  # add a secret that will be deleted later
            rel = r.choice(files)
            f = repo / rel
            ext = f.suffix.lstrip(".")
            aws = [rid for rid in rules_for_history if rid.startswith("aws-")]
            pool = aws if r.random() < aws_share else [x for x in rules_for_history if x not in aws]
            s = sample(r.choice(pool), r)
            txt = render(s, ext if ext in LANGS else "py")
            lines = f.read_text().split("\n")
            first = len(lines)  # appended before the final empty element -> this line number
            lines.insert(len(lines) - 1, txt)
            f.write_text("\n".join(lines))
            live.append((Planted(rel, first, first + txt.count("\n"), s.rule_id, True), txt, n))
            protected.update((rel, ln) for ln in range(first, first + txt.count("\n") + 1))
        earlier = [k for k, (_, _, added) in enumerate(live) if added < n]
        if earlier and r.random() < 0.15:  # delete a secret committed earlier (lines blanked in place)
            p, txt, _ = live.pop(r.choice(earlier))
            f = repo / p.path
            lines = f.read_text().split("\n")
            for k in range(p.first - 1, p.last):
                lines[k] = ""
            f.write_text("\n".join(lines))
            history_only.append(p)
        commit(n, f"change {n}")
    return repo, history_only


def score_history(found: set[tuple[str, int]], history_only: list[Planted]) -> tuple[int, int]:
    got = sum(1 for p in history_only if any((p.path, ln) in found for ln in range(p.first, p.last + 1)))
    return got, len(history_only)


# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# The independent corpus and one-core throughput
# --------------------------------------------------------------------------------------------

_ONE_CORE = """
import sys, time
from pathlib import Path
from railguard.secrets.engine import Engine
from railguard.secrets.scanner import SecretScanner
root = Path(sys.argv[1])
engine = Engine.shared()
best_cpu = best_wall = 1e9
for _ in range(int(sys.argv[2])):
    sc = SecretScanner(engine)
    w, c = time.perf_counter(), time.thread_time()
    res = sc.scan_paths([root], root, jobs=1)
    best_cpu, best_wall = min(best_cpu, time.thread_time() - c), min(best_wall, time.perf_counter() - w)
print(res.stats.bytes, best_cpu, best_wall, len(res.findings))
"""


def one_core_throughput(corpus: Path, repeat: int) -> dict[str, float]:
    """The scan itself on one core, in one process (reading every file, hyperscan, verification and
    redaction; not the interpreter's start-up): the best of ``repeat`` runs, by the thread's CPU time
    and by wall time. Best-of, because on a shared host a run can only be slowed down, never sped up."""
    out = subprocess.run([sys.executable, "-c", _ONE_CORE, str(corpus), str(repeat)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split()
    nbytes, cpu, wall, findings = int(out[0]), float(out[1]), float(out[2]), int(out[3])
    return {"bytes": nbytes, "cpu": cpu, "wall": wall, "mb_s_cpu": nbytes / 1e6 / cpu, "mb_s_wall": nbytes / 1e6 / wall,
            "findings": findings}


def run_independent(ds: Path | None) -> dict[str, object]:
    """Both sets of the independent corpus: railguard and detect-secrets against the hand labels."""
    import secrets_independent as ind

    out: dict[str, object] = {}
    for which in ind.SETS:
        corpus = WORK / f"secrets-independent-{which}"
        labels = ind.build(corpus, which)
        git_init(corpus)  # its own work tree: paths are reported relative to it
        truth = [Planted(lb.path, lb.first, lb.last, lb.kind) for lb in labels]
        runs = [run_railguard(corpus, [], f"railguard-independent-{which}")]
        if ds is not None:
            runs.append(run_detect_secrets(ds, corpus))
        print(f"\n## independent corpus, {which}: {len(truth)} secrets of {len({t.type for t in truth})} kinds in "
              f"{sum(1 for f in corpus.rglob('*') if f.is_file() and '.git' not in f.parts)} files")
        print(fmt_row(["tool", "findings", "recall", "precision", "missed (kind file:line)", "false positives"]))
        print(fmt_row(["---"] * 6))
        res = {}
        for run in runs:
            sc = score(run, truth)
            found = {t for t in truth if any((t.path, ln) in run.findings for ln in range(t.first, t.last + 1))}
            missed = [f"{t.type} {t.path}:{t.first}" for t in truth if t not in found]
            print(fmt_row([run.tool, sc["findings"], f"{sc['recall']:.3f}", f"{sc['precision']:.3f}",
                           ", ".join(missed[:12]) + (" ..." if len(missed) > 12 else ""),
                           ", ".join(f"{p}:{ln}" for p, ln in sc["false_positives"][:8])]))  # type: ignore[index]
            res[run.tool] = {"recall": sc["recall"], "precision": sc["precision"], "findings": sc["findings"],
                             "missed": missed, "false_positives": sc["false_positives"]}
        out[which] = res
    return out


def fmt_row(cells: list[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="5,50", help="corpus sizes in MB (comma-separated)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-peers", action="store_true", help="railguard only")
    ap.add_argument("--no-history", action="store_true")
    ap.add_argument("--commits", type=int, default=500)
    ap.add_argument("--history-aws-share", type=float, default=0.36,
                    help="share of history-only secrets that are AWS credentials (0.36: the issue's reference)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of railguard and git-secrets (median reported)")
    ap.add_argument("--detect-secrets-max-mb", type=int, default=50, help="skip detect-secrets above this size")
    ap.add_argument("--no-independent", action="store_true", help="skip the independent corpus")
    ap.add_argument("--one-core-repeat", type=int, default=5, help="runs of the one-core throughput measure (best reported)")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    ds = None if args.no_peers else ensure_detect_secrets()
    gs = False if args.no_peers else ensure_git_secrets()
    report: dict[str, object] = {}
    sizes = [int(x) for x in args.sizes.split(",") if x]  # --sizes "": only the independent corpus
    planted_by_size: dict[int, list[Planted]] = {}
    for size in sizes:
        corpus = WORK / f"corpus-{size}mb"
        t0 = time.perf_counter()
        planted = generate_corpus(corpus, size, args.seed + size)
        planted_by_size[size] = planted
        nbytes = corpus_bytes(corpus)
        print(f"\n## {size} MB corpus: {nbytes / 1e6:.1f} MB, {sum(1 for _ in corpus.rglob('*') if _.is_file())} files, "
              f"{len(planted)} planted secrets of {len({p.type for p in planted})} types (generated in {time.perf_counter() - t0:.1f}s)")
        runs = []
        if gs:
            runs.append(run_git_secrets(corpus))  # also makes the corpus a git work tree
        git_init(corpus)
        runs.insert(0, median_run([run_railguard(corpus, []) for _ in range(args.repeat)]))
        if gs:
            runs[1] = median_run([runs[1], *(run_git_secrets(corpus) for _ in range(args.repeat - 1))])
        if ds is not None and size <= args.detect_secrets_max_mb:
            runs.append(run_detect_secrets(ds, corpus))
        print(fmt_row(["tool", "wall s", "MB/s (wall)", "cpu s", "MB/s (cpu)", "peak RSS MB", "findings", "recall", "precision"]))
        print(fmt_row(["---"] * 9))
        scores = {}
        for run in runs:
            sc = score(run, planted)
            scores[run.tool] = sc
            print(fmt_row([run.tool, f"{run.wall:.2f}", f"{nbytes / 1e6 / run.wall:.1f}", f"{run.cpu:.2f}",
                           f"{nbytes / 1e6 / max(run.cpu, 1e-3):.1f}", f"{run.rss_mb:.0f}", sc["findings"],
                           f"{sc['recall']:.3f}", f"{sc['precision']:.3f}"]))
        print("\nper type (recall: railguard / " + " / ".join(r.tool for r in runs[1:]) + "; railguard precision)")
        print(fmt_row(["type", "planted", "recall", "precision"] + [f"{r.tool} recall" for r in runs[1:]]))
        print(fmt_row(["---"] * (4 + len(runs) - 1)))
        rg = scores["railguard"]["per_type"]  # type: ignore[index]
        for rid in RULE_IDS:
            row = rg[rid]
            print(fmt_row([rid, row["planted"], f"{row['recall']:.2f}", f"{row.get('precision', 1):.2f}"]
                          + [f"{scores[r.tool]['per_type'][rid]['recall']:.2f}" for r in runs[1:]]))  # type: ignore[index]
        fps = scores["railguard"]["false_positives"]
        if fps:
            print(f"\nrailguard false positives (first {len(fps)}): {fps}")  # type: ignore[arg-type]
        one = one_core_throughput(corpus, args.one_core_repeat)
        print(f"\none core, in process (best of {args.one_core_repeat}): {one['mb_s_cpu']:.0f} MB/s by CPU time "
              f"({one['cpu']:.3f} s), {one['mb_s_wall']:.0f} MB/s by wall time ({one['wall']:.3f} s), {one['findings']} findings")
        report[f"{size}mb"] = {"bytes": nbytes, "runs": {r.tool: {"wall": r.wall, "cpu": r.cpu, "rss_mb": r.rss_mb} for r in runs},
                               "scores": scores, "one_core": one}

    if not args.no_independent:
        report["independent"] = run_independent(ds)

    if not args.no_history and sizes:
        size = max(sizes)
        corpus = WORK / f"corpus-{size}mb"
        planted = planted_by_size[size]
        t0 = time.perf_counter()
        repo, history_only = build_history(corpus, planted, args.commits, args.seed, args.history_aws_share)
        print(f"\n## history: {args.commits} commits over the {size} MB corpus, {len(history_only)} history-only secrets "
              f"(built in {time.perf_counter() - t0:.0f}s)")
        print(fmt_row(["tool", "wall s", "cpu s", "peak RSS MB", "history-only secrets found", "recall"]))
        print(fmt_row(["---"] * 6))
        rg_run = median_run([run_railguard(repo, ["--history"], "railguard-history") for _ in range(args.repeat)])
        got, total = score_history(rg_run.findings, history_only)
        missed = [p for p in history_only if not any((p.path, ln) in rg_run.findings for ln in range(p.first, p.last + 1))]
        if missed:
            print("railguard missed (type, file, line): " + ", ".join(f"{p.type} {p.path}:{p.first}" for p in missed))
        print(fmt_row(["railguard --history", f"{rg_run.wall:.1f}", f"{rg_run.cpu:.1f}", f"{rg_run.rss_mb:.0f}", f"{got}/{total}",
                       f"{got / max(1, total):.3f}"]))
        hist: dict[str, object] = {"railguard": {"wall": rg_run.wall, "cpu": rg_run.cpu, "rss_mb": rg_run.rss_mb, "found": got, "total": total}}
        if gs:
            out = WORK / "git-secrets-history.txt"
            timings = sorted(timed(["git", "secrets", "--scan-history"], repo, out, merge_stderr=True) for _ in range(args.repeat))
            wall, rss, _, cpu = timings[len(timings) // 2]
            found = _parse_git_grep(out.read_bytes(), True)
            out.unlink()
            g, t = score_history(found, history_only)
            print(fmt_row(["git secrets --scan-history", f"{wall:.1f}", f"{cpu:.1f}", f"{rss:.0f}", f"{g}/{t}", f"{g / max(1, t):.3f}"]))
            print(f"\nspeed-up: {wall / rg_run.wall:.1f}x wall, {cpu / max(rg_run.cpu, 1e-3):.1f}x cpu")
            hist["git-secrets"] = {"wall": wall, "cpu": cpu, "rss_mb": rss, "found": g, "total": t}
        report["history"] = hist
    (WORK / "results.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"\nraw results: {WORK / 'results.json'}")


if __name__ == "__main__":
    main()

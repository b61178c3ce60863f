"""The IaC scan use case: discover files -> load -> evaluate (place "iac") -> suppress -> map.

The same controls as the live scan run on templates, with the same ids, severities and fixes.
Each load unit (one CloudFormation template, one Terraform directory or plan) is evaluated
against its own inventory, so a bucket policy in one stack never answers for a bucket of
another. Every file that could not be read becomes an ERROR finding (`iac.parse-error`) with
its file and line; the scan of every other file goes on.

Kinds: CloudFormation JSON/YAML (SAM included), Terraform directories (`*.tf`), Terraform plan
JSON (`terraform show -json`), Dockerfiles and ECS task definitions. Terraform and container
inputs are read by `railguard.sources.terraform` / `railguard.sources.containers` when those
are present in this build; otherwise they are listed as not scanned.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import os
import re
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from railguard.controls import IAC
from railguard.engine import suppress
from railguard.engine.evaluate import evaluate
from railguard.engine.items import map_items
from railguard.engine.plan import Plan, build_plan, params_key
from railguard.model import Finding, Inventory, ItemResult, Origin, Result, RunResult, Severity
from railguard.sources.loaded import NOT_EXPANDED, InlineIgnore, Loaded, ParseError

if TYPE_CHECKING:
    from railguard.frameworks import Framework

PARSE_ERROR = "iac.parse-error"
PARSE_ERROR_TITLE = "Input file can be read and parsed"
PARSE_ERROR_FIX = "Fix the file (syntax, encoding, size) or exclude it with --exclude"
NOT_EXPANDED_ID = "iac.not-expanded"
NOT_EXPANDED_TITLE = "Template construct that railguard does not expand"
NOT_EXPANDED_FIX = ("Expand it first and scan the result: `rain pkg` for Rain modules, the processed template "
                    "(`aws cloudformation get-template --template-stage Processed`) for modules and macros")

# Controls that split another one by address family: run on their own only when named with
# --controls, so that one world-open rule is one finding, not three overlapping ones.
NARROWER = {
    "ec2.sg-admin-port-open-to-world-ipv4": "ec2.sg-admin-port-open-to-world",
    "ec2.sg-admin-port-open-to-world-ipv6": "ec2.sg-admin-port-open-to-world",
}

CLOUDFORMATION = "cloudformation"
TERRAFORM = "terraform"
TERRAFORM_PLAN = "terraform-plan"
DOCKERFILE = "dockerfile"
ECS_TASK = "ecs-task-definition"
DATA = "data"  # JSON/YAML whose kind is decided by its content

DATA_SUFFIXES = {".json", ".yaml", ".yml", ".template", ".cfn"}
SKIP_DIRS = {".git", ".hg", ".svn", ".terraform", "node_modules", ".venv", "venv", "__pycache__", ".tox",
             ".mypy_cache", ".pytest_cache", ".ruff_cache", "cdk.out", ".aws-sam"}
SNIFF_BYTES = 65536


class IacInputError(ValueError):
    """A path given on the command line that does not exist or cannot be listed."""


@dataclass
class IacOptions:
    params: Mapping[str, str] = field(default_factory=dict)  # CloudFormation --param (incl. AWS::Region)
    variables: Mapping[str, str] = field(default_factory=dict)  # Terraform --var
    var_files: list[Path] = field(default_factory=list)  # Terraform --var-file
    excludes: list[str] = field(default_factory=list)
    inline_ignores: bool = True
    baseline: Path | None = None
    only_controls: list[str] | None = None
    min_severity: Severity | None = None
    max_bytes: int = 5 * 1024 * 1024
    max_plan_bytes: int = 200 * 1024 * 1024
    explicit_files: bool = True  # a file named on the command line must be an input (else: ERROR)
    show_pass: bool = False  # keep every PASS finding (else counted per control and file, in meta["passed"])


@dataclass(frozen=True)
class Target:
    path: Path
    kind: str
    explicit: bool


# --- discovery -------------------------------------------------------------------------------


def display_path(path: Path) -> str:
    """The path findings carry: relative to the working directory when below it (stable
    fingerprints whatever absolute checkout path CI uses), POSIX separators."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path.as_posix()
    if rel.startswith(".."):
        return Path(os.path.abspath(path)).as_posix()
    return Path(rel).as_posix()


def _excluded(rel: str, name: str, patterns: Iterable[str]) -> bool:
    for pat in patterns:
        p = pat.rstrip("/")
        if p.startswith("./"):
            p = p[2:]
        if fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p):
            return True
        if p.endswith("/**") and (rel == p[:-3] or fnmatch.fnmatchcase(rel, p[:-3])):
            return True
        if p.startswith("**/") and (fnmatch.fnmatchcase(rel, p[3:]) or fnmatch.fnmatchcase(name, p[3:])):
            return True
    return False


def file_kind(path: Path) -> str | None:
    name = path.name
    lower = name.lower()
    if lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return DOCKERFILE
    if path.suffix.lower() == ".tf":
        return TERRAFORM
    if path.suffix.lower() in DATA_SUFFIXES:
        return DATA
    return None


def discover(paths: Iterable[Path], excludes: Iterable[str] = ()) -> list[Target]:
    """Files and Terraform directories to read, in a stable order. Raises `IacInputError`."""
    excludes = list(excludes)
    targets: list[Target] = []
    seen: set[tuple[str, str]] = set()

    def add(path: Path, kind: str, explicit: bool) -> None:
        key = (os.path.abspath(path), kind)
        if key not in seen:
            seen.add(key)
            targets.append(Target(path, kind, explicit))
        elif explicit:  # named on the command line after a walk found it: it counts as named
            targets[:] = [Target(t.path, t.kind, True) if (os.path.abspath(t.path), t.kind) == key else t
                          for t in targets]

    for root in paths:
        if not root.exists():
            raise IacInputError(f"{root}: no such file or directory")
        if root.is_file():
            kind = file_kind(root)
            if kind == TERRAFORM:
                add(root.parent, TERRAFORM, True)
            else:
                add(root, kind or DATA, True)
            continue
        if not root.is_dir():
            raise IacInputError(f"{root}: not a regular file or directory")
        for dirpath, dirnames, filenames in os.walk(root, onerror=None):
            base = Path(dirpath)
            rel_dir = os.path.relpath(dirpath, root)
            rel_dir = "" if rel_dir == "." else Path(rel_dir).as_posix()
            dirnames[:] = sorted(
                d for d in dirnames
                if d not in SKIP_DIRS and not _excluded(f"{rel_dir}/{d}".lstrip("/"), d, excludes)
            )
            has_tf = False
            for fname in sorted(filenames):
                rel = f"{rel_dir}/{fname}".lstrip("/")
                if _excluded(rel, fname, excludes):
                    continue
                kind = file_kind(base / fname)
                if kind is None or not (base / fname).is_file():  # pipes, devices: never read
                    continue
                if kind == TERRAFORM:
                    has_tf = True
                else:
                    add(base / fname, kind, False)
            if has_tf:
                add(base, TERRAFORM, rel_dir == "")  # the directory named on the command line counts as named
    called = _local_modules([t.path for t in targets if t.kind == TERRAFORM])
    # a directory found while walking that another configuration calls as a local module is read
    # through its caller (with its inputs), not again on its own with every variable unknown
    return [t for t in targets if t.explicit or t.kind != TERRAFORM or os.path.abspath(t.path) not in called]


_MODULE_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.MULTILINE)


def _local_modules(dirs: Iterable[Path]) -> set[str]:
    """Absolute paths of the local modules (`source = "./..."`) that these directories call."""
    out: set[str] = set()
    for d in dirs:
        for tf in d.glob("*.tf"):
            try:
                text = tf.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            out.update(os.path.abspath(d / m) for m in _MODULE_SOURCE.findall(text))
    return out


# --- loading ---------------------------------------------------------------------------------


@dataclass
class Unit:
    """One load unit: evaluated against its own inventory."""

    kind: str
    loaded: Loaded


@dataclass
class Collected:
    units: list[Unit] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # data files that are no input of ours
    skip_reasons: dict[str, str] = field(default_factory=dict)  # path -> why it is no input of ours
    not_scanned: dict[str, str] = field(default_factory=dict)  # path -> why (loader absent)

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append(path)
        self.skip_reasons[path] = reason


def _error_unit(kind: str, file: str, message: str, line: int | None = None) -> Unit:
    return Unit(kind, Loaded(errors=[ParseError(file, message, line)], files=[file]))


def _sniff(path: Path) -> str:
    with path.open("rb") as fh:
        return fh.read(SNIFF_BYTES).decode("utf-8", errors="replace")


def _is_plan(text: str) -> bool:
    if not text.lstrip().startswith("{"):
        return False
    head = text[:8192]
    if '"terraform_version"' in head and '"format_version"' in head:
        return True
    return '"planned_values"' in text or '"resource_changes"' in text


def _is_task_definition(text: str) -> bool:
    return text.lstrip().startswith("{") and '"containerDefinitions"' in text


def _optional(module: str, name: str) -> Callable[..., Loaded] | None:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None


def _call_loader(kind: str, file: str, fn: Callable[..., Loaded], *args: Any) -> Unit:
    try:
        loaded = fn(*args)
    except Exception as exc:  # a loader bug costs one input, never the scan
        return _error_unit(kind, file, f"internal error while reading ({type(exc).__name__}: {exc})")
    if not isinstance(loaded, Loaded):
        return _error_unit(kind, file, "internal error: the loader returned no result")
    if not loaded.files:
        loaded.files.append(file)
    return Unit(kind, loaded)


def load_target(t: Target, opts: IacOptions, out: Collected) -> None:
    shown = display_path(t.path)
    if t.kind == TERRAFORM:
        fn = _optional("railguard.sources.terraform", "load_directory")
        if fn is None:
            out.not_scanned[shown] = "Terraform support is not available in this build"
            return
        out.units.append(_call_loader(TERRAFORM, shown, fn, Path(shown), dict(opts.variables), list(opts.var_files)))
        return
    if t.kind == DOCKERFILE:
        fn = _optional("railguard.sources.containers", "load_dockerfile")
        if fn is None:
            out.not_scanned[shown] = "Dockerfile support is not available in this build"
            return
        out.units.append(_call_loader(DOCKERFILE, shown, fn, Path(shown)))
        return
    _load_data_file(t, shown, opts, out)


def _load_data_file(t: Target, shown: str, opts: IacOptions, out: Collected) -> None:
    from railguard.sources import cloudformation as cfn

    try:
        size = t.path.stat().st_size
        problems: list[ParseError] = []
        if size > opts.max_bytes:
            text = _sniff(t.path)
        else:  # read once: the same text is sniffed and parsed
            text, problems = cfn.read_text(t.path, opts.max_bytes)
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        out.units.append(_error_unit(CLOUDFORMATION, shown, f"cannot read: {why}"))
        return
    # the whole file as valid UTF-8: handed to the plan / task definition loaders, not read again
    whole = text if size <= opts.max_bytes and not problems else None
    if _is_plan(text):
        fn = _optional("railguard.sources.terraform", "load_plan")
        if size > opts.max_plan_bytes:
            out.units.append(_error_unit(TERRAFORM_PLAN, shown, f"plan is {size / 1048576:.0f} MB, above the limit"))
        elif fn is None:
            out.not_scanned[shown] = "Terraform plan support is not available in this build"
        else:
            out.units.append(_call_loader(TERRAFORM_PLAN, shown, fn, Path(shown), whole))
        return
    if _is_task_definition(text) and not cfn.looks_like_template(text):
        fn = _optional("railguard.sources.containers", "load_task_definition")
        if fn is None:
            out.not_scanned[shown] = "ECS task definition support is not available in this build"
        else:
            out.units.append(_call_loader(ECS_TASK, shown, fn, Path(shown), whole))
        return
    # Templates are told by parsing, not by a column-0 key (indented top-level keys are valid
    # YAML); text that names neither `Resources` nor a format version is no template at all.
    named = t.path.suffix.lower() in (".template", ".cfn")
    candidate = named or cfn.could_be_template(text)
    template_like = named or cfn.looks_like_template(text) or (candidate and cfn.names_aws_types(text))
    if size > opts.max_bytes:
        if t.explicit or template_like:
            out.units.append(_error_unit(
                CLOUDFORMATION, shown,
                f"file is {size / 1048576:.1f} MB, above the {opts.max_bytes / 1048576:.0f} MB limit for "
                "templates (CloudFormation accepts at most 1 MB): not read",
            ))
        else:
            out.skip(shown, f"over the {opts.max_bytes / 1048576:.0f} MB limit and names no AWS resource type")
        return
    if not candidate and not t.explicit:
        out.skip(shown, "no Resources or AWSTemplateFormatVersion key: not a CloudFormation template")
        return
    try:
        loaded = cfn.load_text(text, shown, opts.params, inline_ignores=opts.inline_ignores)
    except cfn.NotATemplate as exc:
        if t.explicit:
            out.units.append(_error_unit(
                CLOUDFORMATION, shown,
                "not a CloudFormation template, Terraform plan or ECS task definition (no Resources)",
            ))
        elif exc.nested:  # AWS resources in a file of another tool: said, never skipped silently
            out.units.append(Unit(CLOUDFORMATION, Loaded(errors=[ParseError(
                shown, f"AWS resources under `{exc.nested}`, not at a template's top level (another tool's file, "
                "such as a Serverless Framework serverless.yml): not scanned", None, NOT_EXPANDED)], files=[shown])))
        else:
            out.skip(shown, "parsed, but has no top-level Resources mapping of typed resources: not a template")
        return
    except Exception as exc:  # a loader bug costs one file, never the scan
        out.units.append(_error_unit(CLOUDFORMATION, shown, f"internal error while reading ({type(exc).__name__}: {exc})"))
        return
    if not t.explicit and not template_like and not loaded.resources and loaded.errors:
        # text that mentions `Resources` but is no valid YAML/JSON (a Helm or Jinja template) is not ours
        out.skip(shown, f"not valid YAML/JSON ({loaded.errors[0].message}) and names no AWS resource type")
        return
    loaded.errors[:0] = [ParseError(shown, p.message, p.line) for p in problems]
    out.units.append(Unit(CLOUDFORMATION, loaded))


def collect(targets: Iterable[Target], opts: IacOptions) -> Collected:
    out = Collected()
    for t in targets:
        load_target(t, opts, out)
    return out


# --- suppressions ----------------------------------------------------------------------------


def _place_ignores(ignores: list[InlineIgnore], resources: Iterable[Any]) -> list[InlineIgnore]:
    """Give an ignore without a resource id the resource at or just below its line."""
    if all(i.resource_id for i in ignores):
        return ignores
    starts: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for r in resources:
        if r.origin.file and r.origin.line:
            starts[r.origin.file].append((r.origin.line, r.id))
    for lst in starts.values():
        lst.sort()
    out = []
    for ig in ignores:
        if ig.resource_id or ig.line is None:
            out.append(ig)
            continue
        lst = starts.get(ig.file, [])
        lines = [s for s, _ in lst]
        i = bisect_right(lines, ig.line)
        rid: str | None = None
        if i > 0 and lines[i - 1] == ig.line:
            rid = lst[i - 1][1]
        elif i < len(lst) and lst[i][0] - ig.line <= 3:
            rid = lst[i][1]
        elif i > 0:
            rid = lst[i - 1][1]
        if rid is not None:
            out.append(InlineIgnore(ig.file, ig.control_id, ig.reason, ig.line, rid))
    return out


def _ignore_scope(file: str) -> str:
    """Terraform addresses are unique in a directory, and a finding may point at a rule written in
    another file of it than its group: an ignore on the group covers it there too."""
    return os.path.dirname(file) + "/*.tf" if file.endswith(".tf") else file


def inline_suppressor(ignores: Iterable[InlineIgnore]) -> suppress.Suppressor:
    by_resource: dict[tuple[str, str], list[InlineIgnore]] = defaultdict(list)
    for ig in ignores:
        if ig.resource_id:
            by_resource[(_ignore_scope(ig.file), ig.resource_id)].append(ig)

    def covers(f: Finding) -> str | None:
        for ig in by_resource.get((_ignore_scope(f.origin.file or ""), f.resource_id), ()):
            if fnmatch.fnmatchcase(f.control_id, ig.control_id):
                where = f"{ig.file}:{ig.line}" if ig.line else ig.file
                return f"inline ignore ({where}): {ig.reason}"
        return None

    return covers


def read_baseline(path: Path) -> set[str]:
    """Fingerprints of a baseline file written by `railguard iac baseline`. Raises ValueError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}: baseline is not valid JSON: {exc.msg}") from None
    entries = data.get("findings") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ValueError(f"{path}: baseline has no list of findings")
    out = set()
    for e in entries:
        fp = e.get("fingerprint") if isinstance(e, dict) else e
        if not isinstance(fp, str):
            raise ValueError(f"{path}: baseline entry without a fingerprint: {str(e)[:80]}")
        out.add(fp)
    return out


def baseline_suppressor(fingerprints: set[str], source: str) -> suppress.Suppressor:
    def covers(f: Finding) -> str | None:
        return f"baseline ({source})" if f.fingerprint in fingerprints else None

    return covers


def baseline_document(run: RunResult) -> dict[str, Any]:
    """The current FAIL findings as a baseline: existing debt that must not block new work."""
    entries = [
        {"fingerprint": f.fingerprint, "control_id": f.control_id, "file": f.origin.file,
         "resource_id": f.resource_id, "line": f.origin.line}
        for f in run.findings if f.result == Result.FAIL
    ]
    uniq = {e["fingerprint"]: e for e in entries}
    return {
        "version": 1,
        "tool": "railguard iac",
        "generated_at": run.started_at,
        "findings": sorted(uniq.values(), key=lambda e: (e["file"] or "", e["resource_id"], e["control_id"])),
    }


# --- the use case ----------------------------------------------------------------------------


def decide_by_variants(
    findings: list[Finding],
    variants: list[tuple[str, list[Any]]],
    undecided: list[str],
    plan: Plan,
    now: datetime,
) -> list[Finding]:
    """An UNKNOWN that comes from conditions a template leaves open is decided when the control
    says the same in every assignment of those conditions (PASS everywhere: PASS; FAIL
    everywhere: FAIL); otherwise it stays UNKNOWN and says which way each assignment goes.
    Assignments are taken independently, a superset of the real ones, so agreement is sound."""
    if not any(f.result == Result.UNKNOWN for f in findings):
        return findings
    per_variant: list[tuple[str, dict[tuple[str, str, str], Finding]]] = []
    for label, resources in variants:
        got = evaluate(plan.controls, Inventory(resources), place=IAC, now=now)
        per_variant.append((label, {(f.control_id, f.resource_id, params_key(f.params)): f for f in got}))
    conds = ", ".join(undecided)
    out = []
    for f in findings:
        if f.result != Result.UNKNOWN:
            out.append(f)
            continue
        key = (f.control_id, f.resource_id, params_key(f.params))
        seen = [(label, vs[key]) for label, vs in per_variant if key in vs]
        results = {v.result for _, v in seen}
        if seen and results in ({Result.PASS}, {Result.FAIL}):
            first = seen[0][1]
            f = replace(f, result=first.result, reason=f"{first.reason} (whichever way {conds} go)",
                        evidence=first.evidence)
        elif seen and Result.FAIL in results:
            fails = [label for label, v in seen if v.result == Result.FAIL]
            f = replace(f, reason=f"{f.reason}; FAIL when {' or '.join(fails[:4])}")
        out.append(f)
    return out


def _error_finding(e: ParseError) -> Finding:
    if e.kind == NOT_EXPANDED:
        return Finding(
            control_id=NOT_EXPANDED_ID, title=NOT_EXPANDED_TITLE, severity=Severity.MEDIUM, result=Result.UNKNOWN,
            resource_type="File", resource_id=e.file, resource_name=e.file, reason=e.message,
            origin=Origin(file=e.file, line=e.line), remediation=NOT_EXPANDED_FIX,
        )
    return Finding(
        control_id=PARSE_ERROR,
        title=PARSE_ERROR_TITLE,
        severity=Severity.HIGH,
        result=Result.ERROR,
        resource_type="File",
        resource_id=e.file,
        resource_name=e.file,
        reason=e.message,
        origin=Origin(file=e.file, line=e.line),
        remediation=PARSE_ERROR_FIX,
    )


@dataclass(frozen=True)
class _ControlItem:
    """One item per control: the shape of `railguard.frameworks.Item` that the plan and the
    mapping read, without pydantic (about 0.15 s of a pre-commit hook's start-up)."""

    id: str
    title: str
    section: str
    controls: list[str]
    level: int | None = None
    assessment: str = "automated"
    note: str = ""
    guidance: str = ""
    is_manual: bool = False
    not_implemented: str = ""


@dataclass(frozen=True)
class _ControlsFramework:
    items: list[_ControlItem]
    id: str = "railguard-controls"
    title: str = "railguard controls"
    version: str = "1"

    def params_for(self, control_id: str, item: object = None) -> dict[str, Any]:
        return {}


def plan_for(opts: IacOptions) -> Plan:
    """Every control that can be decided from a template, one item each. Raises
    `railguard.engine.plan.PlanError` for an unknown control id."""
    from railguard.controls import all_controls, get_control, has_control
    from railguard.engine.plan import PlanError

    live_only = [c for c in opts.only_controls or [] if has_control(c) and IAC not in get_control(c).places]
    if live_only:
        raise PlanError(f"{', '.join(live_only)}: does not run on templates (it needs facts only a live account "
                        "has: use `railguard scan --controls`); see `railguard controls list --iac`")
    fw = _ControlsFramework([
        _ControlItem(id=c.id, title=c.title, section=c.service, controls=[c.id])
        for c in all_controls() if IAC in c.places and (opts.only_controls or c.id not in NARROWER)
    ])
    return build_plan(
        cast("list[Framework]", [fw]), only_controls=opts.only_controls or None,
        min_severity=opts.min_severity, place=IAC,
    )


def run_iac(paths: Iterable[Path], opts: IacOptions, plan: Plan | None = None) -> RunResult:
    """Scan files and directories; raises `IacInputError` for a missing path, `ValueError` for
    a bad baseline, `PlanError` for an unknown control."""
    started = time.monotonic()
    now = datetime.now(UTC).replace(microsecond=0)
    paths = list(paths)  # read twice: discovered, then listed in the run's meta
    plan = plan or plan_for(opts)
    fingerprints = read_baseline(opts.baseline) if opts.baseline else None
    targets = discover(paths, opts.excludes)
    if not opts.explicit_files:
        targets = [Target(t.path, t.kind, False) for t in targets]
    collected = collect(targets, opts)

    findings: list[Finding] = []
    ignores: list[InlineIgnore] = []
    files: list[str] = []
    kinds: dict[str, int] = defaultdict(int)
    passed: dict[tuple[str, str], int] = defaultdict(int)  # (file, control) -> PASS findings not kept
    n_resources = 0
    for unit in collected.units:
        loaded = unit.loaded
        files += loaded.files
        kinds[unit.kind] += len(loaded.files)
        n_resources += len(loaded.resources)
        if loaded.resources:
            found = evaluate(plan.controls, Inventory(loaded.resources), place=IAC, now=now)
            variants = getattr(loaded, "variants", None)
            if variants:
                found = decide_by_variants(found, variants, getattr(loaded, "undecided", []), plan, now)
            if unit.kind in (TERRAFORM, TERRAFORM_PLAN):
                found = [_in_terraform_terms(f) for f in found]
            if not opts.show_pass:  # the bulk of a large scan: counted, not kept
                for f in found:
                    if f.result == Result.PASS:
                        passed[(f.origin.file or "", f.control_id)] += 1
                found = [f for f in found if f.result != Result.PASS]
            findings += found
        if opts.inline_ignores:
            ignores += _place_ignores(loaded.ignores, loaded.resources)
        findings += [_error_finding(e) for e in loaded.errors]

    suppressors = []
    if opts.inline_ignores and ignores:
        suppressors.append(inline_suppressor(ignores))
    if fingerprints is not None and opts.baseline is not None:
        suppressors.append(baseline_suppressor(fingerprints, display_path(opts.baseline)))
    if suppressors:
        findings = suppress.apply(findings, *suppressors)
    findings.sort(key=lambda f: (f.origin.file or "", f.origin.line or 0, f.control_id, f.resource_id))

    infos, items = map_items(plan, findings)
    pass_counts = _pass_counts(passed)
    for item in items:
        n = sum(pass_counts["by_control"].get(c, 0) for c in item.controls)
        if n and item.result == Result.PASS and not item.findings:
            item.reason = f"{n} resource(s) checked, none offends (PASS results are counted; --show-pass lists them)"
    items.append(_parse_item(plan, findings))
    unexpanded = [f for f in findings if f.control_id == NOT_EXPANDED_ID]
    if unexpanded:
        items.append(ItemResult(
            framework=items[-1].framework, id=NOT_EXPANDED_ID, title=NOT_EXPANDED_TITLE, section="iac",
            result=Result.UNKNOWN, severity=Severity.MEDIUM, controls=[NOT_EXPANDED_ID], findings=unexpanded,
            reason=f"{len({f.origin.file for f in unexpanded})} file(s) hold constructs expanded by another tool: "
                   "what they expand to was not assessed",
        ))
    errors = [f"{path}: not scanned: {why}" for path, why in collected.not_scanned.items()]
    return RunResult(
        kind="iac",
        started_at=now.isoformat(),
        duration_s=round(time.monotonic() - started, 3),
        frameworks=infos,
        items=items,
        findings=findings,
        errors=errors,
        meta={
            "files": len(dict.fromkeys(files)),
            "resources": n_resources,
            "inputs": dict(kinds),
            "skipped": collected.skipped,
            "skipped_reasons": collected.skip_reasons,
            "not_scanned": collected.not_scanned,
            "paths": [display_path(p) for p in paths],
            "controls": len(plan.controls),
            "inline_ignores": opts.inline_ignores,
            "baseline": display_path(opts.baseline) if opts.baseline else None,
            "passed": pass_counts,
        },
    )


def _pass_counts(passed: Mapping[tuple[str, str], int]) -> dict[str, Any]:
    """PASS results not kept as findings: in total, per control, per file and control."""
    by_control: dict[str, int] = defaultdict(int)
    by_file: dict[str, dict[str, int]] = defaultdict(dict)
    for (file, control), n in sorted(passed.items()):
        by_control[control] += n
        by_file[file][control] = n
    return {"total": sum(passed.values()), "by_control": dict(by_control), "by_file": dict(by_file)}


def _in_terraform_terms(f: Finding) -> Finding:
    """The finding's fix as a Terraform author writes it (arguments and `aws_*` resources)."""
    from railguard.engine.fixes_tf import FIXES_TF

    fix = FIXES_TF.get(f.control_id)
    return replace(f, remediation=fix) if fix and f.remediation else f


def _parse_item(plan: Plan, findings: list[Finding]) -> ItemResult:
    errors = [f for f in findings if f.control_id == PARSE_ERROR]
    fw = plan.frameworks[0].id if plan.frameworks else "railguard-controls"
    item = ItemResult(
        framework=fw, id=PARSE_ERROR, title=PARSE_ERROR_TITLE, section="iac",
        result=Result.UNKNOWN if errors else Result.PASS, severity=Severity.HIGH,
        controls=[PARSE_ERROR], findings=errors,
    )
    if errors:
        n = len({f.origin.file for f in errors})
        item.reason = f"{n} file(s) could not be read completely: their resources were not all assessed"
    else:
        item.reason = ""
    return item

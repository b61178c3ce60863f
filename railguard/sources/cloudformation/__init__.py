"""CloudFormation (and SAM) templates -> `Loaded`: resources in their CloudFormation shape.

Every resource keeps its file and the line of its logical id. Intrinsics are resolved where
the template decides them (see `resolve.py`); anything else is `railguard.model.Unknown`, so a
control meeting it reports UNKNOWN, never PASS. Resources whose `Condition` is false are not
created and are skipped. Stand-alone `AWS::EC2::SecurityGroupIngress`/`Egress` rules are folded
into the group they name so that controls see one shape, whichever way the template wrote it;
a rule for a group outside the template becomes a group of its own (id = the rule's logical id).
SAM functions, simple tables and state machines are yielded as their CloudFormation type (with
SAM `Globals` merged in) so the same controls read them. Parameters are also yielded as `RailGuard::CloudFormation::Parameter` resources (their
declaration as properties) for template-only controls (secrets in defaults, `NoEcho`).

Inline ignores: `# railguard:ignore CONTROL_ID reason` on a resource's lines or on the line(s)
just above its logical id, and `Metadata: {railguard: {ignore: [{id: X, reason: ...}]}}`.
An ignore without a reason is a `ParseError`, never a silent suppression.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railguard.model import Origin, Resource, Unknown
from railguard.sources.cloudformation.parse import Parsed, TemplateSyntaxError, parse_json, parse_yaml
from railguard.sources.cloudformation.resolve import NOVALUE, CircularReference, Resolver
from railguard.sources.loaded import (
    NOT_EXPANDED,
    InlineIgnore,
    Loaded,
    ParseError,
    Piece,
    scan_ignore_comments,
)

__all__ = [
    "MAX_BYTES",
    "PARAMETER_TYPE",
    "NotATemplate",
    "TemplateLoaded",
    "could_be_template",
    "load_file",
    "load_text",
    "looks_like_template",
    "names_aws_types",
    "nested_aws_resources",
]

MAX_BYTES = 5 * 1024 * 1024  # CloudFormation itself accepts 1 MB; above 5 MB a file is refused
PARAMETER_TYPE = "RailGuard::CloudFormation::Parameter"
SG_RULE_TYPES = {
    "AWS::EC2::SecurityGroupIngress": "SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress": "SecurityGroupEgress",
}
# SAM resources whose properties are a superset of a CloudFormation type's shape (Environment,
# KmsKeyArn, SSESpecification, ...): controls written for the CloudFormation type see them.
SAM_TYPES = {
    "AWS::Serverless::Function": "AWS::Lambda::Function",
    "AWS::Serverless::SimpleTable": "AWS::DynamoDB::Table",
    "AWS::Serverless::StateMachine": "AWS::StepFunctions::StateMachine",
    "AWS::Serverless::LayerVersion": "AWS::Lambda::LayerVersion",
}
_TEXT_HINT = re.compile(r'^(AWSTemplateFormatVersion|Resources)\s*:|"(AWSTemplateFormatVersion|Resources)"\s*:', re.M)


class UnknownProperties(dict[str, Any]):
    """Properties that are unknown as a whole (`Properties: !If [...]` on an unknown condition):
    every property read through `Resource.get` meets the `Unknown` and reports UNKNOWN."""

    def __init__(self, unknown: Unknown) -> None:
        super().__init__()
        self.unknown = unknown

    def get(self, key: Any, default: Any = None) -> Any:
        return self.unknown

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: Any) -> Any:
        return self.unknown


class NotATemplate(Exception):
    """The file parsed but is not a CloudFormation template (no `Resources` mapping).

    `nested` names where AWS resource definitions sit below the top level (a Serverless
    Framework `resources.Resources`, a template kept under another key): such a file is
    never skipped silently."""

    def __init__(self, file: str, nested: str | None = None) -> None:
        super().__init__(file)
        self.nested = nested


def nested_aws_resources(data: Any, path: str = "", depth: int = 0) -> str | None:
    """The path of a `Resources` mapping holding `Type: AWS::...` entries below the top level."""
    if depth > 6:
        return None
    if isinstance(data, dict):
        for k, v in data.items():
            here = f"{path}.{k}" if path else str(k)
            if k == "Resources" and path and isinstance(v, dict) and any(
                isinstance(x, dict) and isinstance(x.get("Type"), str) and x["Type"].startswith("AWS::")
                for x in v.values()
            ):
                return here
            found = nested_aws_resources(v, here, depth + 1)
            if found:
                return found
    elif isinstance(data, list):
        for i, v in enumerate(data[:100]):
            found = nested_aws_resources(v, f"{path}[{i}]", depth + 1)
            if found:
                return found
    return None


def looks_like_template(text: str) -> bool:
    """Cheap pre-check: a top-level key at column 0. Directory scans do not rely on it (a
    template whose top-level keys are indented is valid YAML): see `could_be_template`."""
    return _TEXT_HINT.search(text) is not None


_AWS_TYPE = re.compile(r"""["']?Type["']?\s*:\s*["']?AWS::""")


def could_be_template(text: str) -> bool:
    """Cheaper than a parse and never wrong the other way: a template names `Resources` (or
    its format version) somewhere; text without either word is no template."""
    return "Resources" in text or "AWSTemplateFormatVersion" in text


def names_aws_types(text: str) -> bool:
    """Does the text declare `Type: AWS::...` entries (what a template's resources look like)?"""
    return _AWS_TYPE.search(text) is not None


def is_template(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if "AWSTemplateFormatVersion" in data:
        return True
    resources = data.get("Resources")
    return isinstance(resources, dict) and any(
        isinstance(v, dict) and isinstance(v.get("Type"), str) for v in resources.values()
    )


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> tuple[str, list[ParseError]]:
    """The file's text; non-UTF-8 bytes are replaced and reported. Raises OSError / ValueError."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(
            f"file is {size / 1048576:.1f} MB, above the {max_bytes / 1048576:.0f} MB limit for templates "
            "(CloudFormation accepts at most 1 MB): not read"
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        text = raw.decode("utf-8", errors="replace")
        return text, [ParseError(str(path), f"not UTF-8: byte 0x{raw[exc.start]:02x} replaced", line)]


def load_file(
    path: Path,
    params: Mapping[str, str] | None = None,
    *,
    display: str | None = None,
    inline_ignores: bool = True,
    max_bytes: int = MAX_BYTES,
) -> Loaded:
    """Load one template. Raises `NotATemplate` when the file is valid data but no template."""
    name = display or str(path)
    try:
        text, problems = read_text(path, max_bytes)
    except (OSError, ValueError) as exc:
        msg = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return Loaded(errors=[ParseError(name, f"cannot read: {msg}")], files=[name])
    loaded = load_text(text, name, params, inline_ignores=inline_ignores)
    loaded.errors[:0] = [ParseError(name, p.message, p.line) for p in problems]
    return loaded


def load_text(
    text: str,
    file: str,
    params: Mapping[str, str] | None = None,
    *,
    inline_ignores: bool = True,
) -> Loaded:
    """Load a template from text. Raises `NotATemplate` when it is valid data but no template."""
    try:
        parsed = _parse(text)
    except TemplateSyntaxError as exc:
        return Loaded(errors=[ParseError(file, exc.message, exc.line)], files=[file])
    if not is_template(parsed.data):
        raise NotATemplate(file, nested_aws_resources(parsed.data))
    return _build(parsed, text, file, params or {}, inline_ignores)


def _parse(text: str) -> Parsed:
    """JSON when the text is a JSON object (fast stdlib parser), YAML otherwise."""
    if text.lstrip().startswith("{"):
        return parse_json(text)
    return parse_yaml(text)


MAX_VARIANT_CONDITIONS = 3  # undecided conditions explored (2**3 variants at most)


@dataclass
class TemplateLoaded(Loaded):
    """A template's `Loaded`, plus the same resources under each assignment of the conditions
    that an `Fn::If` could not decide (at most `MAX_VARIANT_CONDITIONS`): a control that is
    UNKNOWN on the template but says the same in every variant can say it for the template."""

    variants: list[tuple[str, list[Resource]]] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)


def _build(parsed: Parsed, text: str, file: str, params: Mapping[str, str], inline_ignores: bool) -> Loaded:
    data: dict[str, Any] = parsed.data
    out = TemplateLoaded(files=[file])
    if not isinstance(data.get("Resources"), dict):
        out.errors.append(ParseError(file, "template has no Resources section"))
        return out
    out.errors += _macros(data, file)
    built, owner_of, resolver = _resolve_all(parsed, file, params, None, out.errors)
    out.resources = _resources(parsed, file, built, owner_of, resolver)
    if inline_ignores:
        _collect_ignores(out, built, owner_of, text, file)
    if 0 < len(resolver.undecided) <= MAX_VARIANT_CONDITIONS:
        out.undecided = list(resolver.undecided)
        for values in itertools.product((True, False), repeat=len(out.undecided)):
            forced = dict(zip(out.undecided, values, strict=True))
            v_built, v_owner, v_resolver = _resolve_all(parsed, file, params, forced, [])
            label = ", ".join(f"{k}={'true' if v else 'false'}" for k, v in forced.items())
            out.variants.append((label, _resources(parsed, file, v_built, v_owner, v_resolver)))
    return out


def _resolve_all(
    parsed: Parsed, file: str, params: Mapping[str, str], forced: Mapping[str, bool] | None,
    errors: list[ParseError],
) -> tuple[dict[str, dict[str, Any]], dict[str, str], Resolver]:
    """Every resource's properties resolved (conditions in `forced` taken as given), folded."""
    data: dict[str, Any] = parsed.data
    resolver = Resolver(data, params, forced)
    lines = parsed.resource_lines
    built: dict[str, dict[str, Any]] = {}  # logical id -> {type, properties, name, line, spec}
    for lid, spec in data["Resources"].items():
        lid = str(lid)
        line = lines.get(lid)
        if lid.startswith("Fn::ForEach"):  # language-extension loops expand at deployment
            errors.append(ParseError(file, f"{lid}: an Fn::ForEach loop (AWS::LanguageExtensions) expands at "
                                     "deployment: its resources were not scanned", line, NOT_EXPANDED))
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("Type"), str):
            why = _bad_type(spec)
            kind = NOT_EXPANDED if "Rain module" in why else "parse"
            errors.append(ParseError(file, f"resource {lid}: {why}: not scanned", line, kind))
            continue
        if spec["Type"].endswith("::MODULE"):
            errors.append(ParseError(file, f"resource {lid}: {spec['Type']} is a CloudFormation registry module, "
                                     "expanded at deployment: not scanned", line, NOT_EXPANDED))
            continue
        try:
            if "Condition" in spec and resolver.condition(spec["Condition"]) is False:
                continue
            props = spec.get("Properties", {})
            if spec["Type"] in SAM_TYPES and isinstance(globals_ := _sam_globals(data, spec["Type"]), dict):
                props = {**globals_, **(props if isinstance(props, dict) else {})}
            resolved = resolver.resolve(props) if props is not None else {}
            if resolved is NOVALUE or resolved is None:
                resolved = {}
            name = resolver.resource_ref(lid)
        except CircularReference as exc:
            errors.append(ParseError(file, f"resource {lid}: {exc}", line))
            continue
        except RecursionError:
            errors.append(ParseError(file, f"resource {lid}: nesting too deep", line))
            continue
        type_ = SAM_TYPES.get(spec["Type"], spec["Type"])
        built[lid] = {"type": type_, "properties": resolved, "name": name, "line": line, "spec": spec}
    owner_of = _fold_security_group_rules(built, file)
    return built, owner_of, resolver


def _resources(
    parsed: Parsed, file: str, built: dict[str, dict[str, Any]], owner_of: dict[str, str], resolver: Resolver
) -> list[Resource]:
    account = _known(resolver.pseudo.get("AWS::AccountId"))
    region = _known(resolver.pseudo.get("AWS::Region"))
    out: list[Resource] = []
    for lid, b in built.items():
        if lid in owner_of:
            continue
        props = b["properties"]
        if not isinstance(props, dict):
            why = props if isinstance(props, Unknown) else Unknown("Properties is not a mapping")
            props = UnknownProperties(why)
        out.append(
            Resource(
                type=b["type"],
                id=lid,
                properties=props,
                name=str(b["name"]) if b["name"] is not None else lid,
                account=account,
                region=region,
                tags=_tags(props),
                origin=Origin(account=account, region=region, file=file, line=b["line"]),
            )
        )
    declared = parsed.data.get("Parameters")
    for pname, decl in declared.items() if isinstance(declared, dict) else []:
        out.append(
            Resource(
                type=PARAMETER_TYPE,
                id=str(pname),
                properties=decl if isinstance(decl, dict) else {},
                name=str(pname),
                origin=Origin(file=file, line=parsed.parameter_lines.get(str(pname))),
            )
        )
    return out


_EXPANDED_TRANSFORMS = {"AWS::Serverless-2016-10-31", "AWS::LanguageExtensions"}


def _macros(data: dict[str, Any], file: str) -> list[ParseError]:
    """Transforms other than SAM and the language extensions rewrite the template at deployment."""
    spec = data.get("Transform")
    names = spec if isinstance(spec, list) else [spec] if spec is not None else []
    out = []
    for t in names:
        name = t.get("Name") if isinstance(t, dict) else t
        if isinstance(name, str) and name not in _EXPANDED_TRANSFORMS:
            out.append(ParseError(file, f"Transform {name} is a macro that rewrites the template at deployment: "
                                  "the resources were scanned as written, not as deployed", None, NOT_EXPANDED))
    return out


def _sam_globals(data: dict[str, Any], type_: str) -> Any:
    """SAM `Globals.Function` (etc.): defaults a resource's own properties override."""
    globals_ = data.get("Globals")
    if not isinstance(globals_, dict):
        return None
    return globals_.get(type_.rsplit("::", 1)[-1])


def _bad_type(spec: Any) -> str:
    if not isinstance(spec, dict):
        return "is not a mapping"
    type_ = spec.get("Type")
    if isinstance(type_, dict) and len(type_) == 1:
        ((key, arg),) = type_.items()
        tag = str(key).removeprefix("Fn::")
        if tag.startswith("Rain::"):
            return f"Type is a !{tag} tag ({arg}), a Rain module expanded by `rain pkg`"
        return f"Type is a !{tag} tag, not a resource type name"
    if type_ is None:
        return "has no Type"
    return f"Type {type_!r} is not a resource type name"


def _known(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _tags(props: Any) -> dict[str, str]:
    tags = props.get("Tags") if isinstance(props, dict) else None
    out: dict[str, str] = {}
    if isinstance(tags, list):
        for t in tags:
            if isinstance(t, dict) and isinstance(t.get("Key"), str) and isinstance(t.get("Value"), str | int):
                out[t["Key"]] = str(t["Value"])
    elif isinstance(tags, dict):
        out = {str(k): str(v) for k, v in tags.items() if isinstance(v, str | int)}
    return out


def _fold_security_group_rules(built: dict[str, dict[str, Any]], file: str | None = None) -> dict[str, str]:
    """Append stand-alone SG rules to their group; returns rule logical id -> owner logical id."""
    groups = {lid: b for lid, b in built.items() if b["type"] == "AWS::EC2::SecurityGroup"}
    by_ref: dict[str, str] = {}
    for lid, b in groups.items():
        by_ref[lid] = lid
        if isinstance(b["name"], str):
            by_ref.setdefault(b["name"], lid)
    owner_of: dict[str, str] = {}
    for lid, b in list(built.items()):
        key = SG_RULE_TYPES.get(b["type"])
        if key is None or not isinstance(b["properties"], dict):
            continue
        rule = Piece(b["properties"], file, b["line"])  # findings on the group point at this rule's line
        target = rule.pop("GroupId", None)
        if target is None:
            target = rule.pop("GroupName", None)
        else:
            rule.pop("GroupName", None)
        owner = by_ref.get(target) if isinstance(target, str) else None
        if owner is None:
            # A rule on a group defined elsewhere: a group of its own so controls still see it.
            b["type"] = "AWS::EC2::SecurityGroup"
            b["properties"] = {
                key: [rule],
                "GroupId": target if target is not None else Unknown("rule names no group"),
            }
            continue
        gprops = groups[owner]["properties"]
        if not isinstance(gprops, dict):
            continue
        existing = gprops.get(key)
        if isinstance(existing, Unknown):
            continue
        gprops[key] = [*(existing if isinstance(existing, list) else []), rule]
        owner_of[lid] = owner
    return owner_of


def _collect_ignores(
    out: Loaded, built: dict[str, dict[str, Any]], owner_of: dict[str, str], text: str, file: str
) -> None:
    def owner(lid: str) -> str:
        return owner_of.get(lid, lid)

    for lid, b in built.items():
        meta = b["spec"].get("Metadata")
        entries = meta.get("railguard", {}).get("ignore") if isinstance(meta, dict) and isinstance(
            meta.get("railguard"), dict
        ) else None
        if entries is None:
            continue
        for e in entries if isinstance(entries, list) else [entries]:
            cid = e.get("id") if isinstance(e, dict) else e
            reason = e.get("reason") if isinstance(e, dict) else None
            if not isinstance(cid, str) or not cid:
                out.errors.append(ParseError(file, f"resource {lid}: Metadata.railguard.ignore entry has no id", b["line"]))
            elif not isinstance(reason, str) or not reason.strip():
                out.errors.append(
                    ParseError(file, f"resource {lid}: ignore of {cid} has no reason (a reason is required)", b["line"])
                )
            else:
                out.ignores.append(InlineIgnore(file, cid, reason.strip(), b["line"], owner(lid)))

    comments = scan_ignore_comments(text)
    if not comments:
        return
    starts = sorted((b["line"], lid) for lid, b in built.items() if b["line"])
    all_lines = text.splitlines()
    for ig in comments:
        cid, reason, lineno = ig.control_id, ig.reason, ig.line
        target = _ignore_target(lineno, starts, all_lines)
        if not cid:
            out.errors.append(ParseError(file, "railguard:ignore names no control id", lineno))
        elif not reason:
            out.errors.append(ParseError(file, f"railguard:ignore {cid} has no reason (a reason is required)", lineno))
        elif target is None:
            out.errors.append(ParseError(file, f"railguard:ignore {cid} is not on or above a resource", lineno))
        else:
            out.ignores.append(InlineIgnore(file, cid, reason, lineno, owner(target)))


def _ignore_target(lineno: int, starts: list[tuple[int, str]], lines: list[str]) -> str | None:
    """The resource a comment on `lineno` covers: the logical id on that line; for a comment on
    a line of its own, the next logical id if only comments or blank lines separate them; else
    the resource whose lines contain the comment."""
    containing: str | None = None
    own_line = lines[lineno - 1].lstrip().startswith("#") if 0 < lineno <= len(lines) else True
    for start, lid in starts:
        if start == lineno:
            return lid
        if start > lineno:
            if not own_line:
                break  # a trailing comment covers the resource it sits in
            between = lines[lineno: start - 1]
            if all(not s.strip() or s.lstrip().startswith("#") for s in between):
                return lid
            break
        containing = lid
    return containing

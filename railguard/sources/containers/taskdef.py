"""ECS task definition JSON -> one `AWS::ECS::TaskDefinition` in CloudFormation casing.

Accepted inputs: the document of `aws ecs register-task-definition --cli-input-json` (a
task definition with `containerDefinitions`), and the output of `aws ecs
describe-task-definition` (`{"taskDefinition": {...}, "tags": [...]}`). Keys are turned from
camelCase into the PascalCase CloudFormation uses (`containerDefinitions[].readonlyRootFilesystem`
-> `ContainerDefinitions[].ReadonlyRootFilesystem`, `environment[{name, value}]` ->
`Environment[{Name, Value}]`); free-form maps (`dockerLabels`, log driver `options`, volume
`labels`/`driverOpts`) keep their keys. Fields that only exist in the API response (revision,
status, registeredAt, ...) are dropped; `taskDefinitionArn` becomes the resource's ARN.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from railguard.model import Origin, Resource
from railguard.sources.containers._text import read
from railguard.sources.loaded import Loaded, ParseError

TASK_DEFINITION_TYPE = "AWS::ECS::TaskDefinition"
WHAT = "an ECS task definition"

_KEEP_KEYS = frozenset({"dockerLabels", "options", "labels", "driverOpts"})
_RESPONSE_ONLY = frozenset({
    "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
    "registeredAt", "registeredBy", "deregisteredAt",
})


def load_task_definition(path: Path, text: str | None = None) -> Loaded:
    """Read one task definition file; never raises for bad input (it becomes a `ParseError`).

    `text`: the file's content when the caller has already read it (as valid UTF-8), so the
    file is not read a second time; text with NUL characters is read again to be reported."""
    file = path.as_posix()
    if text is None or "\0" in text:
        read_back = read(path, file, WHAT)
        if isinstance(read_back, ParseError):
            return Loaded(errors=[read_back], files=[file])
        text = read_back
    return parse_task_definition(text, file, default_id=path.stem)


def cfn_case(value: Any) -> Any:
    """camelCase keys -> PascalCase, recursively; free-form maps keep their keys."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            key = k[:1].upper() + k[1:] if isinstance(k, str) else k
            out[key] = v if k in _KEEP_KEYS else cfn_case(v)
        return out
    if isinstance(value, list):
        return [cfn_case(v) for v in value]
    return value


def _line_of(text: str, key: str) -> int | None:
    m = re.search(r'"' + re.escape(key) + r'"\s*:', text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def parse_task_definition(text: str, file: str, default_id: str | None = None) -> Loaded:
    out = Loaded(files=[file])
    if not text.strip():
        out.errors.append(ParseError(file, f"empty file, not {WHAT}"))
        return out
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        out.errors.append(ParseError(file, f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno))
        return out
    except RecursionError:
        out.errors.append(ParseError(file, "JSON nested too deeply"))
        return out
    tags: Any = None
    if isinstance(doc, dict) and isinstance(doc.get("taskDefinition"), dict):
        tags = doc.get("tags")
        doc = doc["taskDefinition"]
    if not isinstance(doc, dict) or "containerDefinitions" not in doc:
        out.errors.append(ParseError(file, f"not {WHAT}: no top-level containerDefinitions (or taskDefinition)", 1))
        return out
    defs = doc["containerDefinitions"]
    line = _line_of(text, "containerDefinitions")
    if not isinstance(defs, list) or not defs:
        out.errors.append(ParseError(file, "containerDefinitions must be a non-empty list of containers", line))
        return out
    bad = [i for i, d in enumerate(defs) if not isinstance(d, dict)]
    if bad:
        out.errors.append(ParseError(file, f"containerDefinitions[{bad[0]}] is not an object", line))
        return out

    props = cfn_case({k: v for k, v in doc.items() if k not in _RESPONSE_ONLY and k != "tags"})
    tag_list = tags if isinstance(tags, list) else doc.get("tags")
    tag_map = {
        str(t.get("key")): str(t.get("value", ""))
        for t in (tag_list if isinstance(tag_list, list) else [])
        if isinstance(t, dict) and t.get("key") is not None
    }
    if tag_map:
        props["Tags"] = [{"Key": k, "Value": v} for k, v in tag_map.items()]
    family = doc.get("family")
    rid = str(family) if isinstance(family, str) and family else (default_id or file)
    arn = doc.get("taskDefinitionArn")
    out.resources.append(
        Resource(
            type=TASK_DEFINITION_TYPE,
            id=rid,
            name=rid,
            arn=arn if isinstance(arn, str) else None,
            properties=props,
            tags=tag_map,
            origin=Origin(file=file, line=_line_of(text, "family") or line),
        )
    )
    return out

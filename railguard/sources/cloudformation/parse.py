"""Read CloudFormation text (JSON or YAML with short tags) into plain Python data plus line numbers.

YAML goes through PyYAML's `compose` (libyaml when available) so every node keeps its mark;
the short tags (`!Ref`, `!GetAtt`, `!Sub`, ...) become their long `Fn::` form so that one
resolver serves both syntaxes. JSON goes through the stdlib parser (fast) and resource lines
are found by a forward scan of the text. Aliases are counted so that an alias bomb is refused
instead of expanded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

ALIAS_BUDGET = 1_000  # re-visits of an already-seen YAML node (aliases) before the file is refused


class TemplateSyntaxError(Exception):
    """The text is not valid JSON/YAML, or is hostile (alias bomb, too deep)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Parsed:
    data: Any
    resource_lines: dict[str, int] = field(default_factory=dict)  # logical id -> 1-based line
    parameter_lines: dict[str, int] = field(default_factory=dict)


def _yaml_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Parsed:
    import yaml

    try:
        loader = _yaml_loader()(text)
        try:  # the first document only: a template is one document
            node = loader.get_node() if loader.check_node() else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise TemplateSyntaxError(f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise TemplateSyntaxError(f"invalid YAML: {exc}") from None
    if node is None:
        return Parsed(None)
    conv = _Converter()
    try:
        data = conv.convert(node)
    except RecursionError:
        raise TemplateSyntaxError("YAML nesting is too deep") from None
    sections: dict[str, dict[str, int]] = {"Resources": {}, "Parameters": {}}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value in sections and isinstance(v, yaml.MappingNode):
                lines = sections[k.value]
                for rk, _ in v.value:
                    if isinstance(rk, yaml.ScalarNode):
                        lines.setdefault(str(rk.value), rk.start_mark.line + 1)
    return Parsed(data, sections["Resources"], sections["Parameters"])


_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)$")
_HEX = re.compile(r"0x[0-9a-fA-F_]+$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")
_BOOL = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class _Converter:
    """Nodes to Python values; short tags to their long form; aliases within a budget."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.aliases = 0

    def convert(self, node: Any) -> Any:
        import yaml

        key = id(node)
        if key in self.seen and not isinstance(node, yaml.ScalarNode):
            self.aliases += 1
            if self.aliases > ALIAS_BUDGET:
                raise TemplateSyntaxError(
                    f"YAML aliases beyond the budget of {ALIAS_BUDGET} (alias bomb?): refused",
                    node.start_mark.line + 1,
                )
        self.seen.add(key)
        tag = node.tag or ""
        if isinstance(node, yaml.ScalarNode):
            value = self._scalar(tag, node.value)
        elif isinstance(node, yaml.SequenceNode):
            value = [self.convert(n) for n in node.value]
        else:
            value = self._mapping(node)
        if tag.startswith("!"):
            return _short_tag(tag, value)
        return value

    def _mapping(self, node: Any) -> dict[Any, Any]:
        import yaml

        out: dict[Any, Any] = {}
        merges: list[Any] = []
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.tag == _MERGE:
                merges.append(self.convert(v))
                continue
            key = self.convert(k)
            if isinstance(key, list | dict):
                key = json.dumps(key, sort_keys=True, default=str)
            elif key is None:
                key = "null"
            out[key] = self.convert(v)
        for m in merges:
            for src in m if isinstance(m, list) else [m]:
                if isinstance(src, dict):
                    for mk, mv in src.items():
                        out.setdefault(mk, mv)
        return out

    @staticmethod
    def _scalar(tag: str, text: str) -> Any:
        if tag == _STR or tag.startswith("!"):
            return text
        if tag.endswith(":null"):
            return None
        if tag.endswith(":bool"):
            return _BOOL.get(text.lower(), text)
        if tag.endswith(":int"):
            if _INT.match(text):
                return int(text.replace("_", ""))
            if _HEX.match(text):
                return int(text.replace("_", ""), 16)
            return text  # octal/sexagesimal forms: keep the text CloudFormation would see
        if tag.endswith(":float"):
            if _FLOAT.match(text):
                try:
                    return float(text.replace("_", ""))
                except ValueError:
                    return text
            return text
        return text  # timestamps and anything else stay text, as CloudFormation reads them


def _short_tag(tag: str, value: Any) -> Any:
    name = tag[1:]
    if name == "Ref":
        return {"Ref": value}
    if name == "Condition":
        return {"Condition": value}
    if name == "GetAtt" and isinstance(value, str):
        head, _, rest = value.partition(".")
        return {"Fn::GetAtt": [head, rest]}
    return {f"Fn::{name}": value}


# --- JSON ------------------------------------------------------------------------------------


def parse_json(text: str) -> Parsed:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateSyntaxError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise TemplateSyntaxError("JSON nesting is too deep") from None
    if not isinstance(data, dict):
        return Parsed(data)
    return Parsed(data, _json_lines(text, data, "Resources"), _json_lines(text, data, "Parameters"))


_JSON_OBJECT_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*\{')


def _json_lines(text: str, data: dict[str, Any], section: str) -> dict[str, int]:
    """Lines of a section's keys, found by one forward scan (keys appear in document order)."""
    lines: dict[str, int] = {}
    if not isinstance(data.get(section), dict):
        return lines
    m = re.search(r'"' + section + r'"\s*:\s*\{', text)
    pos = m.end() if m else 0
    line = text.count("\n", 0, pos) + 1
    wanted = [str(k) for k, v in data[section].items() if isinstance(v, dict)]
    i = 0
    for found in _JSON_OBJECT_KEY.finditer(text, pos):
        if i >= len(wanted):
            break
        if found.group(1) != wanted[i]:
            continue
        line += text.count("\n", pos, found.start())
        pos = found.start()
        lines[wanted[i]] = line
        i += 1
    for key in wanted[i:]:  # a key written with escapes: search it on its own
        alone = re.compile(r'"' + re.escape(key) + r'"\s*:\s*\{').search(text, pos)
        if alone is not None:
            line += text.count("\n", pos, alone.start())
            pos = alone.start()
            lines[key] = line
    return lines

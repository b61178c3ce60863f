"""One safe way to read the YAML railguard is given: bounded size, depth and alias expansion,
duplicate keys refused, and errors that name the file and line.

PyYAML's own loaders expand aliases without limit (an alias bomb of a few hundred bytes costs
gigabytes), recurse once per nesting level (100,000 brackets end in a RecursionError) and keep
the last of two equal keys silently. Here the text is composed into nodes (libyaml when
available), then converted by a walk that counts every node it produces, aliases included, and
refuses the file past a budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
NODE_BUDGET = 200_000  # nodes produced, each alias counted again as it is expanded

_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)$")
_ACCOUNT = re.compile(r"\d{12}$")


class YamlError(ValueError):
    """Refused or unparsable YAML; `line` is 1-based when known."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        super().__init__(f"{source}:{line}: {message}" if line else f"{source}: {message}")
        self.source = source
        self.message = message
        self.line = line


@dataclass
class Loaded:
    data: Any
    node: yaml.Node | None  # for line lookups of later validation errors


def _loader(text: str) -> Any:
    cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return cls(text)


def compose(text: str, source: str, *, max_bytes: int = MAX_BYTES) -> yaml.Node | None:
    if len(text) > max_bytes:
        raise YamlError(source, f"file is {len(text) / 1048576:.1f} MB, above the {max_bytes / 1048576:.0f} MB limit")
    loader = _loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in str(problem):
            problem = "nesting is too deep"
        raise YamlError(source, f"not valid YAML ({problem})", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlError(source, f"not valid YAML ({exc})") from None
    except RecursionError:  # the pure-Python composer recurses once per level
        raise YamlError(source, "not valid YAML (nesting is too deep)") from None
    finally:
        loader.dispose()
    return node


def load(
    text: str, source: str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH,
    node_budget: int = NODE_BUDGET,
) -> Loaded:
    """Parse one YAML document into plain Python data. Raises `YamlError`.

    A plain (unquoted) 12-digit number stays a string: it is an AWS account id far more often
    than a count, and as a number it would lose its leading zeros or fail a string field."""
    node = compose(text, source, max_bytes=max_bytes)
    if node is None:
        return Loaded(None, None)
    return Loaded(_Converter(source, max_depth, node_budget).convert(node, 0), node)


class _Converter:
    def __init__(self, source: str, max_depth: int, budget: int) -> None:
        self.source = source
        self.max_depth = max_depth
        self.budget = budget
        self.constructor = yaml.SafeLoader("")

    def _spend(self, node: yaml.Node, depth: int) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise YamlError(self.source, "too many nodes once aliases are expanded (an alias bomb?): refused",
                            node.start_mark.line + 1)
        if depth > self.max_depth:
            raise YamlError(self.source, f"nesting deeper than {self.max_depth} levels: refused",
                            node.start_mark.line + 1)

    def convert(self, node: yaml.Node, depth: int) -> Any:
        self._spend(node, depth)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(n, depth + 1) for n in node.value]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        raise YamlError(self.source, f"unsupported YAML node {node.tag}", node.start_mark.line + 1)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first: dict[Any, int] = {}
        for k, v in node.value:
            if k.tag == "tag:yaml.org,2002:merge":
                raise YamlError(self.source, "merge keys (<<) are not supported here", k.start_mark.line + 1)
            key = self.convert(k, depth + 1)
            if isinstance(key, list | dict):
                raise YamlError(self.source, "a mapping key must be a plain value", k.start_mark.line + 1)
            line = k.start_mark.line + 1
            if key in first:
                raise YamlError(self.source, f"duplicate key {key!r} (first at line {first[key]})", line)
            first[key] = line
            out[key] = self.convert(v, depth + 1)
        return out

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag.endswith(":int") and not node.style and _ACCOUNT.match(node.value):
            return node.value
        if node.tag.endswith(":int") and not _INT.match(node.value):
            return node.value  # octal (0777) and sexagesimal (1:30) forms: keep the text as written
        try:
            return self.constructor.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise YamlError(self.source, f"cannot read value ({exc.problem})", node.start_mark.line + 1) from None

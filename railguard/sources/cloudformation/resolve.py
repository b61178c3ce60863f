"""Resolve CloudFormation intrinsics where a template decides them; the rest is `Unknown`.

Parameters take `--param` overrides, then their `Default`. Pseudo parameters (`AWS::Region`,
`AWS::AccountId`, `AWS::StackName`, ...) are unknown unless given as `--param AWS::Region=...`;
`AWS::Partition` and `AWS::URLSuffix` default to the commercial partition's values. `Ref` to a
resource gives its physical name when a property sets one (`BucketName`, `GroupName`, ...), else its logical id,
so that `railguard.controls.helpers.refers_to` links a bucket policy to its bucket; an
unresolved expression written exactly like a resource's unresolved name property (or, inside a
`!Sub`, a delimited copy of its `!Sub` name) stands for that same reference.
`Fn::GetAtt` of an identity attribute (`Arn`, `GroupId`, `Id`, ...) is the same reference
(an S3 bucket's `Arn` is `arn:aws:s3:::` + that reference); other attributes are only known after
deployment and are `Unknown`. Conditions with an unknown input make `Fn::If` unknown unless
both branches agree. A reference cycle raises `CircularReference`.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from railguard.model import PartialText, Unknown, find_unknown


class CircularReference(Exception):
    """Resources, conditions or names that refer to each other in a loop."""


class _NoValue:
    """`AWS::NoValue`: the property is removed."""

    def __repr__(self) -> str:
        return "NOVALUE"


NOVALUE = _NoValue()

PSEUDO = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)

# Property that sets a resource's physical name, where it is not `<Last segment>Name`.
NAME_PROPERTIES: Mapping[str, str] = {
    "AWS::EC2::SecurityGroup": "GroupName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": "PolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
    "AWS::RDS::DBSubnetGroup": "DBSubnetGroupName",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "Name",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "Name",
    "AWS::ElasticLoadBalancing::LoadBalancer": "LoadBalancerName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::Events::Rule": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::SSM::Parameter": "Name",
    "AWS::ElastiCache::ReplicationGroup": "ReplicationGroupId",
    "AWS::Elasticsearch::Domain": "DomainName",
    "AWS::OpenSearchService::Domain": "DomainName",
    "AWS::Redshift::Cluster": "ClusterIdentifier",
}

# GetAtt attributes that identify the resource itself (resolved like Ref).
IDENTITY_ATTRIBUTES = frozenset(
    {"Arn", "Id", "GroupId", "KeyId", "VpcId", "TopicArn", "TopicName", "QueueArn", "QueueName",
     "QueueUrl", "Name", "RoleId", "AllocationId", "LoadBalancerArn", "TargetGroupArn"}
)


def name_property(type_: str) -> str:
    if type_ in NAME_PROPERTIES:
        return NAME_PROPERTIES[type_]
    return type_.rsplit("::", 1)[-1] + "Name"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_SUB = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """The intrinsic evaluator of one template."""

    def __init__(
        self,
        template: Mapping[str, Any],
        params: Mapping[str, str] | None = None,
        forced: Mapping[str, bool] | None = None,
    ) -> None:
        overrides = dict(params or {})
        self.resources: Mapping[str, Any] = _mapping(template.get("Resources"))
        self.mappings: Mapping[str, Any] = _mapping(template.get("Mappings"))
        self.conditions: Mapping[str, Any] = _mapping(template.get("Conditions"))
        self.parameters: dict[str, Any] = {}
        for name, decl in _mapping(template.get("Parameters")).items():
            self.parameters[str(name)] = _param_value(str(name), decl, overrides)
        self.pseudo: dict[str, Any] = {k: overrides[k] for k in PSEUDO if k in overrides}
        # The partition and URL suffix default to the commercial partition's: no control turns
        # "arn:aws" into a PASS where "arn:aws-cn" would FAIL, and `arn:${AWS::Partition}:...`
        # is in most templates. A region given with --param picks its partition.
        region = str(self.pseudo.get("AWS::Region", ""))
        partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
        self.pseudo.setdefault("AWS::Partition", partition)
        self.pseudo.setdefault("AWS::URLSuffix", "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com")
        self._names: dict[str, Any] = {}
        self._cond: dict[str, Any] = dict(forced or {})  # conditions set by the caller
        self.undecided: list[str] = []  # named conditions an `Fn::If` met unknown, in order
        self._stack: list[str] = []
        self._name_exprs, self._name_subs = _name_expressions(self.resources)

    # --- public --------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref":
                    return self.ref(arg)
                if isinstance(key, str) and key.startswith("Fn::"):
                    fn = _FUNCTIONS.get(key)
                    if fn is None:
                        return Unknown(f"{key} is not evaluated by railguard")
                    out = fn(self, arg)
                    if isinstance(out, Unknown) and self._name_exprs:
                        return self.same_as_name(value, out)
                    return out
            if "Fn::Transform" in value:
                return Unknown("Fn::Transform output is only known at deployment")
            out = {}
            for k, v in value.items():
                r = self.resolve(v)
                if r is not NOVALUE:
                    out[k] = r
            return out
        if isinstance(value, list):
            items = []
            for v in value:
                r = self.resolve(v)
                if r is not NOVALUE:
                    items.append(r)
            return items
        return value

    def condition(self, name: Any) -> bool | Unknown:
        """A named condition: True, False or Unknown (an input is unknown)."""
        if not isinstance(name, str):
            return Unknown("condition name is not a string")
        if name in self._cond:
            return self._cond[name]
        if name not in self.conditions:
            return Unknown(f"condition {name} is not defined")
        key = f"condition {name}"
        self._enter(key)
        try:
            value = self.evaluate_condition(self.conditions[name])
        finally:
            self._stack.pop()
        self._cond[name] = value
        return value

    def evaluate_condition(self, expr: Any) -> bool | Unknown:
        if isinstance(expr, bool):
            return expr
        if isinstance(expr, str) and expr.lower() in ("true", "false"):
            return expr.lower() == "true"
        if not (isinstance(expr, dict) and len(expr) == 1):
            return Unknown(f"condition expression {str(expr)[:60]!r} is not understood")
        ((key, arg),) = expr.items()
        if key == "Condition":
            return self.condition(arg)
        if key == "Fn::Equals":
            if not (isinstance(arg, list) and len(arg) == 2):
                return Unknown("Fn::Equals needs two values")
            a, b = self.resolve(arg[0]), self.resolve(arg[1])
            u = find_unknown([a, b])
            if u is not None:
                return Unknown(f"Fn::Equals on an unknown value ({u.reason})")
            return _norm(a) == _norm(b)
        if key in ("Fn::And", "Fn::Or"):
            values = [self.evaluate_condition(x) for x in (arg if isinstance(arg, list) else [arg])]
            decisive = key == "Fn::Or"  # Or: any True decides; And: any False decides
            if any(v is decisive for v in values):
                return decisive
            unknowns = [v for v in values if isinstance(v, Unknown)]
            if unknowns:
                return unknowns[0]
            return not decisive
        if key == "Fn::Not":
            inner = arg[0] if isinstance(arg, list) and arg else arg
            v = self.evaluate_condition(inner)
            return v if isinstance(v, Unknown) else not v
        if key == "Ref" or key.startswith("Fn::"):
            v = self.resolve(expr)
            if isinstance(v, bool):
                return v
            if isinstance(v, str) and v.lower() in ("true", "false"):
                return v.lower() == "true"
            return v if isinstance(v, Unknown) else Unknown(f"{key} is not a condition")
        return Unknown(f"condition function {key} is not understood")

    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            return Unknown("Ref to a computed name")
        if name in self.parameters:
            return self.parameters[name]
        if name == "AWS::NoValue":
            return NOVALUE
        if name in PSEUDO:
            return self.pseudo.get(name, Unknown(f"{name} is only known at deployment (set --param {name}=...)"))
        if name in self.resources:
            return self.resource_ref(name)
        return Unknown(f"Ref {name} names nothing in this template")

    def resource_ref(self, lid: str) -> Any:
        """What `Ref` of a resource stands for here: its physical name, else its logical id."""
        if lid in self._names:
            return self._names[lid]
        spec = self.resources.get(lid)
        value: Any = lid
        if isinstance(spec, dict):
            props = spec.get("Properties")
            raw = props.get(name_property(str(spec.get("Type", "")))) if isinstance(props, dict) else None
            if raw is not None:
                self._enter(f"resource {lid}")
                try:
                    resolved = self.resolve(raw)
                finally:
                    self._stack.pop()
                if isinstance(resolved, str | int) and not isinstance(resolved, bool):
                    value = str(resolved)
        self._names[lid] = value
        return value

    def get_att(self, lid: Any, attr: Any) -> Any:
        if not isinstance(lid, str) or lid not in self.resources:
            return Unknown(f"GetAtt of {lid!r}, which is not a resource of this template")
        attr = self.resolve(attr)
        if not isinstance(attr, str):
            return Unknown(f"GetAtt {lid} with a computed attribute")
        spec = self.resources[lid]
        type_ = spec.get("Type") if isinstance(spec, dict) else None
        if attr in IDENTITY_ATTRIBUTES:
            ref = self.resource_ref(lid)
            if type_ == "AWS::S3::Bucket" and attr == "Arn" and isinstance(ref, str):
                return f"arn:{self.pseudo.get('AWS::Partition', 'aws')}:s3:::{ref}"
            return ref
        return Unknown(f"GetAtt {lid}.{attr} is only known after deployment")

    def same_as_name(self, expr: Any, otherwise: Any) -> Any:
        """An unresolved expression written exactly like a resource's unresolved name property
        (`Bucket: !Sub ${App}-logs` and `BucketName: !Sub ${App}-logs`) names that resource in any
        deployment: it stands for the same reference as `Ref` (its logical id)."""
        try:
            key = json.dumps(expr, sort_keys=True, default=str)
        except (TypeError, ValueError):
            return otherwise
        lid = self._name_exprs.get(key)
        if lid is None or f"resource {lid}" in self._stack:
            return otherwise
        return self.resource_ref(lid)

    def name_templates_in(self, template: str) -> str:
        """`template` with each delimited occurrence of a resource's unresolved `!Sub` name
        replaced by `${LogicalId}` (so `arn:aws:s3:::${App}-logs/*` reads as that bucket's ARN)."""
        for text, lid, pattern in self._name_subs:
            if text in template and f"resource {lid}" not in self._stack:
                template = pattern.sub("${" + lid + "}", template)
        return template

    # --- internals -----------------------------------------------------------------------

    def _enter(self, key: str) -> None:
        if key in self._stack:
            loop = [*self._stack[self._stack.index(key):], key]
            raise CircularReference("circular reference: " + " -> ".join(loop))
        if len(self._stack) > 200:
            raise CircularReference("references nest more than 200 deep")
        self._stack.append(key)


def _name_expressions(
    resources: Mapping[str, Any],
) -> tuple[dict[str, str], list[tuple[str, str, re.Pattern[str]]]]:
    """Resources whose name property is an intrinsic: canonical JSON of that expression -> logical
    id, and, for `!Sub` strings, (template, logical id, delimited pattern)."""
    exprs: dict[str, str] = {}
    subs: list[tuple[str, str, re.Pattern[str]]] = []
    for lid, spec in resources.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("Properties"), dict):
            continue
        raw = spec["Properties"].get(name_property(str(spec.get("Type", ""))))
        if not isinstance(raw, dict) or len(raw) != 1:
            continue
        try:
            exprs.setdefault(json.dumps(raw, sort_keys=True, default=str), str(lid))
        except (TypeError, ValueError):
            continue
        arg = raw.get("Fn::Sub")
        if isinstance(arg, list) and len(arg) == 2 and arg[1] == {}:
            arg = arg[0]
        if isinstance(arg, str) and "${" in arg and len(arg) >= 6:
            pattern = re.compile(r"(?<![\w.-])" + re.escape(arg) + r"(?![\w.-])")
            subs.append((arg, str(lid), pattern))
    return exprs, subs


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, bool | int | float):
        return _text(value)
    return value


def _param_value(name: str, decl: Any, overrides: Mapping[str, str]) -> Any:
    decl = decl if isinstance(decl, dict) else {}
    type_ = str(decl.get("Type", "String"))
    if type_.startswith("AWS::SSM::Parameter::Value") and name not in overrides:
        return Unknown(f"parameter {name} is read from SSM Parameter Store at deployment")
    if name in overrides:
        raw: Any = overrides[name]
    elif "Default" in decl:
        raw = decl["Default"]
    else:
        return Unknown(f"parameter {name} has no Default (set --param {name}=...)")
    if isinstance(raw, dict | list) and find_unknown(raw) is None and type_ != "CommaDelimitedList":
        return raw if not isinstance(raw, dict) else Unknown(f"parameter {name} has a non-scalar Default")
    if type_ == "CommaDelimitedList" or type_.startswith("List<"):
        if isinstance(raw, list):
            return [_text(x) for x in raw]
        return [p.strip() for p in _text(raw).split(",")] if _text(raw) != "" else []
    if type_ == "Number":
        text = _text(raw)
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    return _text(raw) if isinstance(raw, bool | int | float) else raw


# --- functions -------------------------------------------------------------------------------


def _unknown_in(value: Any, what: str) -> Unknown | None:
    u = find_unknown(value)
    return Unknown(f"{what}: {u.reason}") if u is not None else None


def _fn_getatt(r: Resolver, arg: Any) -> Any:
    if isinstance(arg, str):
        lid, _, attr = arg.partition(".")
        return r.get_att(lid, attr)
    if isinstance(arg, list) and len(arg) == 2:
        return r.get_att(arg[0], arg[1])
    return Unknown("malformed Fn::GetAtt")


def _fn_sub(r: Resolver, arg: Any) -> Any:
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
        template, variables = r.resolve(arg[0]), arg[1]
    elif isinstance(arg, list) and len(arg) == 1:
        template, variables = r.resolve(arg[0]), {}
    else:
        template, variables = r.resolve(arg), {}
    if isinstance(template, Unknown):
        return template
    if not isinstance(template, str):
        return Unknown("Fn::Sub of a non-string")
    missing: list[Unknown] = []

    def piece(m: re.Match[str]) -> str:
        name = m.group(1).strip()
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            value = r.resolve(variables[name])
        elif name in r.parameters or name in PSEUDO or name in r.resources:
            value = r.ref(name)
        elif "." in name:
            lid, _, attr = name.partition(".")
            value = r.get_att(lid, attr)
        else:
            value = Unknown(f"${{{name}}} names nothing in this template")
        u = find_unknown(value)
        if u is not None:
            missing.append(u)
            return m.group(0)  # kept as written: the known pieces stay readable (PartialText)
        if value is NOVALUE:
            return ""
        if isinstance(value, list):
            return ",".join(_text(v) for v in value)
        return _text(value)

    out = _SUB.sub(piece, template)
    if missing:
        renamed = r.name_templates_in(template) if r._name_subs else template
        if renamed != template:
            return _fn_sub(r, [renamed, variables])
        return PartialText(f"Fn::Sub {template[:80]!r}: {missing[0].reason}", out)
    return out


def _fn_join(r: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2):
        return Unknown("malformed Fn::Join")
    delim, items = r.resolve(arg[0]), r.resolve(arg[1])
    u = _unknown_in([delim, items], "Fn::Join")
    if u is not None:
        if isinstance(delim, str) and isinstance(items, list):  # the known pieces stay readable
            text = delim.join(x.text if isinstance(x, PartialText) else "${?}" if find_unknown(x) is not None
                              else _text(x) for x in items)
            return PartialText(u.reason, text)
        return u
    if not isinstance(items, list):
        return Unknown("Fn::Join of a non-list")
    return _text(delim).join(_text(x) for x in items)


def _fn_select(r: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2):
        return Unknown("malformed Fn::Select")
    index, items = r.resolve(arg[0]), r.resolve(arg[1])
    if isinstance(index, Unknown):
        return index
    if isinstance(items, Unknown):
        return items
    try:
        i = int(index)
    except (TypeError, ValueError):
        return Unknown("Fn::Select index is not a number")
    if not isinstance(items, list) or not 0 <= i < len(items):
        return Unknown("Fn::Select index out of range")
    return items[i]


def _fn_split(r: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2):
        return Unknown("malformed Fn::Split")
    delim, text = r.resolve(arg[0]), r.resolve(arg[1])
    u = _unknown_in([delim, text], "Fn::Split")
    if u is not None:
        return u
    if not isinstance(text, str) or not isinstance(delim, str) or not delim:
        return Unknown("Fn::Split of a non-string")
    return text.split(delim)


def _fn_find_in_map(r: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) in (3, 4)):
        return Unknown("malformed Fn::FindInMap")
    keys = [r.resolve(a) for a in arg[:3]]
    u = _unknown_in(keys, "Fn::FindInMap")
    default = arg[3].get("DefaultValue", NOVALUE) if len(arg) == 4 and isinstance(arg[3], dict) else NOVALUE
    if u is not None:
        return u
    node: Any = r.mappings
    for k in keys:
        node = node.get(_text(k)) if isinstance(node, dict) else None
        if node is None:
            if default is not NOVALUE:
                return r.resolve(default)
            return Unknown(f"Fn::FindInMap {'/'.join(_text(k) for k in keys)} is not in the mappings")
    return r.resolve(node)


def _fn_if(r: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 3):
        return Unknown("malformed Fn::If")
    cond = r.condition(arg[0])
    if cond is True:
        return r.resolve(arg[1])
    if cond is False:
        return r.resolve(arg[2])
    a, b = r.resolve(arg[1]), r.resolve(arg[2])
    if a == b and find_unknown([a] if a is not NOVALUE else []) is None:
        return a
    reason = cond.reason if isinstance(cond, Unknown) else "unknown"
    if isinstance(arg[0], str) and arg[0] not in r.undecided:
        r.undecided.append(arg[0])
    return Unknown(f"depends on condition {arg[0]} ({reason})")


def _fn_condition(r: Resolver, arg: Any, key: str) -> Any:
    return r.evaluate_condition({key: arg})


def _fn_base64(r: Resolver, arg: Any) -> Any:
    return r.resolve(arg)  # kept as plain text so controls can read user data


def _fn_cidr(r: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 3):
        return Unknown("malformed Fn::Cidr")
    vals = [r.resolve(a) for a in arg]
    u = _unknown_in(vals, "Fn::Cidr")
    if u is not None:
        return u
    try:
        net = ipaddress.ip_network(str(vals[0]), strict=False)
        count, bits = int(vals[1]), int(vals[2])
        out = []
        for i, sub in enumerate(net.subnets(new_prefix=net.max_prefixlen - bits)):
            if i >= count:
                break
            out.append(str(sub))
        return out
    except (ValueError, TypeError):
        return Unknown("Fn::Cidr with invalid arguments")


def _fn_length(r: Resolver, arg: Any) -> Any:
    v = r.resolve(arg)
    if isinstance(v, list):
        return len(v)
    return v if isinstance(v, Unknown) else Unknown("Fn::Length of a non-list")


def _fn_to_json_string(r: Resolver, arg: Any) -> Any:
    v = r.resolve(arg)
    u = _unknown_in(v, "Fn::ToJsonString")
    return u if u is not None else json.dumps(v, separators=(",", ":"))


def _constant(reason: str) -> Callable[[Resolver, Any], Any]:
    return lambda r, arg: Unknown(reason)


def _fn_import_value(r: Resolver, arg: Any) -> Any:
    name = r.resolve(arg)
    return Unknown(f"Fn::ImportValue {name if isinstance(name, str) else '(computed)'} comes from another stack")


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Fn::GetAtt": _fn_getatt,
    "Fn::Sub": _fn_sub,
    "Fn::Join": _fn_join,
    "Fn::Select": _fn_select,
    "Fn::Split": _fn_split,
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::If": _fn_if,
    "Fn::Equals": lambda r, a: _fn_condition(r, a, "Fn::Equals"),
    "Fn::And": lambda r, a: _fn_condition(r, a, "Fn::And"),
    "Fn::Or": lambda r, a: _fn_condition(r, a, "Fn::Or"),
    "Fn::Not": lambda r, a: _fn_condition(r, a, "Fn::Not"),
    "Fn::Base64": _fn_base64,
    "Fn::Cidr": _fn_cidr,
    "Fn::Length": _fn_length,
    "Fn::ToJsonString": _fn_to_json_string,
    "Fn::ImportValue": _fn_import_value,
    "Fn::GetAZs": _constant("Fn::GetAZs is only known at deployment"),
    "Fn::Transform": _constant("Fn::Transform output is only known at deployment"),
}

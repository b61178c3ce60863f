"""Every answer is checked for the shape its operation promises before a collector reads it.

A `200 OK` whose body is truncated, foreign (`<Unexpected/>`, `{}`), an HTML page or empty is
not "no resources": botocore reads an unparsable JSON body as `{"message": body}` and a foreign
XML document as `{}`, and a collector reading pages with `.get(key, [])` would then see an empty
account and let its items PASS. Two botocore hooks, registered on every client that
`AccountSession` makes (so every collector, present and future, is covered), raise `BadAnswer`
instead, which collectors and the runner turn into a gap or an `Unknown` like any failed call:

- `before-parse` (the raw body of a 2xx answer): JSON protocols must answer a JSON object,
  CBOR ones a CBOR map, query/EC2 ones an XML document whose root is `<Operation>Response`,
  REST-XML ones the root element listed in `PROMISES`; an empty body is refused when the
  operation's output has body members.
- `after-call` (the parsed answer): the result keys the operation promises must be present,
  even when empty. They come from `PROMISES`, else from the operation's paginator
  (`result_key`), else from the members the model marks required.

The promise of every operation a registered collector calls is checked by the test suite (an
operation without one fails it), so a new collector cannot skip the check.

Known limit: an operation that AWS answers with the result key left out when the list is empty
(`sqs:ListQueues` answers `{}` when a region has no queue) cannot tell that `{}` from a foreign
`{}`; such keys are listed in `omit_when_empty` and their absence is believed only when the
answer carries an AWS request id header (a document made up by a proxy or portal has none).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from railguard.sources.aws.errors import BadAnswer

# IAM action prefixes used in `Collector.calls` that differ from botocore's client name
# (`elasticloadbalancing` covers elb and elbv2 alike: the test suite checks the elbv2 models)
IAM_PREFIX_TO_CLIENT = {"access-analyzer": "accessanalyzer", "elasticfilesystem": "efs", "es": "opensearch",
                        "elasticloadbalancing": "elbv2"}
_REQUEST_ID_HEADERS = ("x-amzn-requestid", "x-amz-request-id", "x-amz-id-2")
_JSON = ("json", "rest-json")
_QUERY = ("query", "ec2")


@dataclass(frozen=True)
class Promise:
    keys: tuple[str, ...] = ()  # present in the parsed answer, even if empty
    root: tuple[str, ...] = ()  # REST-XML: the local name of the body's root element (one of)
    json_body: tuple[str, ...] | None = None  # a raw JSON body (GetBucketPolicy): must be an object with these
    omit_when_empty: tuple[str, ...] = ()  # may be absent, when the answer is from AWS (request id)


def _k(*keys: str) -> Promise:
    return Promise(keys=keys)


# `client:Operation` (botocore client name) -> what a good answer holds. Paginated operations
# need no entry unless the paginator's result keys say too much or too little.
PROMISES: dict[str, Promise] = {
    "sts:GetCallerIdentity": _k("Account"),
    "ec2:DescribeRegions": _k("Regions"),
    "ec2:GetEbsEncryptionByDefault": _k("EbsEncryptionByDefault"),
    "ec2:DescribeInstanceAttribute": _k("InstanceId"),
    "cloudtrail:DescribeTrails": _k("trailList"),
    "cloudtrail:GetTrailStatus": _k("IsLogging"),
    "cloudtrail:GetEventSelectors": _k("TrailARN"),
    "cloudfront:ListDistributions": Promise(keys=("DistributionList",), root=("DistributionList",)),
    "cloudwatch:DescribeAlarms": _k("MetricAlarms"),  # asked for metric alarms only
    "config:DescribeConfigurationRecorders": _k("ConfigurationRecorders"),
    "config:DescribeConfigurationRecorderStatus": _k("ConfigurationRecordersStatus"),
    "dynamodb:DescribeTable": _k("Table"),
    "eks:DescribeCluster": _k("cluster"),
    "elbv2:DescribeLoadBalancerAttributes": _k("Attributes"),
    "guardduty:GetDetector": _k("Status"),
    "iam:GetAccountAuthorizationDetails": _k("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"),
    "iam:GetPolicyVersion": _k("PolicyVersion"),
    "iam:GenerateCredentialReport": _k("State"),
    "iam:GetCredentialReport": _k("Content"),
    "iam:GetAccountSummary": _k("SummaryMap"),
    "iam:GetAccountPasswordPolicy": _k("PasswordPolicy"),
    "kms:DescribeKey": _k("KeyMetadata"),
    "kms:GetKeyRotationStatus": _k("KeyRotationEnabled"),
    "kms:GetKeyPolicy": _k("Policy"),
    "ecr:GetRepositoryPolicy": _k("policyText"),
    "mq:DescribeBroker": _k("BrokerId"),
    "opensearch:ListDomainNames": _k("DomainNames"),
    "opensearch:DescribeDomains": _k("DomainStatusList"),
    "lambda:GetPolicy": _k("Policy"),
    "lambda:GetFunctionUrlConfig": _k("FunctionUrl", "AuthType"),
    "secretsmanager:GetResourcePolicy": _k("ARN"),
    "s3:ListBuckets": Promise(keys=("Buckets",), root=("ListAllMyBucketsResult",)),
    "s3:GetBucketLocation": Promise(root=("LocationConstraint",)),
    "s3:GetBucketPolicy": Promise(keys=("Policy",), json_body=("Statement",)),
    "s3:GetPublicAccessBlock": Promise(keys=("PublicAccessBlockConfiguration",),
                                       root=("PublicAccessBlockConfiguration",)),
    "s3:GetBucketEncryption": Promise(keys=("ServerSideEncryptionConfiguration",),
                                      root=("ServerSideEncryptionConfiguration",)),
    # moto answers a never-versioned bucket with <GetBucketVersioningResponse/>
    "s3:GetBucketVersioning": Promise(root=("VersioningConfiguration", "GetBucketVersioningResponse")),
    "s3:GetBucketLogging": Promise(root=("BucketLoggingStatus",)),
    "s3:GetBucketAcl": Promise(keys=("Grants",), root=("AccessControlPolicy",)),
    "s3control:GetPublicAccessBlock": Promise(keys=("PublicAccessBlockConfiguration",),
                                              root=("PublicAccessBlockConfiguration",)),
    "rds:DescribeDBSnapshotAttributes": _k("DBSnapshotAttributesResult"),
    "rds:DescribeDBClusterSnapshotAttributes": _k("DBClusterSnapshotAttributesResult"),
    "securityhub:DescribeHub": _k("HubArn"),
    "sns:GetTopicAttributes": _k("Attributes"),
    "sqs:ListQueues": Promise(omit_when_empty=("QueueUrls",)),
    "sqs:GetQueueAttributes": _k("Attributes"),
}


def client_name(iam_prefix: str) -> str:
    return IAM_PREFIX_TO_CLIENT.get(iam_prefix, iam_prefix)


def promise_for(operation_model: Any) -> Promise | None:
    """What a good answer to this botocore operation holds, or None when nothing is known."""
    service = operation_model.service_model.service_name
    name = f"{service}:{operation_model.name}"
    if name in PROMISES:
        return PROMISES[name]
    keys = _paginator_keys(operation_model)
    if keys:
        return Promise(keys=keys)
    shape = operation_model.output_shape
    required = tuple(getattr(shape, "required_members", ()) or ()) if shape is not None else ()
    return Promise(keys=required) if required else None


_PAGINATOR_CACHE: dict[str, dict[str, Any]] = {}


def _paginator_keys(operation_model: Any) -> tuple[str, ...]:
    service_model = operation_model.service_model
    service = service_model.service_name
    if service not in _PAGINATOR_CACHE:
        from botocore.loaders import create_loader

        try:
            model = create_loader().load_service_model(service, "paginators-1", service_model.api_version)
            _PAGINATOR_CACHE[service] = model.get("pagination", {})
        except Exception:  # a service without paginators
            _PAGINATOR_CACHE[service] = {}
    cfg = _PAGINATOR_CACHE[service].get(operation_model.name) or {}
    keys = cfg.get("result_key") or []
    if isinstance(keys, str):
        keys = [keys]
    # a result key may be a JMESPath expression (`Reservations[].Instances`): its first member
    return tuple(dict.fromkeys(k.split("[", 1)[0].split(".", 1)[0] for k in keys))


def _has_body_members(operation_model: Any) -> bool:
    shape = operation_model.output_shape
    if shape is None:
        return False
    members = getattr(shape, "members", {}) or {}
    return any(m.serialization.get("location") in (None, "") for m in members.values())


def _from_aws(headers: Any) -> bool:
    lower = {str(k).lower() for k in (headers or {})}
    return any(h in lower for h in _REQUEST_ID_HEADERS)


def _xml_root(body: bytes) -> str | None:
    """The local name of the root element, or None when the body is not a whole XML document."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    return root.tag.rsplit("}", 1)[-1]


def check_body(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """`before-parse` hook: the raw 2xx body is a document of the operation's protocol."""
    status = int(response_dict.get("status_code") or 0)
    if status < 200 or status >= 300 or operation_model.has_streaming_output:
        return
    body = response_dict.get("body") or b""
    if isinstance(body, str):
        body = body.encode("utf-8", "replace")
    protocol = operation_model.service_model.resolved_protocol
    promise = promise_for(operation_model)
    op = _op_name(operation_model)

    def bad(why: str) -> BadAnswer:
        return BadAnswer(op, status, why, body, response_dict.get("headers"))

    if not body.strip():
        if _has_body_members(operation_model) or (promise and (promise.keys or promise.root)):
            raise bad("empty body")
        return
    if not _has_body_members(operation_model) and not promise:
        return  # an operation that answers nothing (kms:EnableKeyRotation): any body means done
    if promise is not None and promise.json_body is not None:
        try:
            doc = json.loads(body)
        except ValueError:
            raise bad("the body is not JSON") from None
        if not isinstance(doc, dict) or any(k not in doc for k in promise.json_body):
            raise bad(f"the JSON body has no {', '.join(promise.json_body)}")
        return
    if protocol in _JSON:
        try:
            doc = json.loads(body)
        except ValueError:
            raise bad("the body is not JSON (truncated, or not an AWS answer)") from None
        if not isinstance(doc, dict):
            raise bad("the body is not a JSON object")
    elif protocol == "smithy-rpc-v2-cbor":
        if not 0xA0 <= body[0] <= 0xBF:  # CBOR major type 5: a map
            raise bad("the body is not a CBOR map")
    elif protocol in _QUERY:
        root = _xml_root(body)
        if root is None:
            raise bad("the body is not a whole XML document (truncated, or not an AWS answer)")
        if root != f"{operation_model.name}Response":
            raise bad(f"unexpected document <{root}> (expected <{operation_model.name}Response>)")
    elif protocol == "rest-xml" and promise is not None and promise.root:
        root = _xml_root(body)
        if root is None:
            raise bad("the body is not a whole XML document (truncated, or not an AWS answer)")
        if root not in promise.root:
            raise bad(f"unexpected document <{root}> (expected <{promise.root[0]}>)")


def check_parsed(http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
    """`after-call` hook: the parsed 2xx answer holds the keys the operation promises."""
    status = int(getattr(http_response, "status_code", 0) or 0)
    if status < 200 or status >= 300 or not isinstance(parsed, dict):
        return
    promise = promise_for(model)
    if promise is None:
        return
    missing = [k for k in promise.keys if k not in parsed]
    headers = getattr(http_response, "headers", None)
    if promise.omit_when_empty and not _from_aws(headers):
        missing += [k for k in promise.omit_when_empty if k not in parsed]
    if missing:
        body = getattr(http_response, "content", b"") or b""
        raise BadAnswer(_op_name(model), status, f"the answer has no {', '.join(missing)}", body, headers)


def _op_name(operation_model: Any) -> str:
    return f"{operation_model.service_model.service_name}:{operation_model.name}"


def install(client: Any) -> None:
    """Check every answer this botocore client receives."""
    client.meta.events.register("before-parse", check_body)
    client.meta.events.register("after-call", check_parsed)

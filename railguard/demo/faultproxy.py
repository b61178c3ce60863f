"""A small HTTP proxy in front of moto for the lab: latency, faults and a request count.

Real AWS answers in tens of milliseconds, denies calls, throttles, fails, and (through a
corporate proxy, a captive portal or a half-implemented emulator) sometimes answers `200 OK`
with a body that is not the answer; moto does none of that. The proxy adds a fixed delay per
request, answers chosen calls with a fault, and counts every request it receives, so tests and
benchmarks can exercise and measure those paths honestly. Binds to 127.0.0.1 only.

Fault kinds (`Fault.kind`):

- errors in the wire format of the service's protocol: `deny` (AccessDenied), `throttle`
  (throttling, every attempt), `error` (HTTP 500 InternalFailure);
- `200 OK` with a bad body: `truncated` (the real answer cut in half), `foreign-xml`
  (`<Unexpected/>`), `foreign-json` (`{}`), `html` (a sign-in page), `empty`; these are made
  by the proxy, not by AWS, so they carry no AWS request id (except `truncated`);
- transport: `stall` (accept, never answer, until `stall_s` or the proxy stops), `reset`
  (close the connection with a TCP reset before answering).

`pass` forwards the request unchanged: listed before a broader fault, it carves out an exception
(faults are tried in order, the first that matches answers).

`Fault.body` replaces the generated body (an error message or a bad body quoting a secret,
for redaction tests).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_CRED = re.compile(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/aws4_request")
_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "content-length"}
_REST_JSON = {"efs", "elasticfilesystem", "guardduty", "securityhub", "access-analyzer", "lambda"}


ERRORS = ("deny", "throttle", "error")
BAD_BODIES = ("truncated", "foreign-xml", "foreign-json", "html", "empty")
TRANSPORT = ("stall", "reset")
KINDS = ERRORS + BAD_BODIES + TRANSPORT + ("pass",)

_GENERATED = {
    "foreign-xml": ("text/xml", b"<Unexpected/>"),
    "foreign-json": ("application/json", b"{}"),
    "html": ("text/html; charset=utf-8", b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
             b"<body><form action=\"/login\"><input name=\"user\"></form></body></html>\n"),
    "empty": ("application/json", b""),
}


@dataclass(frozen=True)
class Fault:
    """Answer matching requests with `kind` (see `KINDS`). None matches anything."""

    kind: str
    service: str | None = None  # SigV4 signing name: iam, s3, ec2, logs, monitoring, ...
    action: str | None = None  # e.g. GetBucketPolicy is matched by "GET" on s3 only via service
    region: str | None = None
    body: bytes | None = None  # instead of the generated body or error message

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; choose from {', '.join(KINDS)}")

    def matches(self, req: Request) -> bool:
        return (self.service in (None, req.service) and self.action in (None, req.action)
                and self.region in (None, req.region))


@dataclass
class Request:
    service: str
    region: str
    action: str
    protocol: str  # ec2 | query | json | rest-xml | rest-json


@dataclass
class ProxyState:
    upstream: str
    delay_s: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    stall_s: float = 120.0
    stopping: threading.Event = field(default_factory=threading.Event)
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())


def classify(method: str, path: str, headers: dict[str, str], body: bytes) -> Request:
    m = _CRED.search(headers.get("authorization", ""))
    region, service = (m.group(1), m.group(2)) if m else ("us-east-1", "unknown")
    target = headers.get("x-amz-target")
    if target:
        return Request(service, region, target.rsplit(".", 1)[-1], "json")
    ctype = headers.get("content-type", "")
    if method == "POST" and "x-www-form-urlencoded" in ctype:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        return Request(service, region, action, "ec2" if service == "ec2" else "query")
    if service == "s3":
        query = urlsplit(path).query
        sub = query.split("=")[0].split("&")[0] if query else ""
        return Request(service, region, f"{method} {sub}".strip(), "rest-xml")
    proto = "rest-json" if service in _REST_JSON else "rest-xml"
    return Request(service, region, f"{method} {urlsplit(path).path}", proto)


def error_response(req: Request, kind: str, message: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    if kind == "deny":
        code = {"json": "AccessDeniedException", "rest-json": "AccessDeniedException",
                "ec2": "UnauthorizedOperation"}.get(req.protocol, "AccessDenied")
        status, msg = 403, f"User is not authorized to perform {req.service}:{req.action}"
    elif kind == "throttle":
        code = {"json": "ThrottlingException", "rest-json": "ThrottlingException",
                "ec2": "RequestLimitExceeded", "rest-xml": "SlowDown"}.get(req.protocol, "Throttling")
        status, msg = (503 if req.protocol == "rest-xml" else 400), "Rate exceeded"
    else:
        code, status, msg = "InternalFailure", 500, "injected failure"
    if message is not None:
        msg = message.decode("utf-8", "replace")
    if req.protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": msg}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body
    if req.protocol == "ec2":
        xml = f"<Response><Errors><Error><Code>{code}</Code><Message>{msg}</Message></Error></Errors><RequestID>rg</RequestID></Response>"
    elif req.protocol == "query":
        xml = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{msg}</Message></Error><RequestId>rg</RequestId></ErrorResponse>"
    else:
        xml = f"<Error><Code>{code}</Code><Message>{msg}</Message><RequestId>rg</RequestId></Error>"
    return status, {"Content-Type": "text/xml"}, ('<?xml version="1.0" encoding="UTF-8"?>' + xml).encode()


def _handler(state: ProxyState) -> type[BaseHTTPRequestHandler]:
    up = urlsplit(state.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            req = classify(self.command, self.path, headers, body)
            with state.lock:
                state.counts[f"{req.service}:{req.action}"] += 1
            if state.delay_s:
                time.sleep(state.delay_s)
            fault = next((f for f in list(state.faults) if f.matches(req)), None)
            if fault is None or fault.kind in ("pass", "truncated"):
                status, out_headers, data = self._forward(body)
                if fault is not None and fault.kind == "truncated" and status < 300:
                    data = fault.body if fault.body is not None else data[: len(data) // 2]
                self._reply(status, out_headers, data)
            elif fault.kind in ERRORS:
                self._reply(*error_response(req, fault.kind, fault.body))
            elif fault.kind in _GENERATED:
                ctype, data = _GENERATED[fault.kind]
                self._reply(200, {"Content-Type": ctype}, data if fault.body is None else fault.body)
            elif fault.kind == "stall":
                state.stopping.wait(state.stall_s)
                self.close_connection = True
            else:  # reset: RST instead of an answer
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True

        def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
            conn = http.client.HTTPConnection(up.hostname or "127.0.0.1", up.port or 80, timeout=120)
            try:
                fwd = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                conn.request(self.command, self.path, body=body or None, headers=fwd)
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, {k: v for k, v in resp.getheaders() if k.lower() not in _HOP}, data
            finally:
                conn.close()

        def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

    return Handler


class FaultProxy:
    """`with FaultProxy(upstream, delay_s=0.05, faults=[Fault("deny", service="s3")]) as url: ...`"""

    def __init__(
        self, upstream: str, *, delay_s: float = 0.0, faults: list[Fault] | None = None, stall_s: float = 120.0
    ) -> None:
        self.state = ProxyState(upstream, delay_s, list(faults or []), stall_s=stall_s)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def set_faults(self, faults: list[Fault]) -> None:
        """Switch faults for the next requests (the proxy keeps running)."""
        self.state.faults = list(faults)

    def __exit__(self, *exc: object) -> None:
        self.state.stopping.set()  # release stalled requests
        self.server.shutdown()
        self.server.server_close()

"""A scripted HTTP endpoint on 127.0.0.1 standing in for Slack and for a generic webhook."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Endpoint:
    """Answers each POST with the next scripted reply: an HTTP status, or "hang" (no answer until closed)."""

    url: str = ""
    script: list[int | str] = field(default_factory=list)
    default: int = 200
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_reply(self) -> int | str:
        with self.lock:
            return self.script.pop(0) if self.script else self.default


def _handler(ep: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with ep.lock:
                ep.bodies.append(body)
                ep.headers.append({k.lower(): v for k, v in self.headers.items()})
            reply = ep.next_reply()
            if reply == "hang":
                ep.stop.wait(30)  # the client gives up first; the fixture releases us at teardown
                return
            assert isinstance(reply, int)
            text = b"ok" if reply < 300 else b"server trouble"
            self.send_response(reply)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    return Handler


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ep))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    ep.url = f"http://{host!s}:{port}/services/T000/B000/hook"
    try:
        yield ep
    finally:
        ep.stop.set()
        server.shutdown()
        server.server_close()

"""An opt-in Prometheus text endpoint for the worker: `GET /metrics` on 127.0.0.1 by default."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def render(counters: Mapping[str, int | float], prefix: str = "railguard_watch") -> str:
    lines = []
    for name, value in sorted(counters.items()):
        metric = f"{prefix}_{name}_total" if isinstance(value, int) else f"{prefix}_{name}"
        kind = "counter" if isinstance(value, int) else "gauge"
        lines += [f"# TYPE {metric} {kind}", f"{metric} {value}"]
    return "\n".join(lines) + "\n"


class MetricsServer:
    """Serves `render(snapshot())`; stops with `close()` (a daemon thread: never outlives the process)."""

    def __init__(self, snapshot: Callable[[], Mapping[str, int | float]], port: int, host: str = "127.0.0.1") -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] != "/metrics":
                    self.send_error(404)
                    return
                body = render(snapshot()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:  # no access log on stderr
                return

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="railguard-metrics", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

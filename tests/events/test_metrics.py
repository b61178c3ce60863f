"""`railguard watch --metrics-port`: the Prometheus text endpoint, on 127.0.0.1 unless asked otherwise."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from railguard.events.metrics import MetricsServer, render


def test_render_counters_and_gauges() -> None:
    text = render({"records": 3, "in_flight": 2.0})
    assert "# TYPE railguard_watch_records_total counter\nrailguard_watch_records_total 3\n" in text
    assert "# TYPE railguard_watch_in_flight gauge\nrailguard_watch_in_flight 2.0\n" in text


def test_server_serves_live_counters_on_loopback_only() -> None:
    counters = {"records": 0, "dead_lettered": 0}
    server = MetricsServer(lambda: counters, 0)
    try:
        assert server.server.server_address[0] == "127.0.0.1"
        url = f"http://127.0.0.1:{server.port}"
        counters["records"] = 41
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
            assert resp.headers["Content-Type"].startswith("text/plain")
            body = resp.read().decode()
        assert "railguard_watch_records_total 41" in body and "railguard_watch_dead_lettered_total 0" in body
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(f"{url}/other", timeout=10)
        assert exc.value.code == 404
    finally:
        server.close()

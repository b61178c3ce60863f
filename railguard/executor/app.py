"""The Celery application both sides share: the coordinator sends by task name, `railguard worker`
runs `railguard.executor.tasks`. Results never travel through Celery (they are written to the
store), so the result backend is optional and every task ignores its result.

Delivery settings chosen for "no lost and no double work": `acks_late` (a message is acknowledged
after its task ran, so a worker killed mid-task leaves it to be delivered again),
`reject_on_worker_lost` (a child killed for memory gives its message back at once), a prefetch of
one (a busy worker does not sit on messages another could run), and JSON only (no pickle).
"""

from __future__ import annotations

from typing import Any

TASKS = "railguard.executor.tasks"
SQS_PREFIXES = ("sqs://", "sqs+")


def make_app(broker: str, result_backend: str | None = None, *, queue: str = "railguard",
             visibility_timeout: float = 3600.0, extra: dict[str, Any] | None = None,
             transport_options: dict[str, Any] | None = None) -> Any:
    from celery import Celery

    app = Celery("railguard", broker=broker, backend=result_backend, include=[TASKS])
    transport: dict[str, Any] = {"visibility_timeout": visibility_timeout}
    if is_sqs(broker):
        # `sqs://` is AWS in AWS_REGION with the worker's own credentials; `sqs://HOST:PORT` another endpoint
        transport.update({"region": _sqs_region(), "queue_name_prefix": "railguard-", "wait_time_seconds": 10})
    transport.update(transport_options or {})
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_default_queue=queue,
        task_create_missing_queues=True,
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        railguard_queue=queue,
        **(extra or {}),
    )
    return app


def is_sqs(broker: str) -> bool:
    return broker.startswith(SQS_PREFIXES)


def _sqs_region() -> str:
    import os

    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def send(app: Any, kind: str, tid: str, attempt: int, queue: str) -> None:
    from railguard.store.tasks import celery_id

    app.send_task(f"railguard.{kind}", args=[tid, attempt], task_id=celery_id(tid, attempt), queue=queue)

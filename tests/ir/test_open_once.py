"""One active case per subject: `CaseRepo.open_once` under concurrent triggers (two workers, a redelivery)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from railguard.store import Store
from railguard.store import cases as C


def test_concurrent_requests_open_one_case_per_subject(store: Store) -> None:
    def ask(i: int) -> tuple[str, bool]:
        subject = "i-0aaaaaaaaaaaaaaaa" if i % 2 else "i-0bbbbbbbbbbbbbbbb"
        case, opened = store.cases.open_once(kind="isolate", subject=subject, account="123456789012",
                                             region="us-east-1", subject_type="AWS::EC2::Instance",
                                             trigger=f"test:{i}", params={})
        return case.id, opened

    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(ask, range(16)))
    assert sum(opened for _, opened in got) == 2  # one per subject
    assert len({cid for cid, _ in got}) == 2
    # a released case no longer holds the subject; another kind or account is another case
    first = store.cases.query(subject="i-0aaaaaaaaaaaaaaaa")[0]
    store.cases.update(first.id, status=C.RELEASED)
    again, opened = store.cases.open_once(kind="isolate", subject="i-0aaaaaaaaaaaaaaaa", account="123456789012",
                                         subject_type="AWS::EC2::Instance")
    assert opened and again.id != first.id
    other, opened = store.cases.open_once(kind="isolate", subject="i-0aaaaaaaaaaaaaaaa", account="210987654321",
                                         subject_type="AWS::EC2::Instance")
    assert opened and other.id != again.id
    assert store.cases.active("isolate", "i-0aaaaaaaaaaaaaaaa", "123456789012").id == again.id  # type: ignore[union-attr]

"""SNS topic encryption, live and template."""

from __future__ import annotations

from railguard.model import Result, Unknown
from tests.controls.logging_fixtures import IAC, live, results, run, tpl

TOPIC = "AWS::SNS::Topic"


def test_topic_encrypted() -> None:
    out = results(run("sns.topic-encrypted", live(TOPIC, "a", {"TopicName": "enc", "KmsMasterKeyId": "alias/aws/sns"},
                                                  name="enc"),
                      live(TOPIC, "b", {"TopicName": "plain"}, name="plain"),
                      live(TOPIC, "c", {"TopicName": "denied", "KmsMasterKeyId": Unknown("denied")}, name="denied")))
    assert out["enc"][0] == Result.PASS and out["plain"][0] == Result.FAIL and out["denied"][0] == Result.UNKNOWN
    tout = results(run("sns.topic-encrypted", tpl(TOPIC, "T", {"KmsMasterKeyId": "Key"}), tpl(TOPIC, "P", {}),
                       place=IAC))
    assert tout["T"][0] == Result.PASS and tout["P"][0] == Result.FAIL

"""The CIS section 4 monitoring chain: trail -> log group -> metric filter -> alarm -> confirmed subscriber."""

from __future__ import annotations

from typing import Any

import pytest

from railguard.controls import all_controls, get_control
from railguard.controls.metricfilters import REQUIREMENTS
from railguard.frameworks import load
from railguard.model import Gap, Result, Unknown
from tests.controls.logging_fixtures import ACCT, HOME, LOG_GROUP_ARN, TOPIC, account, live, one, trail

ROOT_PATTERN = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'


def mfilter(pattern: str = ROOT_PATTERN, *, group: str = "trail-logs", name: str = "root", metric: str = "RootUsage",
            region: str = HOME) -> Any:
    return live("AWS::Logs::MetricFilter", f"{region}:{group}:{name}", {
        "FilterName": name, "LogGroupName": group, "FilterPattern": pattern,
        "MetricTransformations": [{"MetricName": metric, "MetricNamespace": "CIS", "MetricValue": "1"}],
    }, region=region, name=name)


def alarm(name: str = "root-alarm", *, metric: str = "RootUsage", actions: list[str] | None = None,
          **props: Any) -> Any:
    arn = f"arn:aws:cloudwatch:{HOME}:{ACCT}:alarm:{name}"
    return live("AWS::CloudWatch::Alarm", arn, {"AlarmName": name, "MetricName": metric, "Namespace": "CIS",
                                                "AlarmActions": [TOPIC] if actions is None else actions, **props},
                arn=arn, name=name)


def sub(topic: str = TOPIC, confirmed: bool = True) -> Any:
    sid = f"{topic}:abc" if confirmed else f"{topic}#PendingConfirmation#0"
    return live("AWS::SNS::Subscription", sid, {"TopicArn": topic, "Protocol": "email", "Endpoint": "sec@example.com"},
                live_facts={"confirmed": confirmed})


def good_trail(**over: Any) -> Any:
    return trail("main", CloudWatchLogsLogGroupArn=LOG_GROUP_ARN, **over)


def chain(*extra: Any, trail_: Any = None, filt: Any = None, alarm_: Any = None, sub_: Any = None,
          gaps: tuple[Gap, ...] = (), control: str = "cloudwatch.alarm-root-usage") -> Any:
    parts = [account(), trail_ if trail_ is not None else good_trail(),
             filt if filt is not None else mfilter(), alarm_ if alarm_ is not None else alarm(),
             sub_ if sub_ is not None else sub(), *extra]
    return one(control, *[p for p in parts if p is not False], gaps=gaps)


def test_full_chain_passes() -> None:
    f = chain()
    assert f.result == Result.PASS, f.reason
    assert f.evidence["alarm"] == "root-alarm" and f.evidence["topic"] == TOPIC


def test_chain_also_answers_root_access_key_use() -> None:
    assert chain(control="cloudwatch.alarm-root-access-key-use").result == Result.PASS


def test_missing_trail_link() -> None:
    f = chain(trail_=trail("main"))
    assert f.result == Result.FAIL and f.evidence["missing"] == "trail"
    assert f.evidence["trails"]["main"] == ["no CloudWatch Logs delivery"]
    f = chain(trail_=good_trail(IsMultiRegionTrail=False))
    assert f.result == Result.FAIL and f.evidence["trails"]["main"] == ["not multi-region"]
    f = chain(trail_=good_trail(IsLogging=False))
    assert f.result == Result.FAIL and f.evidence["missing"] == "trail"


def test_missing_filter_link() -> None:
    f = chain(filt=mfilter('{ $.eventName = "ConsoleLogin" }'))
    assert f.result == Result.FAIL and f.evidence["missing"] == "metric filter"
    assert f.evidence["filters_checked"]["root"].startswith("pattern misses")
    assert "trail-logs (us-east-1)" in f.evidence["log_groups"]
    # a covering filter on another log group does not count
    f = chain(filt=mfilter(group="other-group"))
    assert f.result == Result.FAIL and f.evidence["missing"] == "metric filter"
    # nor in another region
    f = chain(filt=mfilter(region="eu-west-1"))
    assert f.result == Result.FAIL and f.evidence["missing"] == "metric filter"


def test_missing_alarm_link() -> None:
    f = chain(alarm_=alarm(metric="SomethingElse"))
    assert f.result == Result.FAIL and f.evidence["missing"] == "alarm"
    assert f.evidence["metrics"] == ["CIS/RootUsage"]
    f = chain(alarm_=alarm(ActionsEnabled=False))
    assert f.result == Result.FAIL and f.evidence["alarms"] == {"root-alarm": "actions disabled"}


def test_metric_math_alarm_counts() -> None:
    math = alarm(metric="", Metrics=[{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "CIS", "MetricName": "RootUsage"}}}])
    assert chain(alarm_=math).result == Result.PASS


def test_missing_subscriber_link() -> None:
    f = chain(alarm_=alarm(actions=[]))
    assert f.result == Result.FAIL and f.evidence["missing"] == "subscriber"
    assert f.evidence["alarms"] == {"root-alarm": "no SNS topic among its actions"}
    f = chain(sub_=sub(confirmed=False))
    assert f.result == Result.FAIL and f.evidence["alarms"] == {"root-alarm": "its SNS topic has only unconfirmed subscriptions"}
    f = chain(sub_=sub(topic=TOPIC + "-other"))
    assert f.result == Result.FAIL and f.evidence["alarms"] == {"root-alarm": "its SNS topic has no subscriber"}


def test_topic_in_another_account_is_unknown() -> None:
    foreign = "arn:aws:sns:us-east-1:999999999999:central-alerts"
    f = chain(alarm_=alarm(actions=[foreign]))
    assert f.result == Result.UNKNOWN and "another account" in f.reason


def test_unknowns_and_gaps_never_pass() -> None:
    f = chain(filt=mfilter(Unknown("denied")))  # type: ignore[arg-type]
    assert f.result == Result.UNKNOWN
    f = chain(filt=mfilter("[a, b]"))
    assert f.result == Result.UNKNOWN and "not understood" in f.reason
    f = chain(trail_=good_trail(IsLogging=Unknown("GetTrailStatus denied")))
    assert f.result == Result.UNKNOWN and f.evidence["missing"] == "trail"
    gap = Gap("AWS::Logs::MetricFilter", ACCT, HOME, "access denied (AccessDeniedException) on logs:DescribeMetricFilters")
    f = chain(filt=mfilter('{ $.eventName = "ConsoleLogin" }'), gaps=(gap,))
    assert f.result == Result.UNKNOWN and "DescribeMetricFilters" in f.reason
    gap = Gap("AWS::CloudWatch::Alarm", ACCT, HOME, "access denied")
    f = chain(alarm_=alarm(metric="Other"), gaps=(gap,))
    assert f.result == Result.UNKNOWN
    gap = Gap("AWS::SNS::Subscription", ACCT, HOME, "access denied")
    f = chain(sub_=sub(topic="arn:aws:sns:us-east-1:123456789012:x"), gaps=(gap,))
    assert f.result == Result.UNKNOWN
    # a passing chain with a gap elsewhere is UNKNOWN too (the engine's rule)
    gap = Gap("AWS::CloudWatch::Alarm", ACCT, "eu-west-1", "throttled")
    assert chain(gaps=(gap,)).result == Result.UNKNOWN


def test_one_good_chain_among_broken_ones_passes() -> None:
    f = chain(mfilter('{ $.eventName = "x" }', name="noise", metric="Noise"), alarm("noise", metric="Noise", actions=[]),
              trail("other"))
    assert f.result == Result.PASS


@pytest.mark.parametrize("key", sorted(REQUIREMENTS))
def test_every_item_passes_with_its_reference_pattern(key: str) -> None:
    req = REQUIREMENTS[key]
    f = chain(filt=mfilter(req.reference), control=f"cloudwatch.alarm-{key}")
    assert f.result == Result.PASS, f.reason


def test_every_cis_section_4_alarm_is_implemented() -> None:
    for fw in ("cis-aws-foundations-3.0", "cis-aws-foundations-5.0"):
        ids = {c for i in load(fw).items for c in i.controls if c.startswith("cloudwatch.alarm-")}
        assert len(ids) == 15
        for cid in ids:
            c = get_control(cid)
            assert c.places == frozenset({"live"}) and "AWS::SNS::Subscription" in c.reads
    baseline = {"cloudwatch.alarm-new-iam-user", "cloudwatch.alarm-admin-policy-attached",
                "cloudwatch.alarm-kms-decrypt-burst", "cloudwatch.alarm-root-access-key-use"}
    assert baseline <= {c.id for c in all_controls()}


@pytest.mark.parametrize("key", sorted(REQUIREMENTS))
def test_every_item_fails_when_no_filter_matches_its_events(key: str) -> None:
    f = chain(filt=mfilter('{ $.eventName = "DescribeNothing" }'), control=f"cloudwatch.alarm-{key}")
    assert f.result == Result.FAIL, f.reason
    assert f.evidence["missing"] == "metric filter"

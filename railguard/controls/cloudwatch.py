"""CloudWatch: the CIS section 4 monitoring chain, checked end to end (and the baseline's extensions).

For each monitored family of events (`metricfilters.REQUIREMENTS`), the account passes only
when every link holds:

1. a multi-region trail that is logging, records all management events and delivers to a
   CloudWatch Logs log group;
2. a metric filter on that log group whose pattern covers the family's events
   (`metricfilters.coverage`: parsed and evaluated, not compared as text);
3. a metric alarm on the filter's metric (same region, namespace and name), with actions enabled;
4. an SNS topic among the alarm's actions with at least one confirmed subscription
   (a subscription pending confirmation delivers nothing).

A FAIL names the first missing link (`missing`: trail, metric filter, alarm, subscriber) and
what was looked at. CIS marks these items Manual; railguard checks them automatically.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from railguard.controls import Context, control
from railguard.controls.cloudtrail import TRAIL, multi_region_issues
from railguard.controls.helpers import as_list, fail_unless_gap
from railguard.controls.metricfilters import REQUIREMENTS, Requirement, coverage
from railguard.model import Resource, Severity, UnknownValue, Verdict, failed, passed, unknown
from railguard.sources.aws import pseudo

METRIC_FILTER = "AWS::Logs::MetricFilter"
ALARM = "AWS::CloudWatch::Alarm"
SUBSCRIPTION = "AWS::SNS::Subscription"

_HIGH = {"root-usage", "root-access-key-use", "admin-policy-attached"}


def _log_group(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of `arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`."""
    parts = str(arn).split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    return parts[3], parts[4], parts[6]


def _alarm_metrics(alarm: Resource) -> set[tuple[str, str]]:
    out = set()
    if alarm.get("MetricName"):
        out.add((str(alarm.get("Namespace")), str(alarm.get("MetricName"))))
    for q in as_list(alarm.get("Metrics")):
        m = q.get("MetricStat", {}).get("Metric", {}) if isinstance(q, Mapping) else {}
        if m.get("MetricName"):
            out.add((str(m.get("Namespace")), str(m.get("MetricName"))))
    return out


def _filter_metrics(f: Resource) -> set[tuple[str, str]]:
    return {
        (str(t.get("MetricNamespace")), str(t.get("MetricName")))
        for t in as_list(f.get("MetricTransformations"))
        if isinstance(t, Mapping)
    }


def _actions_enabled(alarm: Resource) -> bool:
    value = alarm.get("ActionsEnabled", True)
    return not (value is False or str(value).lower() == "false")


def monitoring_chain(account: Resource, ctx: Context, req: Requirement) -> Verdict:
    inv = ctx.inventory
    acct = account.account
    unknowns: list[str] = []

    # 1. trails -> log groups
    groups: dict[tuple[str, str, str], str] = {}  # (region, account, name) -> trail
    trail_notes: dict[str, Any] = {}
    for t in inv.of_type(TRAIL, account=acct):
        try:
            issues = multi_region_issues(t)
            arn = t.get("CloudWatchLogsLogGroupArn")
        except UnknownValue as exc:
            unknowns.append(f"trail {t.display_name}: {exc}")
            continue
        if not arn:
            issues.append("no CloudWatch Logs delivery")
        lg = _log_group(arn) if arn else None
        if arn and lg is None:
            issues.append(f"unreadable log group ARN {arn}")
        if issues or lg is None:
            trail_notes[t.display_name] = issues
            continue
        groups.setdefault(lg, t.display_name)
    if not groups:
        reason = "no multi-region, logging trail records all management events into CloudWatch Logs"
        if unknowns:
            return unknown(f"{reason} as far as known; " + "; ".join(unknowns), missing="trail", trails=trail_notes)
        return fail_unless_gap(ctx, [TRAIL], acct, None, reason, missing="trail", trails=trail_notes)
    group_names = [f"{g[2]} ({g[0]})" for g in groups]

    # 2. metric filters on those log groups that cover the events
    covering: list[Resource] = []
    checked: dict[str, str] = {}
    undecided: list[str] = []
    for region, gacct, gname in groups:
        for f in inv.of_type(METRIC_FILTER, account=gacct, region=region):
            if f.get_raw("LogGroupName") != gname:
                continue
            try:
                cov = coverage(f.get("FilterPattern") or "", req)
            except UnknownValue as exc:
                undecided.append(f"{f.display_name}: {exc}")
                continue
            if cov.covers:
                covering.append(f)
            else:
                checked[f.display_name] = cov.reason
                if cov.error:
                    undecided.append(f"{f.display_name}: {cov.reason}")
    if not covering:
        reason = f"no metric filter on {', '.join(group_names)} matches {req.title}"
        filter_evidence: dict[str, Any] = {"missing": "metric filter", "log_groups": group_names, "filters_checked": checked,
                    "expected_pattern": req.reference}
        if undecided:
            return unknown(f"{reason} as far as known; " + "; ".join(undecided), **filter_evidence)
        gap = next((g for (r, a, _) in groups if (g := inv.gap_for([METRIC_FILTER], a, r))), None)
        if gap is not None:
            return unknown(f"{reason}, but metric filters could not be read in {gap.region}: {gap.reason}",
                           **filter_evidence)
        return failed(reason, **filter_evidence)

    # 3. alarms on the filters' metrics, 4. SNS topics with a confirmed subscriber
    alarms_seen: dict[str, str] = {}
    for f in covering:
        metrics = _filter_metrics(f)
        for a in inv.of_type(ALARM, account=f.account, region=f.region):
            try:
                if not (_alarm_metrics(a) & metrics):
                    continue
                if not _actions_enabled(a):
                    alarms_seen[a.display_name] = "actions disabled"
                    continue
                topics = [x for x in as_list(a.get("AlarmActions")) if ":sns:" in str(x)]
            except UnknownValue as exc:
                unknowns.append(f"alarm {a.display_name}: {exc}")
                continue
            if not topics:
                alarms_seen[a.display_name] = "no SNS topic among its actions"
                continue
            for topic in topics:
                subs = [s for s in inv.of_type(SUBSCRIPTION) if s.get_raw("TopicArn") == topic]
                if any(s.live.get("confirmed") is True for s in subs):
                    return passed(
                        f"metric filter {f.display_name} -> alarm {a.display_name} -> {topic} "
                        f"with a confirmed subscriber",
                        log_group=f.get("LogGroupName"), metric_filter=f.display_name,
                        alarm=a.display_name, topic=topic,
                    )
                topic_account = str(topic).split(":")[4] if str(topic).count(":") >= 5 else acct
                if topic_account != acct:
                    unknowns.append(f"topic {topic} is in another account: its subscribers cannot be read")
                elif (gap := inv.gap_for([SUBSCRIPTION], acct, f.region)) is not None:
                    unknowns.append(f"subscriptions could not be read in {gap.region}: {gap.reason}")
                alarms_seen[a.display_name] = (
                    "its SNS topic has only unconfirmed subscriptions" if subs else "its SNS topic has no subscriber"
                )
    filters = [f.display_name for f in covering]
    if not alarms_seen:
        reason = f"metric filter {', '.join(filters)} has no alarm on its metric"
        alarm_evidence: dict[str, Any] = {"missing": "alarm", "metric_filters": filters,
                                    "metrics": sorted(f"{ns}/{n}" for f in covering for ns, n in _filter_metrics(f))}
        if unknowns:
            return unknown(f"{reason} as far as known; " + "; ".join(unknowns), **alarm_evidence)
        gap = next((g for f in covering if (g := inv.gap_for([ALARM], f.account, f.region))), None)
        if gap is not None:
            return unknown(f"{reason}, but alarms could not be read in {gap.region}: {gap.reason}", **alarm_evidence)
        return failed(reason, **alarm_evidence)
    reason = "no alarm on the metric notifies an SNS topic with a confirmed subscriber"
    sub_evidence = {"missing": "subscriber", "metric_filters": filters, "alarms": alarms_seen}
    if unknowns:
        return unknown(f"{reason} as far as known; " + "; ".join(unknowns), **sub_evidence)
    return failed(reason, **sub_evidence)


def _register(req: Requirement) -> None:
    def check(account: Resource, ctx: Context) -> Verdict:
        return monitoring_chain(account, ctx, req)

    check.__doc__ = (
        f"{req.title[:1].upper()}{req.title[1:]} are monitored: a metric filter covering them on a "
        f"multi-region trail's log group, an alarm on its metric, and an SNS topic with a confirmed "
        f"subscriber. Reference pattern: {req.reference}"
    )
    control(
        f"cloudwatch.alarm-{req.key}",
        title=f"A log metric filter and alarm exist for {req.title}",
        resource=pseudo.ACCOUNT,
        reads=[TRAIL, METRIC_FILTER, ALARM, SUBSCRIPTION],
        severity=Severity.HIGH if req.key in _HIGH else Severity.MEDIUM,
        fix=(f"On the multi-region trail's log group add a metric filter such as {req.reference}, an alarm on "
             "its metric, and an SNS topic with a confirmed subscriber as the alarm action"),
        places=("live",),
    )(check)


for _req in REQUIREMENTS.values():
    _register(_req)

"""CloudTrail: start logging, make a trail multi-region, turn on log file validation, record management events.

Calls go to the trail's home region (the only region that may change it). The multi-region
control is an account-wide question, so that action also takes the account's finding and picks
the trail: the one named in params, else the account's only trail homed in the region.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from railguard.remediation.action import Action, ActionError, Change, Params, Risk, Target, action
from railguard.sources.aws import pseudo

TRAIL = "AWS::CloudTrail::Trail"


def _home(target: Target) -> str:
    live_home = target.resource.live.get("home_region") if target.resource.type == TRAIL else None
    return str(live_home or target.region)


def _client(target: Target) -> Any:
    return target.session.client("cloudtrail", _home(target))


def _trail_arn(target: Target, name: str | None = None) -> str:
    """The trail to change: the target trail, or (for an account finding) the one chosen."""
    if target.resource.type == TRAIL:
        return str(target.resource.arn or target.resource.id)
    trails = [t for t in target.client("cloudtrail").describe_trails(includeShadowTrails=False).get("trailList", [])
              if not name or name in (t.get("Name"), t.get("TrailARN"))]
    if len(trails) != 1:
        found = "no trail" if not trails else f"{len(trails)} trails"
        raise ActionError(f"{found} in {target.region}{f' named {name}' if name else ''}: name one with "
                          "params.trail (this action does not create trails)")
    return str(trails[0]["TrailARN"])


def _describe(target: Target, arn: str) -> dict[str, Any]:
    trails = _client(target).describe_trails(trailNameList=[arn], includeShadowTrails=True).get("trailList", [])
    if not trails:
        raise ActionError(f"trail {arn} not found")
    return dict(trails[0])


class _TrailAction(Action):
    def _status(self, target: Target, arn: str) -> bool:
        return bool(_client(target).get_trail_status(Name=arn).get("IsLogging"))


@action(
    "cloudtrail.start-logging",
    title="Start logging on a stopped CloudTrail trail",
    resource_types=TRAIL,
    calls=["cloudtrail:GetTrailStatus", "cloudtrail:StartLogging", "cloudtrail:StopLogging"],
    risk=Risk(costs_money=True, note="the trail delivers (and bills) events again"),
    fixes=["cloudtrail.multi-region-enabled"],
)
class StartLogging(_TrailAction):
    """StartLogging on the trail; undo stops it again."""

    def build(self, target: Target, params: Any) -> Change:
        arn = _trail_arn(target)
        prior = {"TrailARN": arn, "IsLogging": self._status(target, arn)}
        if prior["IsLogging"]:
            return self.change(target, params, "the trail is already logging", prior=prior, noop=True)
        return self.change(target, params, f"start logging on {arn}", prior=prior, calls=("cloudtrail:StartLogging",))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        _client(target).start_logging(Name=change.prior["TrailARN"])
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        _client(target).stop_logging(Name=change.prior["TrailARN"])

    def read_state(self, target: Target) -> Mapping[str, Any]:
        arn = _trail_arn(target)
        return {"TrailARN": arn, "IsLogging": self._status(target, arn)}


class MultiRegionParams(Params):
    trail: str | None = Field(default=None, description="trail name or ARN, for an account-wide finding")
    start_logging: bool = Field(default=True, description="also start the trail when it is stopped")


@action(
    "cloudtrail.multi-region",
    title="Make a CloudTrail trail multi-region (with global service events), and logging",
    resource_types=[TRAIL, pseudo.ACCOUNT],
    calls=["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:UpdateTrail",
           "cloudtrail:StartLogging", "cloudtrail:StopLogging"],
    risk=Risk(costs_money=True, note="events of every region are delivered to the trail's bucket"),
    fixes=["cloudtrail.multi-region-enabled"],
)
class MultiRegion(_TrailAction):
    """UpdateTrail IsMultiRegionTrail and IncludeGlobalServiceEvents, and StartLogging when the
    trail is stopped. Undo puts back both flags and the logging state."""

    params_model = MultiRegionParams

    def build(self, target: Target, params: Any) -> Change:
        arn = _trail_arn(target, params.trail)
        t = _describe(target, arn)
        prior = {"TrailARN": arn, "IsMultiRegionTrail": bool(t.get("IsMultiRegionTrail")),
                 "IncludeGlobalServiceEvents": bool(t.get("IncludeGlobalServiceEvents")),
                 "IsLogging": self._status(target, arn)}
        start = params.start_logging and not prior["IsLogging"]
        if prior["IsMultiRegionTrail"] and prior["IncludeGlobalServiceEvents"] and not start:
            return self.change(target, params, "the trail is already multi-region", prior=prior, noop=True)
        calls = ["cloudtrail:UpdateTrail"] if not (prior["IsMultiRegionTrail"] and
                                                   prior["IncludeGlobalServiceEvents"]) else []
        if start:
            calls.append("cloudtrail:StartLogging")
        return self.change(target, params, f"make {t.get('Name')} multi-region{' and start it' if start else ''}",
                           prior={**prior, "start": start}, calls=calls)

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        arn = change.prior["TrailARN"]
        if "cloudtrail:UpdateTrail" in change.calls:
            _client(target).update_trail(Name=arn, IsMultiRegionTrail=True, IncludeGlobalServiceEvents=True)
        if change.prior["start"]:
            _client(target).start_logging(Name=arn)
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        arn, p = change.prior["TrailARN"], change.prior
        if "cloudtrail:UpdateTrail" in change.calls:
            _client(target).update_trail(Name=arn, IsMultiRegionTrail=p["IsMultiRegionTrail"],
                                         IncludeGlobalServiceEvents=p["IncludeGlobalServiceEvents"])
        if p["start"]:
            _client(target).stop_logging(Name=arn)

    def read_state(self, target: Target) -> Mapping[str, Any]:
        arn = _trail_arn(target)
        t = _describe(target, arn)
        return {"TrailARN": arn, "IsMultiRegionTrail": bool(t.get("IsMultiRegionTrail")),
                "IncludeGlobalServiceEvents": bool(t.get("IncludeGlobalServiceEvents")),
                "IsLogging": self._status(target, arn)}


@action(
    "cloudtrail.log-validation",
    title="Turn on CloudTrail log file validation",
    resource_types=TRAIL,
    calls=["cloudtrail:DescribeTrails", "cloudtrail:UpdateTrail"],
    risk=Risk(note="adds hourly digest files to the trail's bucket"),
    fixes=["cloudtrail.log-file-validation"],
)
class LogValidation(_TrailAction):
    """UpdateTrail EnableLogFileValidation; undo turns it off again."""

    def build(self, target: Target, params: Any) -> Change:
        arn = _trail_arn(target)
        prior = {"TrailARN": arn, "LogFileValidationEnabled": bool(_describe(target, arn).get(
            "LogFileValidationEnabled"))}
        if prior["LogFileValidationEnabled"]:
            return self.change(target, params, "log file validation already on", prior=prior, noop=True)
        return self.change(target, params, f"enable log file validation on {arn}", prior=prior,
                           calls=("cloudtrail:UpdateTrail",))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        _client(target).update_trail(Name=change.prior["TrailARN"], EnableLogFileValidation=True)
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        _client(target).update_trail(Name=change.prior["TrailARN"],
                                     EnableLogFileValidation=change.prior["LogFileValidationEnabled"])

    def read_state(self, target: Target) -> Mapping[str, Any]:
        arn = _trail_arn(target)
        return {"TrailARN": arn, "LogFileValidationEnabled": bool(_describe(target, arn).get(
            "LogFileValidationEnabled"))}


MANAGEMENT_SELECTOR = {"Name": "Management events (railguard)",
                       "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}


def records_all_management(basic: Any, advanced: Any) -> bool:
    """Some selector records every management event, read and write (as GetEventSelectors returns them;
    no selector at all is CloudTrail's default, which records them)."""
    if not basic and not advanced:
        return True
    if isinstance(basic, list) and any(isinstance(s, dict) and s.get("IncludeManagementEvents") is not False
                                       and s.get("ReadWriteType", "All") == "All" for s in basic):
        return True
    for sel in advanced if isinstance(advanced, list) else ():
        fields = sel.get("FieldSelectors") if isinstance(sel, dict) else None
        if isinstance(fields, list) and len(fields) == 1 and fields[0].get("Field") == "eventCategory" \
                and "Management" in (fields[0].get("Equals") or []):
            return True
    return False


@action(
    "cloudtrail.record-management-events",
    title="Make a CloudTrail trail record every management event again (event selectors)",
    resource_types=TRAIL,
    calls=["cloudtrail:GetEventSelectors", "cloudtrail:PutEventSelectors"],
    risk=Risk(costs_money=True, note="management events of every kind are delivered again"),
    fixes=["cloudtrail.multi-region-enabled"],
)
class RecordManagementEvents(_TrailAction):
    """PutEventSelectors so that the trail records read and write management events: the first basic
    selector is set back to ReadWriteType All with management events (its data resources are kept),
    or a management selector is added to the advanced ones. Undo puts back the selectors read before."""

    def _selectors(self, target: Target, arn: str) -> dict[str, Any]:
        sel = _client(target).get_event_selectors(TrailName=arn)
        return {"TrailARN": arn, "EventSelectors": sel.get("EventSelectors") or [],
                "AdvancedEventSelectors": sel.get("AdvancedEventSelectors") or []}

    def build(self, target: Target, params: Any) -> Change:
        arn = _trail_arn(target)
        prior = self._selectors(target, arn)
        if records_all_management(prior["EventSelectors"], prior["AdvancedEventSelectors"]):
            return self.change(target, params, "the trail records every management event", prior=prior, noop=True)
        return self.change(target, params, f"record every management event on {arn} again", prior=prior,
                           calls=("cloudtrail:PutEventSelectors",))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        p = change.prior
        if p["AdvancedEventSelectors"]:
            _client(target).put_event_selectors(
                TrailName=p["TrailARN"], AdvancedEventSelectors=[*p["AdvancedEventSelectors"], MANAGEMENT_SELECTOR])
            return {}
        basic = [dict(s) for s in p["EventSelectors"]] or [{}]
        basic[0].update(ReadWriteType="All", IncludeManagementEvents=True)
        _client(target).put_event_selectors(TrailName=p["TrailARN"], EventSelectors=basic)
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        p = change.prior
        if p["AdvancedEventSelectors"]:
            _client(target).put_event_selectors(TrailName=p["TrailARN"],
                                                AdvancedEventSelectors=p["AdvancedEventSelectors"])
        else:
            _client(target).put_event_selectors(TrailName=p["TrailARN"], EventSelectors=p["EventSelectors"])

    def read_state(self, target: Target) -> Mapping[str, Any]:
        return self._selectors(target, _trail_arn(target))

"""Filter pattern parsing and coverage: equivalent patterns pass, narrowing or broken ones do not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railguard.controls.metricfilters import (
    BENIGN_EVENTS,
    REQUIREMENTS,
    PatternError,
    coverage,
    covers,
    matches,
    normalise,
    parse,
)


@pytest.mark.parametrize("key", sorted(REQUIREMENTS))
def test_every_reference_pattern_covers_its_item(key: str) -> None:
    req = REQUIREMENTS[key]
    assert coverage(req.reference, req).covers, coverage(req.reference, req).reason


@pytest.mark.parametrize("key", sorted(REQUIREMENTS))
def test_no_reference_pattern_is_a_catch_all(key: str) -> None:
    for _, event in BENIGN_EVENTS:
        assert not matches(REQUIREMENTS[key].reference, event)


UNAUTHORIZED_VARIANTS = [
    # CIS 1.x / Security Hub form
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    # CIS 3.0 form with exclusions
    '{($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && '
    '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }',
    # no spaces, reordered, bare values
    "{($.errorCode=AccessDenied*)||($.errorCode=*UnauthorizedOperation)}",
    # newlines and tabs
    '{\n\t($.errorCode = "*UnauthorizedOperation")\n\t||\n\t($.errorCode = "AccessDenied*")\n}',
    # extra OR terms
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.errorCode = "Forbidden") }',
    # no parentheses
    '{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" }',
    # regex value
    "{ $.errorCode = %UnauthorizedOperation|AccessDenied% }",
]


@pytest.mark.parametrize("pattern", UNAUTHORIZED_VARIANTS)
def test_equivalent_unauthorized_patterns_cover(pattern: str) -> None:
    assert covers(pattern, "unauthorized-api-calls"), coverage(pattern, REQUIREMENTS["unauthorized-api-calls"])


def test_half_an_unauthorized_pattern_misses_events() -> None:
    cov = coverage('{ $.errorCode = "*UnauthorizedOperation" }', REQUIREMENTS["unauthorized-api-calls"])
    assert not cov.covers
    assert "IAM AccessDenied" in cov.missed and "pattern misses" in cov.reason


ROOT_VARIANTS = [
    '{$.userIdentity.type="Root"&&$.userIdentity.invokedBy NOT EXISTS&&$.eventType!="AwsServiceEvent"}',
    '{ ($.eventType != "AwsServiceEvent") && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type = Root) }',
    '{ $.userIdentity.type = "Root" }',  # noisier, but every root action is caught
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy not exists }',  # keywords in any case
]


@pytest.mark.parametrize("pattern", ROOT_VARIANTS)
def test_equivalent_root_patterns_cover(pattern: str) -> None:
    assert covers(pattern, "root-usage")


def test_narrowing_term_drops_required_events() -> None:
    # only console sign-ins of root: root API calls are missed
    cov = coverage('{ $.userIdentity.type = "Root" && $.eventName = "ConsoleLogin" }', REQUIREMENTS["root-usage"])
    assert not cov.covers and cov.missed == ("root API call",)
    # an AND on a field the events lack matches nothing
    assert not covers('{ $.userIdentity.type = "Root" && $.foo = "bar" }', "root-usage")


def test_iam_policy_changes_needs_every_event_name() -> None:
    req = REQUIREMENTS["iam-policy-changes"]
    full = req.reference
    assert covers(full, req)
    shuffled = "{" + " || ".join(f"($.eventName={n})" for n, _ in reversed(req.events)) + "}"
    assert covers(shuffled, req)
    without_source = "{" + "||".join(f"$.eventName = \"{n}\"" for n, _ in req.events) + "}"
    assert covers(without_source, req)
    partial = "{ ($.eventName = PutUserPolicy) || ($.eventName = PutRolePolicy) }"
    cov = coverage(partial, req)
    assert not cov.covers and len(cov.missed) == 14 and "and 9 more" in cov.reason
    wrong_source = full.replace("iam.amazonaws.com", "sts.amazonaws.com")
    assert not covers(wrong_source, req)


def test_wildcard_event_names_cover() -> None:
    assert covers("{ ($.eventSource = kms.amazonaws.com) && (($.eventName = Disable*) || "
                  "($.eventName = Schedule*)) }", "cmk-disable-or-deletion")
    assert covers("{ $.eventSource = organizations.amazonaws.com }", "organizations-changes")


def test_catch_alls_do_not_cover() -> None:
    for pattern in ("", "   ", "{ $.eventName = * }", '{ $.eventVersion = "*" }'):
        cov = coverage(pattern, REQUIREMENTS["cloudtrail-changes"])
        assert not cov.covers and cov.catch_all, pattern
        assert "catch-all" in cov.reason


def test_term_patterns_match_the_record_text() -> None:
    assert covers('"ConsoleLogin" "Failed authentication"', "console-auth-failures")
    assert not covers('"ConsoleLogin" "Success"', "console-auth-failures")
    assert covers("?StopLogging ?DeleteTrail ?UpdateTrail ?CreateTrail ?StartLogging", "cloudtrail-changes")
    assert not covers("?StopLogging ?DeleteTrail", "cloudtrail-changes")
    ev = REQUIREMENTS["cloudtrail-changes"].events[0][1]
    assert not matches('"CreateTrail" -"alice"', ev)
    assert matches('"CreateTrail" -"bob"', ev)
    assert matches("%Create[A-Z]rail%", ev)


def test_operators_on_values() -> None:
    ev = {"a": {"b": 5, "c": "x", "t": True, "f": False, "n": None, "l": [{"k": "v"}]}}
    assert matches("{ $.a.b > 4 }", ev) and matches("{ $.a.b >= 5 }", ev) and not matches("{ $.a.b < 5 }", ev)
    assert matches("{ $.a.b = 5 }", ev) and matches("{ $.a.b != 6 }", ev) and matches("{ $.a.b <= 5.0 }", ev)
    assert matches("{ $.a.t IS TRUE }", ev) and matches("{ $.a.f IS FALSE }", ev) and not matches("{ $.a.c IS TRUE }", ev)
    assert matches("{ $.a.n IS NULL }", ev) and not matches("{ $.a.missing IS NULL }", ev)
    assert matches("{ $.a.missing NOT EXISTS }", ev) and not matches("{ $.a.c NOT EXISTS }", ev)
    assert matches("{ $.a.c EXISTS }", ev)
    assert matches('{ $.a.l[0].k = "v" }', ev) and not matches('{ $.a.l[1].k = "v" }', ev)
    assert matches('{ $.a.c = "x" && ($.a.b = 1 || $.a.b = 5) }', ev)
    # a comparison on a missing field is false, even !=
    assert not matches('{ $.a.missing != "x" }', ev)
    # && binds tighter than ||
    assert matches('{ $.a.c = "x" || $.a.b = 1 && $.a.b = 2 }', ev)
    assert not matches('{ ($.a.c = "y" || $.a.b = 5) && $.a.b = 2 }', ev)
    # quoted strings with escapes and spaces
    assert matches(r'{ $.q = "say \"hi\" now" }', {"q": 'say "hi" now'})


@pytest.mark.parametrize("pattern", [
    "{ ($.eventName = CreateTrail }",
    "{ $.eventName = CreateTrail ) }",
    "{ eventName = CreateTrail }",
    "{ $.eventName CreateTrail }",
    "{ $.eventName = }",
    "{ $.eventName > abc }",
    "{ $.eventName = CreateTrail",
    "{ }",
    "{ $. = x }",
    "{ $.x IS MAYBE }",
    "{ $.x NOT THERE }",
    "{ $.x = %(% }",
    "[ip, user, ...]",
    "%(%",
])
def test_malformed_patterns_are_errors_not_matches(pattern: str) -> None:
    with pytest.raises(PatternError):
        parse(pattern)
    cov = coverage(pattern, REQUIREMENTS["cloudtrail-changes"])
    assert not cov.covers and cov.error and "not understood" in cov.reason


def test_normalise_collapses_whitespace() -> None:
    assert normalise("{ \n $.a  =\tb }") == "{ $.a = b }"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}()$.=!<>&|"%*?- abcXYZ019_\n', max_size=60))
def test_parse_never_crashes(text: str) -> None:
    try:
        p = parse(text)
    except PatternError:
        return
    for _, event in BENIGN_EVENTS:
        assert isinstance(p.matches(event), bool)

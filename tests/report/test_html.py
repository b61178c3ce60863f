"""HTML report, read as text: self-contained, everything escaped, every result visible."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from railguard.report import html
from railguard.report.html import safe_json
from tests.report.sample import BASE, CIS, NOTE, iac_run, live_run, single_framework_run


class _Collect(HTMLParser):
    """Scripts, tags and attribute values, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_script: dict[str, str | None] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)


def _parse(page: str) -> _Collect:
    p = _Collect()
    p.feed(page)
    p.close()
    return p


def test_hostile_strings_are_text_never_markup() -> None:
    page = html.render(live_run())
    assert "<script>alert" not in page
    assert "</script><script>alert(2)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    parsed = _parse(page)
    # exactly two script elements: the JSON data and the filter script; neither carries the payload
    assert len(parsed.scripts) == 2
    assert parsed.scripts[0][0].get("type") == "application/json"
    for _attrs, body in parsed.scripts:
        assert "alert(" not in body
    text = "".join(parsed.text)
    assert "<script>alert(1)</script>" in text  # shown to the reader, as text
    assert 'say "hi" & <b>bye</b>' in text  # the evidence, as key/value text
    assert not any(tag == "b" for tag, _ in parsed.tags)


def test_no_external_assets() -> None:
    page = html.render(live_run())
    parsed = _parse(page)
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            if tag == "a" and name == "href" and value is not None:  # a link the reader may follow: loads nothing
                assert value.startswith("https://") and attrs.get("rel") == "noopener noreferrer", value
                continue
            assert value is None or not re.match(r"\s*(https?:)?//", value), (tag, name, value)
        assert tag not in ("link", "iframe", "img", "object", "embed", "base")
    assert not re.search(r"""(?<!<a )(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "@import" not in page and "url(" not in page


def test_embedded_json_is_safe_and_parses() -> None:
    payload = {"x": "</script><!-- & \u2028"}
    text = safe_json(payload)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == payload
    parsed = _parse(html.render(live_run()))
    data = json.loads(parsed.scripts[0][1])
    assert [f["id"] for f in data["frameworks"]] == [CIS, BASE]


def test_header_scores_gaps_and_every_item() -> None:
    run = live_run()
    page = html.render(run)
    text = "".join(_parse(page).text)
    for needle in ("123456789012", "eu-west-1", "4.2 s", "API calls", "AccessDenied: s3:ListAllMyBuckets",
                   "endpoint unreachable <timeout>", NOTE, "Check the contact details in the account settings page.",
                   "could not list AWS::S3::Bucket: AccessDenied", "exception bastion-ssh: ticket SEC-42",
                   "5 Networking", "railguard iac scan"):
        assert needle in text, needle
    for item in run.items:
        assert f'id="item-{html._slug(item.framework + "-" + item.id)}"' in page
    # CIS 3.0 in the sample: 1 PASS, 3 FAIL, 1 UNKNOWN assessed (MANUAL, SUPPRESSED left out) -> 20%
    assert "20%" in text
    assert page.count('data-fw="' + BASE + '"') >= 4  # switch button, section and its items
    assert 'id="fw-switch"' in page


def test_single_framework_has_no_switch() -> None:
    page = html.render(single_framework_run())
    assert 'id="fw-switch"' not in page
    assert f'data-fw="{BASE}"' not in page


def test_iac_run_shows_files_and_lines() -> None:
    page = html.render(iac_run())
    text = "".join(_parse(page).text)
    assert "templates/app.yaml:12" in text
    assert "infra/main.tf:3" in text
    assert "var.kms_key has no default" in text
    assert "\x07" not in page and "not allowed here (line 3)" in text


def test_render_is_pure() -> None:
    run = live_run()
    assert html.render(run) == html.render(run)


def test_csp_names_the_one_script() -> None:
    import base64
    import hashlib

    page = html.render(live_run())
    m = re.search(r"script-src '(sha256-[^']+)'", page)
    assert m, "the page carries a Content-Security-Policy with a script hash"
    assert "default-src 'none'" in page
    body = _parse(page).scripts[1][1]
    assert m.group(1) == "sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", page), "no inline event handlers (CSP would block them)"

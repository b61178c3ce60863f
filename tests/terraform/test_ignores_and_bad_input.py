"""Inline `# railguard:ignore` comments, and input that must give a per-file error, never a crash."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from railguard.model import Unknown
from railguard.sources.loaded import InlineIgnore
from railguard.sources.terraform import hcl, load_directory

from .helpers import load, one, write


def test_ignores_above_inside_and_on_the_block(tmp_path):
    ld = load(tmp_path, '''
# railguard:ignore s3.versioning-enabled scratch bucket, deleted nightly
# another comment
resource "aws_s3_bucket" "a" {
  bucket = "a"
}

resource "aws_s3_bucket" "b" { # railguard:ignore s3.access-logging-enabled logs go elsewhere
  bucket = "b"
  // railguard:ignore s3.default-encryption encrypted by the client
}

resource "aws_kms_key" "k" {
  count = 2
}
/* railguard:ignore kms.rotation-enabled imported key material */
resource "aws_kms_key" "imported" {}

resource "aws_s3_bucket_versioning" "a" {
  # railguard:ignore s3.versioning-enabled suspended on purpose
  bucket = aws_s3_bucket.a.id
  versioning_configuration { status = "Suspended" }
}

# railguard:ignore ec2.vpc-flow-logs applies to nothing in particular
''')
    f = str(tmp_path / "main.tf")
    assert InlineIgnore(f, "s3.versioning-enabled", "scratch bucket, deleted nightly", 2, "aws_s3_bucket.a") in ld.ignores
    assert InlineIgnore(f, "s3.access-logging-enabled", "logs go elsewhere", 8, "aws_s3_bucket.b") in ld.ignores
    assert InlineIgnore(f, "s3.default-encryption", "encrypted by the client", 10, "aws_s3_bucket.b") in ld.ignores
    assert InlineIgnore(f, "kms.rotation-enabled", "imported key material", 16, "aws_kms_key.imported") in ld.ignores
    # an ignore on a folded resource applies to the resource it was folded into
    assert InlineIgnore(f, "s3.versioning-enabled", "suspended on purpose", 20, "aws_s3_bucket.a") in ld.ignores
    assert InlineIgnore(f, "ec2.vpc-flow-logs", "applies to nothing in particular", 25, None) in ld.ignores
    assert len(ld.ignores) == 6 and not ld.errors


def test_ignore_covers_every_instance_of_a_counted_block(tmp_path):
    ld = load(tmp_path, '# railguard:ignore kms.rotation-enabled test keys\nresource "aws_kms_key" "k" {\n  count = 2\n}\n')
    assert sorted(i.resource_id for i in ld.ignores) == ["aws_kms_key.k[0]", "aws_kms_key.k[1]"]


def test_ignore_without_reason_is_a_parse_error(tmp_path):
    ld = load(tmp_path, '''
# railguard:ignore s3.versioning-enabled
resource "aws_s3_bucket" "a" {}
# railguard:ignore
resource "aws_s3_bucket" "b" {}''')
    assert not ld.ignores
    assert [(e.line, "reason" in e.message) for e in ld.errors] == [(2, True), (4, True)]


def test_malformed_hcl_is_a_per_file_error_with_line(tmp_path):
    ld = load(tmp_path, files={
        "good.tf": 'resource "aws_sns_topic" "t" { name = "ok" }\n',
        "bad.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = \n}\n',
    })
    assert one(ld, "AWS::SNS::Topic").name == "ok"
    (err,) = ld.errors
    assert err.file.endswith("bad.tf") and err.line == 2 and "invalid HCL" in err.message and "column" in err.message
    assert len(ld.files) == 2


def test_non_utf8_and_huge_files(tmp_path, monkeypatch):
    write(tmp_path, {"ok.tf": 'resource "aws_sns_topic" "t" {}\n'})
    (tmp_path / "latin1.tf").write_bytes(b'# caf\xe9\nresource "aws_sqs_queue" "q" {}\n')
    (tmp_path / "huge.tf").write_text("# padding\n" * 200)
    monkeypatch.setattr(hcl, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(hcl.read_text, "__defaults__", (None, 1000))
    ld = load_directory(tmp_path)
    errs = {e.file.rsplit("/", 1)[1]: e for e in ld.errors}
    assert "not UTF-8" in errs["latin1.tf"].message and errs["latin1.tf"].line == 1
    assert "limit" in errs["huge.tf"].message
    assert one(ld, "AWS::SNS::Topic")


def test_empty_and_comment_only_directories(tmp_path):
    assert load_directory(tmp_path).resources == []
    ld = load(tmp_path, "# nothing here\n")
    assert ld.resources == [] and not ld.errors


def test_parse_cache_hits_on_second_load(tmp_path):
    text = "".join(f'resource "aws_sns_topic" "t{i}" {{ name = "t{i}" }}\n' for i in range(300))
    load(tmp_path, text)
    t0 = time.perf_counter()
    ld = load_directory(tmp_path)
    assert len(ld.resources) == 300
    first = hcl.parse_file(tmp_path / "main.tf")
    assert hcl.parse_file(tmp_path / "main.tf") is first
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "main.tf").write_text(text)
    assert hcl.parse_file(tmp_path / "copy" / "main.tf").body is first.body  # same content, one parse
    assert time.perf_counter() - t0 < 5


def test_deeply_nested_expression_does_not_crash(tmp_path):
    ld = load(tmp_path, 'locals {\n  x = ' + "[" * 300 + "]" * 300 + '\n}\nresource "aws_sns_topic" "t" {}\n')
    assert one(ld, "AWS::SNS::Topic") or ld.errors


FIXTURE_TEXT = (Path(__file__).resolve().parent.parent / "fixtures" / "iac" / "tf"
                / "ec2.sg-admin-port-open-to-world" / "fail" / "main.tf").read_text()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(FIXTURE_TEXT)), length=st.integers(0, 12),
       junk=st.text(alphabet='{}[]()"=$.#*-<>\n abc0', max_size=6))
def test_mangled_configuration_never_crashes(tmp_path, cut, length, junk):
    text = FIXTURE_TEXT[:cut] + junk + FIXTURE_TEXT[cut + length:]
    (tmp_path / "main.tf").write_text(text)
    loaded = load_directory(tmp_path)
    assert loaded.files == [str(tmp_path / "main.tf")]
    for e in loaded.errors:
        assert e.file and e.message


def test_hostile_expressions_are_bounded(tmp_path, monkeypatch):
    from railguard.sources.terraform import expr

    monkeypatch.setattr(expr, "MAX_STEPS", 200_000)  # the default (2M) behaves the same, slower
    t0 = time.perf_counter()
    ld = load(tmp_path, '''
locals {
  a0 = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
  a1 = "${local.a0}${local.a0}"
  a2 = "${local.a1}${local.a1}"
  a3 = "${local.a2}${local.a2}"
  a4 = "${local.a3}${local.a3}"
  a5 = "${local.a4}${local.a4}"
  a6 = "${local.a5}${local.a5}"
  a7 = "${local.a6}${local.a6}"
  a8 = "${local.a7}${local.a7}"
  a9 = "${local.a8}${local.a8}"
  b0 = "${local.a9}${local.a9}"
  b1 = "${local.b0}${local.b0}"
  b2 = "${local.b1}${local.b1}"
  b3 = "${local.b2}${local.b2}"
  b4 = "${local.b3}${local.b3}"
  big  = [for i in range(10000) : [for j in range(10000) : j]]
}
resource "aws_sns_topic" "t" {
  name              = local.b4
  kms_master_key_id = length(local.big)
}''')
    t = one(ld, "AWS::SNS::Topic")
    assert isinstance(t.get_raw("TopicName"), Unknown)
    assert t.get_raw("KmsMasterKeyId") == 10000  # the outer list is built; its elements stop being evaluated
    assert any("too expensive" in e.message for e in ld.errors)
    assert time.perf_counter() - t0 < 30


def test_format_with_huge_width_is_unknown(tmp_path):
    ld = load(tmp_path, 'resource "aws_sns_topic" "t" {\n  name = format("%0999999999d", 1)\n}\n')
    assert "too large" in one(ld, "AWS::SNS::Topic").get_raw("TopicName").reason

"""The ECS task definition loader: register/describe JSON -> AWS::ECS::TaskDefinition in
CloudFormation casing; bad input as ParseErrors."""

from __future__ import annotations

from pathlib import Path

from railguard.sources.containers import TASK_DEFINITION_TYPE, load_task_definition, parse_task_definition
from tests.containers.helpers import FIXTURES


def test_register_input_shape() -> None:
    path = FIXTURES / "taskdef-fail.json"
    loaded = load_task_definition(path)
    assert not loaded.errors and loaded.files == [path.as_posix()]
    (r,) = loaded.resources
    assert r.type == TASK_DEFINITION_TYPE and r.id == "web-insecure"
    assert r.origin.file == path.as_posix() and r.origin.line == 2
    assert r.get("NetworkMode") == "host"
    (c,) = r.get("ContainerDefinitions")
    assert c["Name"] == "web" and c["Privileged"] is True
    assert c["Environment"][1] == {"Name": "DB_PASSWORD", "Value": "Sup3rS3cretPassw0rd"}
    # free-form maps keep their keys
    assert c["LogConfiguration"]["Options"] == {"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1"}


def test_describe_output_shape() -> None:
    (r,) = load_task_definition(FIXTURES / "taskdef-pass.json").resources
    assert r.id == "web-secure"
    assert r.arn == "arn:aws:ecs:us-east-1:123456789012:task-definition/web-secure:3"
    assert "Revision" not in r.properties and "Status" not in r.properties
    (c,) = r.get("ContainerDefinitions")
    assert c["ReadonlyRootFilesystem"] is True and c["User"] == "10001"
    assert c["Secrets"] == [{"Name": "DB_PASSWORD", "ValueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}]
    assert c["LinuxParameters"]["Capabilities"] == {"Drop": ["ALL"]}
    assert c["DockerLabels"] == {"com.example.team": "web"}
    assert r.tags == {"team": "web"}


def test_malformed_json_names_the_line() -> None:
    loaded = load_task_definition(FIXTURES / "taskdef-malformed.json")
    assert not loaded.resources
    (err,) = loaded.errors
    assert err.line == 4 and "not valid JSON" in err.message


def test_json_that_is_not_a_task_definition() -> None:
    loaded = load_task_definition(FIXTURES / "not-a-taskdef.json")
    assert not loaded.resources
    assert "not an ECS task definition" in loaded.errors[0].message


def test_other_bad_shapes() -> None:
    for text, needle in [
        ("", "empty"),
        ("[1, 2]", "not an ECS task definition"),
        ('{"containerDefinitions": {}}', "non-empty list"),
        ('{"containerDefinitions": []}', "non-empty list"),
        ('{"containerDefinitions": ["web"]}', "not an object"),
    ]:
        loaded = parse_task_definition(text, "td.json")
        assert not loaded.resources and needle in loaded.errors[0].message, (text, loaded.errors)


def test_binary_json(tmp_path: Path) -> None:
    path = tmp_path / "td.json"
    path.write_bytes(b'{"containerDefinitions"\x00\x01\x02')
    assert "binary" in load_task_definition(path).errors[0].message


def test_id_falls_back_to_file_stem() -> None:
    (r,) = parse_task_definition('{"containerDefinitions": [{"name": "a"}]}', "x/td.json", default_id="td").resources
    assert r.id == "td"


def test_never_raises_on_arbitrary_json() -> None:
    import json

    from hypothesis import given, settings
    from hypothesis import strategies as st

    values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
            st.sampled_from(["containerDefinitions", "taskDefinition", "family", "name", "environment", "tags", "x"]),
            inner, max_size=4),
        max_leaves=20,
    )

    @settings(max_examples=200, deadline=None)
    @given(values)
    def check(doc: object) -> None:
        loaded = parse_task_definition(json.dumps(doc), "td.json")
        assert loaded.resources or loaded.errors

    check()

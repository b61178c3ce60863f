"""The Dockerfile loader: instructions and lines, continuations, directives, stages, ENV/ARG
forms, heredocs, inline ignores, and bad input as ParseErrors (never exceptions)."""

from __future__ import annotations

from pathlib import Path

from railguard.model import Unknown
from railguard.sources.containers import DOCKERFILE_TYPE, load_dockerfile, parse_dockerfile
from railguard.sources.containers.dockerfile import parse_image, split_words
from tests.containers.helpers import FIXTURES


def _props(text: str) -> dict:
    loaded = parse_dockerfile(text, "Dockerfile")
    assert not loaded.errors, loaded.errors
    assert len(loaded.resources) == 1
    return dict(loaded.resources[0].properties)


def test_fixture_resource_shape_and_origin() -> None:
    path = FIXTURES / "Dockerfile.fail"
    loaded = load_dockerfile(path)
    assert not loaded.errors
    assert loaded.files == [path.as_posix()]
    (r,) = loaded.resources
    assert r.type == DOCKERFILE_TYPE
    assert r.id == path.as_posix() and r.origin.file == path.as_posix()
    assert r.origin.line == 2  # the final FROM
    stages = r.properties["Stages"]
    assert stages == [{"Name": None, "BaseImage": "ubuntu", "Tag": "latest", "Digest": None, "FromStage": None,
                       "Platform": None, "Line": 2, "User": None}]
    assert r.properties["User"] is None
    kinds = [(i["Instruction"], i["Line"]) for i in r.properties["Instructions"]]
    assert kinds == [("FROM", 2), ("ENV", 3), ("ARG", 5), ("RUN", 6), ("ADD", 8), ("CMD", 9)]


def test_continuations_join_and_drop_comment_lines() -> None:
    p = _props("FROM alpine:3.20\nRUN apk add \\\n    # a comment inside\n\n    curl \\\n    jq\nUSER 1000\n")
    run = p["Instructions"][1]
    assert run["Instruction"] == "RUN" and run["Line"] == 2
    assert run["Arguments"].split() == ["apk", "add", "curl", "jq"]
    assert p["Instructions"][2]["Line"] == 7


def test_escape_directive_changes_the_continuation_character() -> None:
    p = _props("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir c:\\ `\n    && echo done\n")
    run = p["Instructions"][1]
    assert run["Arguments"].split() == ["dir", "c:\\", "&&", "echo", "done"]


def test_syntax_directive_is_not_an_instruction() -> None:
    p = _props("# syntax=docker/dockerfile:1\nFROM alpine:3.20\n")
    assert [i["Instruction"] for i in p["Instructions"]] == ["FROM"]


def test_env_forms() -> None:
    p = _props('FROM alpine:3.20\nENV A=b C="d e" F=g\\ h\nENV LEGACY some value here\nENV EMPTY=\nARG X Y=1\n')
    env1, env2, env3, arg = (i["Pairs"] for i in p["Instructions"][1:])
    assert env1 == [{"Name": "A", "Value": "b"}, {"Name": "C", "Value": "d e"}, {"Name": "F", "Value": "g h"}]
    assert env2 == [{"Name": "LEGACY", "Value": "some value here"}]
    assert env3 == [{"Name": "EMPTY", "Value": ""}]
    assert arg == [{"Name": "X", "Value": None}, {"Name": "Y", "Value": "1"}]


def test_multi_stage_references_and_user_inheritance() -> None:
    loaded = load_dockerfile(FIXTURES / "Dockerfile.multistage")
    assert not loaded.errors
    props = loaded.resources[0].properties
    stages = props["Stages"]
    assert [s["Name"] for s in stages] == ["builder", "base", "export", "final"]
    assert stages[3]["FromStage"] == "base" and stages[3]["BaseImage"] is None
    assert stages[2]["BaseImage"] == "scratch"
    assert props["User"] == "app"  # inherited from the `base` stage


def test_build_args_expand_in_from_or_make_it_unknown() -> None:
    p = _props("ARG V=3.12\nARG REG\nFROM python:${V}-slim\nFROM ${REG}/app:1\n")
    assert p["Stages"][0]["Tag"] == "3.12-slim"
    assert isinstance(p["Stages"][1]["BaseImage"], Unknown)
    assert p["Instructions"][0]["Stage"] == -1


def test_user_with_build_arg() -> None:
    assert _props("FROM alpine:3.20\nARG UID=10001\nUSER ${UID}\n")["User"] == "10001"
    assert isinstance(_props("FROM alpine:3.20\nARG UID\nUSER $UID\n")["User"], Unknown)


def test_heredoc_body_is_kept_and_skipped() -> None:
    p = _props("FROM alpine:3.20\nRUN <<EOF\ncurl -s https://x | sh\nEOF\nRUN <<-'END' cat\n\techo hi\n\tEND\nUSER 1\n")
    runs = [i for i in p["Instructions"] if i["Instruction"] == "RUN"]
    assert "curl -s https://x | sh" in runs[0]["Arguments"]
    assert runs[1]["Arguments"].endswith("echo hi")
    assert p["User"] == "1"
    assert [i["Line"] for i in p["Instructions"]] == [1, 2, 5, 8]


def test_unterminated_heredoc_is_a_parse_error_with_line() -> None:
    loaded = parse_dockerfile("FROM alpine:3.20\nRUN <<EOF\necho hi\n", "Dockerfile")
    assert [(e.line, "not terminated" in e.message) for e in loaded.errors] == [(2, True)]


def test_image_references() -> None:
    assert parse_image("registry:5000/org/app:1.2@sha256:ab") == {"BaseImage": "registry:5000/org/app", "Tag": "1.2", "Digest": "sha256:ab"}
    assert parse_image("registry:5000/org/app") == {"BaseImage": "registry:5000/org/app", "Tag": None, "Digest": None}
    assert parse_image("nginx") == {"BaseImage": "nginx", "Tag": None, "Digest": None}
    assert split_words("a 'b c' \"d\\\"e\" f\\ g") == ["a", "b c", 'd"e', "f g"]


def test_inline_ignore_becomes_an_ignore_for_the_file_resource() -> None:
    path = FIXTURES / "Dockerfile.ignored"
    loaded = load_dockerfile(path)
    (ig,) = loaded.ignores
    assert ig.control_id == "docker.no-user" and ig.line == 2
    assert ig.resource_id == loaded.resources[0].id and ig.file == path.as_posix()
    assert "SEC-12" in ig.reason


def test_inline_ignore_without_reason_is_an_error() -> None:
    loaded = load_dockerfile(FIXTURES / "Dockerfile.ignore-without-reason")
    assert [(e.line, "reason" in e.message) for e in loaded.errors] == [(2, True)]
    assert not loaded.ignores


# --- bad input ---------------------------------------------------------------------------------


def test_binary_file_named_dockerfile(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 4)
    loaded = load_dockerfile(path)
    assert not loaded.resources
    (err,) = loaded.errors
    assert "binary" in err.message and err.file == path.as_posix()


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM alpine:3.20\nLABEL x=\xff\xfe\n")
    (err,) = load_dockerfile(path).errors
    assert err.line == 2 and "UTF-8" in err.message


def test_empty_dockerfile() -> None:
    loaded = load_dockerfile(FIXTURES / "Dockerfile.empty")
    assert not loaded.resources
    assert [e.message for e in loaded.errors] == ["empty Dockerfile: no instructions"]


def test_comments_only_is_empty() -> None:
    assert parse_dockerfile("# nothing here\n\n", "Dockerfile").errors[0].message.startswith("empty")


def test_text_that_is_not_a_dockerfile() -> None:
    loaded = load_dockerfile(FIXTURES / "Dockerfile.notdocker")
    assert not loaded.resources
    assert loaded.errors[0].line == 1 and "not a Dockerfile" in loaded.errors[0].message


def test_missing_from_and_instruction_before_from() -> None:
    assert "no FROM" in parse_dockerfile("ARG X=1\n", "Dockerfile").errors[0].message
    loaded = parse_dockerfile("RUN echo hi\nFROM alpine:3.20\n", "Dockerfile")
    assert loaded.errors[0].line == 1 and loaded.resources


def test_unknown_instruction_later_in_the_file_keeps_the_resource() -> None:
    loaded = parse_dockerfile("FROM alpine:3.20\nRUNN echo\nUSER 1\n", "Dockerfile")
    assert [(e.line, "unknown instruction" in e.message) for e in loaded.errors] == [(2, True)]
    assert loaded.resources[0].properties["User"] == "1"


def test_missing_file(tmp_path: Path) -> None:
    (err,) = load_dockerfile(tmp_path / "Dockerfile").errors
    assert "cannot read" in err.message


def test_oversized_file(tmp_path: Path) -> None:
    from railguard.sources.containers._text import read

    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.20\n" * 4)
    err = read(path, path.as_posix(), "a Dockerfile", max_bytes=10)
    assert not isinstance(err, str) and "too large" in err.message


def test_crlf_line_endings() -> None:
    p = _props("FROM alpine:3.20\r\nRUN apk add \\\r\n    curl\r\nUSER app\r\n")
    assert p["Instructions"][1]["Arguments"].split() == ["apk", "add", "curl"] and p["User"] == "app"


def test_instruction_before_from_reported_once() -> None:
    loaded = parse_dockerfile("LABEL a=b\nRUN x\nFROM alpine:3.20\n", "Dockerfile")
    assert [e.line for e in loaded.errors] == [1]
    fragment = parse_dockerfile("ADD . /app\nRUN make\n", "Dockerfile")
    assert [e.message for e in fragment.errors] == ["no FROM instruction: not a buildable Dockerfile (a fragment?)"]


def test_never_raises_on_arbitrary_text() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    words = st.sampled_from(["FROM", "RUN", "ENV", "ARG", "USER", "ADD", "#", "\\", "<<EOF", "EOF", "=", '"', "'",
                             "$X", "${Y:-z}", "AS", "--platform=x", "\n", " ", "\t", "a:b@c", "`", "# escape=`"])

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.one_of(words, st.text(max_size=5)), max_size=40))
    def check(parts: list[str]) -> None:
        loaded = parse_dockerfile("".join(parts), "Dockerfile")
        assert loaded.resources or loaded.errors

    check()

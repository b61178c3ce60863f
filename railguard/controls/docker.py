"""Dockerfile controls (`RailGuard::Docker::Dockerfile`, read by `railguard.sources.containers`).

Template-only (places=("iac",)): a Dockerfile exists only in a repository, and no live
collector reads the images built from it. Properties are documented in
`railguard/sources/containers/dockerfile.py`: `Stages`, `User` and `Instructions` (with `Line`
for evidence, and `Pairs` on `ENV`/`ARG`). A failure's evidence carries `line`, the line of the
first offending instruction (the finding itself has the line of the final `FROM`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from railguard.controls import IAC, control
from railguard.controls.secretlike import redact, secret_reason
from railguard.model import Resource, Severity, UnknownValue, Verdict, failed, passed, require

DOCKERFILE = "RailGuard::Docker::Dockerfile"

_ROOT_USERS = frozenset({"root", "0"})
_URL = re.compile(r"^https?://", re.IGNORECASE)
# curl/wget output fed to a shell: `curl ... | sh`, `wget -O- ... | sudo bash -s`, and the
# process-substitution forms `sh -c "$(curl ...)"`, `bash <(curl ...)`.
_FETCH = r"\b(?:curl|wget)\b"
_SHELL = r"(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+\S+=\S+\s+)*(?:/usr)?(?:/bin/)?(?:ba|z|k|da|a)?sh\b"
_PIPE_TO_SHELL = re.compile(
    _FETCH + r"[^|;&\n]*\|\s*" + _SHELL
    + r"|" + _SHELL + r"\s+(?:-\S+\s+)*[\"']?\$\(\s*" + _FETCH
    + r"|" + _SHELL + r"\s+(?:-\S+\s+)*<\(\s*" + _FETCH,
    re.IGNORECASE,
)


def _instructions(r: Resource, *names: str) -> list[Mapping[str, Any]]:
    out = []
    for i, ins in enumerate(r.get("Instructions") or []):
        require(ins, f"Instructions.{i}")
        if isinstance(ins, Mapping) and ins.get("Instruction") in names:
            out.append(ins)
    return out


def _final_stage_line(r: Resource) -> int | None:
    stages = r.get("Stages") or []
    return stages[-1].get("Line") if stages and isinstance(stages[-1], Mapping) else None


def _final_stage_tag(r: Resource) -> object:
    stages = r.get_raw("Stages") or []
    return stages[-1].get("Tag") if stages and isinstance(stages[-1], Mapping) else None


@control(
    "docker.no-user",
    title="Dockerfile's final stage runs as root (no USER, or USER root/0)",
    resource=DOCKERFILE,
    severity=Severity.MEDIUM,
    fix="Add `USER <non-root user>` (e.g. `USER 10001`) after the last step that needs root in the final stage.",
    places=(IAC,),
)
def no_user(r: Resource) -> Verdict:
    """A container that runs as root turns any code-execution bug into root in the container,
    one kernel bug away from the host. Only the final stage matters: it is what ships. A stage
    built `FROM` an earlier stage inherits that stage's USER; a base image tagged `nonroot`
    (distroless convention) runs as uid 65532. Template-only: no live collector."""
    user = r.get("User")
    line = _final_stage_line(r)
    if user is None:
        tag = _final_stage_tag(r)
        if isinstance(tag, str) and (tag == "nonroot" or tag.endswith("-nonroot")):
            return passed(f"no USER, but the base image tag {tag!r} runs as a non-root user (distroless convention)")
        return failed("the final stage sets no USER, so the container runs as root", line=line)
    name = str(user).strip()
    if name.split(":", 1)[0].strip() in _ROOT_USERS:
        return failed(f"the final stage runs as USER {name}", user=name, line=line)
    return passed(f"the final stage runs as USER {name}", user=name)


@control(
    "docker.base-image-unpinned",
    title="Dockerfile base image is `latest` or untagged",
    resource=DOCKERFILE,
    severity=Severity.MEDIUM,
    fix="Pin every FROM to a version tag, ideally with its digest (`python:3.12-slim@sha256:...`).",
    places=(IAC,),
)
def base_image_unpinned(r: Resource) -> Verdict:
    """`latest` or no tag means each build may pull a different image: builds are not
    reproducible and a compromised or broken upstream push ships unnoticed. A digest pins the
    content; `scratch` and stages built on earlier stages have nothing to pin. An image built
    from an ARG without default is UNKNOWN. Template-only: no live collector."""
    offenders = []
    pending: UnknownValue | None = None
    for i, stage in enumerate(r.get("Stages") or []):
        if not isinstance(stage, Mapping) or stage.get("FromStage"):
            continue
        try:
            image = require(stage.get("BaseImage"), f"Stages.{i}.BaseImage")
            tag = require(stage.get("Tag"), f"Stages.{i}.Tag")
            digest = require(stage.get("Digest"), f"Stages.{i}.Digest")
        except UnknownValue as exc:
            pending = pending or exc
            continue
        if digest or str(image).lower() == "scratch":
            continue
        if tag is None or str(tag).lower() == "latest":
            offenders.append({"image": f"{image}:{tag}" if tag else str(image), "line": stage.get("Line")})
    if offenders:
        what = ", ".join(str(o["image"]) for o in offenders)
        return failed(f"base image not pinned to a version: {what}", images=offenders, line=offenders[0]["line"])
    if pending is not None:
        raise pending
    return passed("every base image is pinned to a tag or digest")


@control(
    "docker.add-from-url",
    title="Dockerfile uses ADD to fetch a remote URL",
    resource=DOCKERFILE,
    severity=Severity.MEDIUM,
    fix="Download with RUN curl/wget and verify a checksum (or use `ADD --checksum=sha256:...`); use COPY for local files.",
    places=(IAC,),
)
def add_from_url(r: Resource) -> Verdict:
    """ADD fetches a URL at build time without verifying what it got (and unpacks archives
    from local paths only): the content can change or be tampered with between builds.
    `ADD --checksum=...` verifies it and passes. Template-only: no live collector."""
    offenders = []
    for ins in _instructions(r, "ADD"):
        words = str(ins.get("Arguments") or "").split("\n", 1)[0].split()
        flags = [w for w in words if w.startswith("--")]
        if any(f.startswith("--checksum=") for f in flags):
            continue
        sources = [w for w in words if not w.startswith("--")][:-1]
        urls = [s for s in sources if _URL.match(s.strip("\"'[],"))]
        if urls:
            offenders.append({"line": ins.get("Line"), "url": urls[0].strip("\"'[],")[:200]})
    if offenders:
        return failed(f"ADD fetches {len(offenders)} remote URL(s)", adds=offenders, line=offenders[0]["line"])
    return passed("no ADD from a URL")


@control(
    "docker.secret-in-env-or-arg",
    title="Dockerfile sets a secret in ENV or ARG",
    resource=DOCKERFILE,
    severity=Severity.HIGH,
    fix="Use BuildKit secrets (`RUN --mount=type=secret,id=...`) at build time and inject secrets at run time, never ENV/ARG.",
    places=(IAC,),
)
def secret_in_env_or_arg(r: Resource) -> Verdict:
    """ENV values are baked into the image config and ARG values into its history: anyone who
    can pull the image can read them. A name that says secret with a literal value, or a value
    in a known credential format, fails; `${VAR}` references and ARGs without default do not.
    The value is redacted in evidence. Template-only: no live collector."""
    offenders = []
    for ins in _instructions(r, "ENV", "ARG"):
        for pair in ins.get("Pairs") or []:
            if not isinstance(pair, Mapping):
                continue
            name, value = pair.get("Name"), pair.get("Value")
            why = secret_reason(name, value)
            if why:
                offenders.append({"instruction": ins.get("Instruction"), "name": name, "value": redact(value),
                                  "line": ins.get("Line"), "why": why})
    if offenders:
        names = ", ".join(f"{o['instruction']} {o['name']}" for o in offenders)
        return failed(f"secret value written in the Dockerfile: {names}", variables=offenders,
                      line=offenders[0]["line"])
    return passed("no secret-looking ENV or ARG with a literal value")


@control(
    "docker.curl-pipe-shell",
    title="Dockerfile pipes a downloaded script into a shell (curl | sh)",
    resource=DOCKERFILE,
    severity=Severity.MEDIUM,
    fix="Download the script, verify its checksum or signature, then run it; or install from a signed package.",
    places=(IAC,),
)
def curl_pipe_shell(r: Resource) -> Verdict:
    """`curl https://... | sh` runs whatever the server (or anyone on the path) returns, with
    no integrity check, as the build user (usually root). Template-only: no live collector."""
    offenders = []
    for ins in _instructions(r, "RUN"):
        args = str(ins.get("Arguments") or "")
        m = _PIPE_TO_SHELL.search(args)
        if m:
            offenders.append({"line": ins.get("Line"), "command": m.group(0)[:200]})
    if offenders:
        return failed(f"{len(offenders)} RUN instruction(s) pipe a download into a shell", runs=offenders,
                      line=offenders[0]["line"])
    return passed("no RUN pipes curl/wget into a shell")

"""Write a Terraform directory from strings and load it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from railguard.model import Resource
from railguard.sources.loaded import Loaded
from railguard.sources.terraform import load_directory


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def load(root: Path, main: str = "", files: dict[str, str] | None = None, **kw: Any) -> Loaded:
    write(root, {**({"main.tf": main} if main else {}), **(files or {})})
    return load_directory(root, **kw)


def one(loaded: Loaded, type_: str, id_: str | None = None) -> Resource:
    found = [r for r in loaded.resources if r.type == type_ and (id_ is None or r.id == id_)]
    assert len(found) == 1, f"{type_} {id_}: {[r.id for r in loaded.resources]}"
    return found[0]


def of(loaded: Loaded, type_: str) -> list[Resource]:
    return [r for r in loaded.resources if r.type == type_]

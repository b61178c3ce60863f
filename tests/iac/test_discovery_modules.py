"""A local module is read through its caller, not again on its own with every variable unknown."""

from __future__ import annotations

from pathlib import Path

from railguard.engine.iac import TERRAFORM, discover

ROOT = 'module "web" {\n  source = "./modules/sg"\n  cidr   = "0.0.0.0/0"\n}\n'
MODULE = 'variable "cidr" {}\nresource "aws_security_group" "web" {\n  name = "web"\n}\n'


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "modules" / "sg").mkdir(parents=True)
    (tmp_path / "main.tf").write_text(ROOT)
    (tmp_path / "modules" / "sg" / "main.tf").write_text(MODULE)
    return tmp_path


def test_called_module_is_not_a_root_of_its_own(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    dirs = [t.path for t in discover([root]) if t.kind == TERRAFORM]
    assert dirs == [root]


def test_module_named_explicitly_is_still_scanned(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    targets = discover([root, root / "modules" / "sg"])
    assert {t.path for t in targets if t.kind == TERRAFORM} == {root, root / "modules" / "sg"}


def test_uncalled_directories_stay_roots(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "main.tf").write_text(MODULE)
    (tmp_path / "b" / "main.tf").write_text(MODULE)
    assert {t.path.name for t in discover([tmp_path]) if t.kind == TERRAFORM} == {"a", "b"}

"""environment.yml (conda users) pins exactly what pyproject.toml pins: dependencies and test extras."""

from __future__ import annotations

import re
import tomllib

import yaml

from kokuho_nb.params import REPO_ROOT


def _normalise(requirement: str) -> tuple[str, str]:
    """``("name", "specifier")`` with the name normalised as PyPI does (case, ``_`` / ``.`` -> ``-``)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$", requirement)
    assert match, requirement
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    return name, match.group(3).replace(" ", "")


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    requirements = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    pins = dict(_normalise(r) for r in requirements)
    assert len(pins) == len(requirements), "a package is listed twice in pyproject.toml"
    return pins


def _environment() -> dict[str, str]:
    data = yaml.safe_load((REPO_ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip: list[str] = []
    for item in data["dependencies"]:
        if isinstance(item, dict) and "pip" in item:
            pip += item["pip"]
    requirements = [r for r in pip if not r.startswith("-")]  # "-e ." installs the package itself
    pins = dict(_normalise(r) for r in requirements)
    assert len(pins) == len(requirements), "a package is listed twice in environment.yml"
    return pins


def test_environment_yml_pins_the_same_packages_as_pyproject() -> None:
    pyproject, environment = _pyproject(), _environment()
    assert sorted(set(pyproject) - set(environment)) == [], "in pyproject.toml but not in environment.yml"
    assert sorted(set(environment) - set(pyproject)) == [], "in environment.yml but not in pyproject.toml"
    differing = {n: (pyproject[n], environment[n]) for n in pyproject if pyproject[n] != environment[n]}
    assert differing == {}, "pins differ (pyproject, environment.yml)"


def test_every_dependency_is_pinned_exactly() -> None:
    for name, spec in _pyproject().items():
        assert spec.startswith("=="), f"{name} is not pinned: {spec!r}"


def test_environment_installs_the_package_and_python_version() -> None:
    data = yaml.safe_load((REPO_ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(item["pip"] for item in data["dependencies"] if isinstance(item, dict) and "pip" in item)
    assert "-e ." in pip
    python = next(d for d in data["dependencies"] if isinstance(d, str) and d.startswith("python"))
    required = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "requires-python"]
    minimum = tuple(int(x) for x in required.removeprefix(">=").split("."))
    conda = tuple(int(x) for x in python.split("=")[-1].split("."))
    assert conda >= minimum, f"environment.yml {python} is older than requires-python {required}"

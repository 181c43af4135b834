"""The platform's seams hold (issue "Platform v2" item 4): it imports no domain app, apps use
only what its modules publish in ``__all__``, and no module reaches for another's private
names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kesher

pytestmark = pytest.mark.any_database  # reads no database (conftest.py)

ROOT = Path(kesher.__file__).parent
# The development guide's example app (decision 0053) is held to the same seams as any app.
EXAMPLE_APP = ROOT.parent / "tests" / "guide_app"


def _modules(under: Path, *, with_tests: bool = False):
    base = ROOT if under.is_relative_to(ROOT) else under
    for path in sorted(under.rglob("*.py")):
        parts = path.relative_to(base).parts
        if "migrations" in parts or (not with_tests and "tests" in parts):
            continue
        yield path, ast.parse(path.read_text(), filename=str(path))


def _apps(*, with_tests: bool = False):
    """Every module of Kesher's apps and of the guide's example app."""
    yield from _modules(ROOT, with_tests=with_tests)
    yield from _modules(EXAMPLE_APP, with_tests=with_tests)


def _name(path: Path) -> Path:
    return path.relative_to(ROOT.parent)


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [alias.name for alias in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno


def _module_path(dotted: str) -> Path | None:
    relative = Path(*dotted.split(".")[1:])
    for candidate in (ROOT / relative.with_suffix(".py"), ROOT / relative / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _published(path: Path) -> set[str] | None:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return {elt.value for elt in node.value.elts}
    return None


# Users, departments and roles are what access is made of: the one app the platform builds on.
PLATFORM_BASE = {"platform", "org"}


def test_the_platform_imports_no_domain_app():
    """Its own tests may use the built-in entities as their subjects; its code may not."""
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path, tree in _modules(ROOT / "platform")
        for module, _names, line in _imports(tree)
        if module.startswith("kesher.") and module.split(".")[1] not in PLATFORM_BASE
    ]
    assert found == [], "\n".join(found)


def test_no_module_imports_a_private_name_of_another():
    found = [
        f"{_name(path)}:{line} imports {name} from {module}"
        for path, tree in _apps()
        for module, names, line in _imports(tree)
        if module.startswith("kesher.")
        for name in names
        if name.startswith("_")
    ]
    assert found == [], "\n".join(found)


def test_apps_use_only_what_platform_modules_publish():
    """Every name another app imports from a platform module is in its ``__all__``."""
    found = []
    for path, tree in _apps(with_tests=True):
        if path.is_relative_to(ROOT / "platform"):
            continue
        for module, names, line in _imports(tree):
            if not module.startswith("kesher.platform"):
                continue
            target = _module_path(module)
            if target is None or target.name == "__init__.py":
                continue  # a package: its names are modules
            published = _published(target)
            if published is None:
                found.append(f"{module} has no __all__ (imported by {_name(path)})")
                continue
            found += [
                f"{_name(path)}:{line} imports {name}, not in {module}.__all__"
                for name in names
                if name not in published
            ]
    assert sorted(set(found)) == [], "\n".join(sorted(set(found)))

"""No module uses another module's private names (``_name``): what a module offers others is its
public names. import-linter checks which modules import which; it cannot see names, so this does.

Production code only (model/, components/, app.py, scripts/): tests may reach into a module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Private uses known and accepted, each with its reason (none today: keep it that way).
KNOWN: set[str] = set()
# Private by name only: documented API of the libraries we use (SQLAlchemy's Row._mapping).
LIBRARY_API = {"_mapping", "_asdict", "_replace", "_fields", "_exit"}  # os._exit: documented
PROJECT_PACKAGES = ("model", "components", "views", "scripts")


def production_files() -> list[Path]:
    files = [REPO / "app.py"]
    for package in PROJECT_PACKAGES:
        files += sorted((REPO / package).rglob("*.py"))
    return [f for f in files if f.exists() and ".venv" not in f.parts]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_project(module: str) -> bool:
    return module.split(".")[0] in PROJECT_PACKAGES


def private_uses(source: str, this: str, where: str) -> list[str]:
    """``from other import _x`` and ``other._x`` where ``other`` is a project module bound by import,
    in the ``source`` of module ``this`` (``where`` names it in the findings)."""
    tree = ast.parse(source, filename=where)
    found: list[str] = []
    imported_modules: dict[str, str] = {}  # local name -> project module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and is_project(node.module):
            for alias in node.names:
                if is_private(alias.name) and node.module != this:
                    found.append(f"{where}:{node.lineno} imports {node.module}.{alias.name}")
                else:
                    imported_modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if is_project(alias.name):
                    local = alias.asname or alias.name.split(".")[0]
                    imported_modules[local] = alias.name if alias.asname else local
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr) and node.attr not in LIBRARY_API:
            base = node.value
            if isinstance(base, ast.Name) and base.id in imported_modules:
                found.append(f"{where}:{node.lineno} uses {imported_modules[base.id]}.{node.attr}")
            elif isinstance(base, ast.Name) and base.id not in ("self", "cls"):
                # another object's private attribute (``store._write``): its class's business only
                found.append(f"{where}:{node.lineno} uses {base.id}.{node.attr}")
    return sorted(found, key=lambda use: int(use.split(":")[1].split()[0]))


def test_no_module_uses_another_modules_private_names():
    uses = [
        use
        for path in production_files()
        for use in private_uses(
            path.read_text(encoding="utf-8"), module_name(path), str(path.relative_to(REPO))
        )
    ]
    assert [use for use in uses if re.sub(r":\d+ ", " ", use) not in KNOWN] == [], "\n".join(uses)


def test_the_check_sees_a_private_import_and_a_private_attribute_but_not_its_own_names():
    source = (
        "from model.sweep.storage import _storages\n"
        "from model.sweep import study\n"
        "from model.sample import _own\n"
        "study._cache.clear()\n"
        "study.__name__\n"
        "store._write('x')\n"
        "self._own\n"
        "row._mapping\n"
    )
    uses = private_uses(source, "model.sample", "model/sample.py")
    assert uses == [
        "model/sample.py:1 imports model.sweep.storage._storages",
        "model/sample.py:4 uses model.sweep.study._cache",
        "model/sample.py:6 uses store._write",
    ]

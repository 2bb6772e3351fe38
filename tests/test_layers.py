"""The architecture holds: imports point down only (STYLE.md), and only ui/ prints."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "papo"

#: Each top-level part of the package and its layer; a module may import only from its
#: own layer or lower ones.
LAYERS = {
    "errors": 0,
    "i18n": 0,
    "protocol": 1,
    "transport": 2,
    "discovery": 2,
    "store": 2,
    "session": 3,
    "ui": 4,
    "cli": 5,
    "__main__": 5,
    "__init__": 0,
}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name == "papo" or name.startswith("papo.")]


def _layer_of(path: Path) -> tuple[str, int]:
    relative = path.relative_to(SRC).with_suffix("")
    part = relative.parts[0]
    return part, LAYERS[part]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down_only(path: Path) -> None:
    part, layer = _layer_of(path)
    for line, name in _imports(path):
        target = _part(name)
        if target == "__init__":
            continue  # `import papo` (the version)
        assert LAYERS[target] <= layer, f"{part} (layer {layer}) imports {name} at line {line}"


@pytest.mark.parametrize(
    "path",
    [p for p in _modules() if _layer_of(p)[1] < LAYERS["ui"]],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_only_the_user_interface_prints(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("print", "input")
    ]
    assert not calls, f"print/input at lines {calls}"

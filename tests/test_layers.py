"""The package's two layers, read from the source: no import cycle, and the library never
imports the book's experiments (nor loads them on ``import mine_lib``)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mine_lib"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(current: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import ...`` inside ``current``."""
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the ``mine_lib`` modules it imports (at any depth of its code)."""
    modules = {module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    src = resolve(name, is_package, node.level, node.module)
                else:
                    src = node.module or ""
                # `from pkg import sub` imports the submodule pkg.sub when there is one
                targets = [f"{src}.{a.name}" if f"{src}.{a.name}" in modules else src
                           for a in node.names]
            else:
                continue
            edges.update(t for t in targets if t in modules and t != name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def is_experiment(name: str) -> bool:
    return name == "mine_lib.experiments" or name.startswith("mine_lib.experiments.")


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_relative_imports(tmp_path):
    pkg = tmp_path / "mine_lib"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("def f():\n    from .sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from .. import a\nfrom ..a import f\n")
    graph = import_graph(pkg)
    assert graph["mine_lib.a"] == {"mine_lib.sub.b"}
    assert graph["mine_lib.sub.b"] == {"mine_lib.a"}
    assert find_cycle(graph) == ["mine_lib.a", "mine_lib.sub.b", "mine_lib.a"]


def test_mine_lib_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_library_never_imports_an_experiment_module():
    graph = import_graph()
    wrong = {m: sorted(t for t in targets if is_experiment(t))
             for m, targets in graph.items() if not is_experiment(m)}
    assert {m: t for m, t in wrong.items() if t} == {}
    assert any(is_experiment(m) for m in graph)  # the experiments exist, so this can fail


def test_import_mine_lib_loads_no_experiment_module():
    code = ("import mine_lib, sys; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('mine_lib'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert "mine_lib.estimators.api" in out  # the estimators load with the library
    assert [m for m in out if is_experiment(m)] == []

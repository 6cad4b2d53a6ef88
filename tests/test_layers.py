"""Layers run one way: audio/labels → corpora, features → modeling → metrics/evaluation/model_card/inference →
training → cli/recipes. Every import counts, also those inside functions (where a cycle hides best)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hf_ser"


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph() -> dict[str, set[str]]:
    """hf_ser module -> the hf_ser modules it imports anywhere in its source (a package importing its own
    submodules, or a submodule its own package, is not an edge: Python does that anyway)."""
    modules = _modules()

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, (path, is_package) in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = module.split(".") if is_package else module.split(".")[:-1]
                if node.level:
                    base = base[: len(base) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
            for target in targets:
                name = known(target) if target.startswith("hf_ser") else None
                if name and name != module and not module.startswith(name + ".") and not name.startswith(module + "."):
                    edges.add(name)
        graph[module] = edges
    return graph


def closure(graph: dict[str, set[str]], starts: list[str]) -> set[str]:
    """Every module imported, directly or not, from ``starts`` (themselves included)."""
    seen, todo = set(), list(starts)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module])
    return seen


def reachable(graph: dict[str, set[str]], package: str) -> set[str]:
    return closure(graph, [m for m in graph if m == package or m.startswith(package + ".")])


def test_no_import_cycle_in_the_package():
    graph = import_graph()
    on_cycle = sorted(m for m in graph if any(m in closure(graph, [t]) for t in graph[m]))
    assert on_cycle == [], f"modules on an import cycle: {on_cycle}"


def test_lower_layers_do_not_import_upper_ones():
    graph = import_graph()
    modeling = reachable(graph, "hf_ser.modeling")
    assert not {m for m in modeling if m.startswith(("hf_ser.training", "hf_ser.corpora"))}, modeling
    evaluation = reachable(graph, "hf_ser.evaluation")
    assert not {m for m in evaluation if m.startswith("hf_ser.training")}, evaluation
    for low in ("hf_ser.audio", "hf_ser.labels", "hf_ser.metrics"):
        assert not {m for m in reachable(graph, low) if m.startswith(("hf_ser.training", "hf_ser.modeling"))}, low


def test_the_graph_sees_function_level_imports():
    """The check above would pass vacuously if function-level imports were missed: training.run imports
    training.experiment only inside functions."""
    assert "hf_ser.training.experiment" in import_graph()["hf_ser.training.run"]


def test_importing_audio_loads_neither_torch_nor_transformers():
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import hf_ser.audio"], capture_output=True, text=True, check=True
    )
    loaded = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert "hf_ser.audio" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("torch", "transformers")}

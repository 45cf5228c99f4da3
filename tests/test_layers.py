"""No module imports another that imports it back, in checks/ and tools/; the model layer
imports nothing above it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from checks.connectors import connector_names, get_connector

REPO = Path(__file__).resolve().parent.parent


def _modules() -> dict[str, Path]:
    found = {}
    for package in ("checks", "tools", "benchmarks"):
        for path in (REPO / package).rglob("*.py"):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of ours this one imports, anywhere in it (TYPE_CHECKING and functions too);
    ``from package import module`` counts as importing the module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                if name in modules:
                    found.add(name)
                elif node.module in modules:
                    found.add(node.module)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_module_imports_another_that_imports_it_back() -> None:
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_model_imports_nothing_above_it() -> None:
    modules = _modules()
    for name, path in modules.items():
        if name.startswith("checks.model"):
            assert {m for m in _imports(path, modules) if not m.startswith("checks.model")} \
                == set(), name


def _names_in(path: Path, names: tuple[str, ...]) -> list[str]:
    """Where a module's code names one of ``names``: a string (not a docstring) holding it
    as a word of its own ("ghes", "--connector gitlab"; not "x-github-sso")."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    word = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])")
    return [f"{path.name}:{node.lineno}: {found.group(1)}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and (found := word.search(node.value))]


def test_no_module_outside_the_connectors_names_a_connector() -> None:
    """The core knows connectors only through the registry: it imports none of their
    modules and spells none of their names, so a connector is its folder."""
    modules = _modules()
    # The connectors of this repository (a third-party one installed beside them lives
    # elsewhere, and is held to checks.api by its own package's tests).
    names = tuple(name for name in connector_names()
                  if get_connector(name).home.is_relative_to(REPO / "checks"))
    homes = {".".join(get_connector(name).home.relative_to(REPO).parts) for name in names}
    assert names and all(home.startswith("checks.connectors.") and home in modules
                         for home in homes)
    core = {name: path for name, path in modules.items()
            if name.startswith("checks") and not name.startswith("checks.connectors")}
    assert len(core) > 30
    imported = {name: sorted(i for i in _imports(path, modules)
                             if any(i == home or i.startswith(f"{home}.") for home in homes))
                for name, path in core.items()}
    assert {name: found for name, found in imported.items() if found} == {}
    named = [hit for path in core.values() for hit in _names_in(path, names)]
    assert named == []


def test_the_name_rule_sees_a_connector_named_in_code(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text('"""Mentions ghes in a docstring."""\nURL = "https://github.example.com"\n'
                      'HEADER = "x-github-sso"\nCHOICE = "--connector gitlab"\n')
    assert _names_in(module, ("ghes", "github", "gitlab")) == [
        "example.py:2: github", "example.py:4: gitlab"]


PLATFORMS = re.compile(r"(?i)(?<![\w-])(github|gitlab|bitbucket|azure)(?![\w-])|x-github|x-oauth")


def _platform_words(path: Path) -> list[str]:
    """Where a module's code (not its docstrings) names a code-host platform or its headers."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [f"{path.name}:{node.lineno}: {node.value[:60]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and PLATFORMS.search(node.value)]


def test_http_judging_in_the_core_speaks_no_platform() -> None:
    """Each platform supplies how its error messages read and which headers are evidence
    (checks.evaluate.http.Http); the core's HTTP judging names none."""
    assert _platform_words(REPO / "checks" / "evaluate" / "http.py") == []
    text = (REPO / "checks" / "evaluate" / "http.py").read_text()
    assert "GitHub" not in text and "github" not in text


def test_the_platform_rule_sees_a_platform_named_in_code(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text('"""GitHub in a docstring."""\nSAID = "(GitHub says: no)"\n'
                      'HEADER = "x-github-sso"\nOK = "forgithub-like"\n')
    assert _platform_words(module) == ["example.py:2: '(GitHub says: no)'",
                                       "example.py:3: 'x-github-sso'"]


def test_no_module_of_the_core_names_a_platform() -> None:
    """Outside checks/connectors/, no code names GitHub, GitLab, Bitbucket or Azure: what a
    platform is lives in its connector's folder."""
    core = [path for path in (REPO / "checks").rglob("*.py") if "connectors" not in path.parts]
    assert len(core) > 30
    assert [hit for path in core for hit in _platform_words(path)] == []


def test_a_connectors_folder_imports_only_the_connector_api_from_the_core() -> None:
    """Every module of a platform's folder (and of the example connector) takes what it needs
    from checks.api alone; every other module of checks is private to the core."""
    modules = _modules()
    folders = [REPO / "checks" / "connectors" / name
               for name in ("github", "gitlab", "bitbucket", "azure")]
    folders.append(REPO / "examples" / "http-health" / "http_health")
    found = {}
    for folder in folders:
        own = ".".join(folder.relative_to(REPO).parts)
        for path in folder.rglob("*.py"):
            tree = ast.parse(path.read_text())
            used = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    and node.module and node.module.split(".")[0] == "checks"}
            used |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for alias in node.names if alias.name.split(".")[0] == "checks"}
            # An options module imports checks.options alone: pytest reads it in every run.
            allowed = {"checks.options"} if path.name == "options.py" else {"checks.api"}
            stray = sorted(m for m in used if m not in allowed and not m.startswith(own))
            if stray:
                found[str(path.relative_to(REPO))] = stray
    assert modules and found == {}


def test_a_checks_layer_comes_from_its_requirement_alone(pytester: pytest.Pytester) -> None:
    """The page groups a check by its requirement's category, as the pytest marker does: a
    check whose id begins otherwise (project.exists, in bitbucket-dc's own layer) is never
    "Other"."""
    import json

    from checks.findings import groups

    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "bitbucket-dc",
                                "--offline", "-m", "connector(layer='project')")
    assert result.ret == 0
    report = json.loads((pytester.path / "reports" / "bitbucket-dc.json").read_text())
    assert {c["layer"] for c in report["checks"]} == {"project"}
    assert [g["name"] for g in groups(report["checks"], report["layers"])] == [
        "Project and repository"]


def test_reading_the_connectors_options_loads_no_connector() -> None:
    """pytest reads every connector's own options in every session (for --help and the
    command line): that imports their options modules only, never checks.api, a connector,
    httpx or cryptography."""
    import subprocess
    import sys

    probe = ("import sys, checks.plugin as p; p._connector_options(); "
             "print(sorted(m for m in sys.modules if m in ('checks.api', 'httpx', "
             "'cryptography', 'checks.run') or m.endswith('.connector')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

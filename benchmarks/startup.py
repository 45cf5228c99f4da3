"""Start-up: `pytest --connector ghes --offline` against pytest on its own, in one empty folder
with the same environment (medians of several runs, whole processes), in two environments:

- the main job's: a fresh venv holding the package and its runtime dependencies only, as
  the README's first command makes it (built from this environment's installed copies: no
  network);
- this one, with the test extra's plugins installed (pytest-html, pytest-xdist, ...).

In each: `pytest --version` (pytest and nothing else: the goal's yardstick, at most 2.5x);
`pytest --collect-only -q` in an empty folder (a session with every installed plugin loaded,
respx's own plugin among them); the offline main job, which also reads a scenario, judges a
certificate chain and writes three reports.

Run: python -m benchmarks.startup
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests import wheelhouse

REPO = Path(__file__).resolve().parent.parent

RUNS = 7
GOAL = 2.5


# As on a machine where the package is installed: Python keeps the bytecode it compiles (an
# environment that sets PYTHONDONTWRITEBYTECODE would compile every module of every run).
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def median_wall(python: Path, args: list[str], folder: Path) -> float:
    walls = []
    for run in range(RUNS + 1):  # the first run writes the bytecode, and is not counted
        started = time.monotonic()
        subprocess.run([str(python), "-m", "pytest", "-p", "no:cacheprovider", *args],
                       cwd=folder, capture_output=True, check=False, env=ENV)
        if run:
            walls.append(time.monotonic() - started)
    return statistics.median(walls)


def main_job_venv(folder: Path) -> Path:
    """The README's main job's venv: ``pip install -e .``, with no test extra."""
    index = wheelhouse.build(folder / "index", ["connector-checks", "setuptools"])
    venv = folder / "venv"
    python3 = Path(os.path.realpath(sys.executable))  # the interpreter beneath any venv
    subprocess.run([str(python3), "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-e", str(REPO)],
                   check=True, env={**ENV, **wheelhouse.pip_environment(index)})
    return venv / "bin" / "python"


def measure(label: str, python: Path, folder: Path) -> None:
    version = median_wall(python, ["--version"], folder)
    session = median_wall(python, ["--collect-only", "-q"], folder)
    offline = median_wall(python, ["--connector", "ghes", "--offline", "-q"], folder)
    print(f"{label}: medians of {RUNS} runs, one empty folder")
    print(f"  {'pytest --version':<38} {version:6.2f} s")
    print(f"  {'pytest --collect-only (all plugins)':<38} {session:6.2f} s  "
          f"{session / version:5.2f}x")
    print(f"  {'pytest --connector ghes --offline':<38} {offline:6.2f} s  "
          f"{offline / version:5.2f}x (goal: at most {GOAL}x --version); "
          f"{offline / session:.2f}x a plugin-loaded session")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory) / "empty"
        folder.mkdir()
        measure("the main job's venv (runtime dependencies only)",
                main_job_venv(Path(directory)), folder)
        measure("this environment (with the test extra's plugins)", Path(sys.executable), folder)


if __name__ == "__main__":
    main()

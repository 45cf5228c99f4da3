"""Start-up: `pytest --connector ghes --offline` against pytest on its own, in one empty folder
with the same environment (medians of several runs, whole processes).

- `pytest --version`: pytest and nothing else (the goal's yardstick: at most 2.5x);
- `pytest --collect-only -q` in an empty folder: a pytest session with every installed plugin
  loaded (respx's own plugin, which this package depends on, among them);
- the offline main job, which also reads a scenario, judges a certificate chain and writes
  three reports.

Run: python -m benchmarks.startup
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7
GOAL = 2.5


def median_wall(args: list[str], folder: Path) -> float:
    walls = []
    for _ in range(RUNS):
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                       cwd=folder, capture_output=True, check=False)
        walls.append(time.monotonic() - started)
    return statistics.median(walls)


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        version = median_wall(["--version"], folder)
        session = median_wall(["--collect-only", "-q"], folder)
        offline = median_wall(["--connector", "ghes", "--offline", "-q"], folder)
    print(f"medians of {RUNS} runs, one empty folder")
    print(f"{'pytest --version':<40} {version:6.2f} s")
    print(f"{'pytest --collect-only (all plugins)':<40} {session:6.2f} s  {session / version:5.2f}x")
    print(f"{'pytest --connector ghes --offline':<40} {offline:6.2f} s  {offline / version:5.2f}x "
          f"(goal: at most {GOAL}x --version); {offline / session:.2f}x a plugin-loaded session")


if __name__ == "__main__":
    main()

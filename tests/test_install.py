"""After `pip install`, `pytest --connector ghes` works from any folder (pytest11 entry point)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import healthy_checks

HEALTHY = healthy_checks()  # checks in the bundled healthy ghes scenario, from the catalogue


REPO = Path(__file__).resolve().parent.parent


def test_an_installed_package_runs_from_an_empty_folder(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for name in ("checks",):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                                "get_paths()['purelib'])"], check=True, capture_output=True,
                               text=True).stdout.strip())
    # Dependencies (and pip, setuptools) come from this environment: no index is asked.
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", str(source)], check=True)
    guard = tmp_path / "guard"
    guard.mkdir()
    shutil.copy(REPO / "tests" / "netguard.py", guard / "netguard.py")
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(guard), "HOME": str(tmp_path)}
    located = subprocess.run([str(python), "-c", "import checks; print(checks.__file__)"],
                             cwd=empty, env=env, check=True, capture_output=True, text=True)
    assert located.stdout.startswith(str(site))
    result = subprocess.run([str(python), "-m", "pytest", "-p", "netguard", "--connector",
                             "ghes", "--offline", "-p", "no:cacheprovider"], cwd=empty, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{HEALTHY} passed" in result.stdout
    report = json.loads((empty / "reports" / "ghes.json").read_text())
    assert report["summary"]["passed"] == HEALTHY
    assert sorted(p.name for p in (empty / "reports").iterdir()) == [
        "ghes.html", "ghes.json", "ghes.junit.xml"]

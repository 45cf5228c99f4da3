"""A package index made of this environment's installed copies, so the README's commands can
run verbatim in a fresh venv without the test suite leaving loopback: each installed
distribution is packed back into a wheel (its files, its dist-info, its scripts)."""

from __future__ import annotations

import importlib.metadata as metadata
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(names: Iterable[str], extras: tuple[str, ...] = ()) -> dict[str, metadata.Distribution]:
    """The installed distributions these need, with their dependencies (and, for the first
    one, the extras named)."""
    found: dict[str, metadata.Distribution] = {}
    first, *others = names
    todo = [(first, extras), *((name, ()) for name in others)]
    while todo:
        name, wanted = todo.pop()
        if _key(name) in found:
            continue
        distribution = metadata.distribution(name)
        found[_key(name)] = distribution
        for text in distribution.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or any(
                    requirement.marker.evaluate({"extra": extra}) for extra in ("", *wanted)):
                todo.append((requirement.name, ()))
    return found


def repack(distribution: metadata.Distribution, folder: Path) -> Path:
    files = [f for f in distribution.files or [] if "__pycache__" not in str(f)]
    wheel = next(f for f in files if str(f).endswith(".dist-info/WHEEL"))
    tags = [line.split(":", 1)[1].strip()
            for line in Path(str(distribution.locate_file(wheel))).read_text().splitlines()
            if line.startswith("Tag:")]
    name = re.sub(r"[-_.]+", "_", distribution.metadata["Name"])
    path = folder / f"{name}-{distribution.version}-{tags[-1]}.whl"
    scripts = f"{name}-{distribution.version}.data/scripts/"
    with zipfile.ZipFile(path, "w") as archive:
        for file in files:
            source = Path(str(distribution.locate_file(file)))
            inside = str(file)
            if inside.startswith(".."):
                # A script installed beside python (bin/ruff): a wheel carries it as data.
                if "/bin/" not in inside or (distribution.entry_points and inside.endswith(
                        tuple(ep.name for ep in distribution.entry_points))):
                    continue
                inside = scripts + Path(inside).name
            if source.is_file():
                archive.write(source, inside)
    return path


def build(folder: Path, names: Iterable[str], extras: tuple[str, ...] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for key, distribution in closure(names, extras).items():
        if key != "connector-checks":
            repack(distribution, folder)
    return folder


def pip_environment(index: Path) -> dict[str, str]:
    """What makes pip install from this index only, with no configuration of this machine."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(index), "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

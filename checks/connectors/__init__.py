"""The connectors, by name, and the bundled profiles of their vendors.

A connector is found through the ``connector_checks.connectors`` entry-point group: each entry
names a :class:`~checks.catalogue.Connector`, so a separate package can add one. Its module
is imported when it is asked for, not before: a pytest run without --connector imports none.
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from checks.profiles import Profile, ProfileError
from checks.profiles import read as read_profile

if TYPE_CHECKING:
    from checks.catalogue import Connector

GROUP = "connector_checks.connectors"


@functools.cache
def _entries() -> dict[str, EntryPoint]:
    return {entry.name: entry for entry in entry_points(group=GROUP)}


def connector_names() -> tuple[str, ...]:
    return tuple(sorted(_entries()))


@functools.cache
def get_connector(name: str) -> Connector:
    from checks.catalogue import Connector

    connector = _entries()[name].load()
    if not isinstance(connector, Connector) or connector.name != name:
        raise TypeError(f"entry point {name} of {GROUP} is not a Connector named {name}")
    return connector


def connectors() -> list[Connector]:
    return [get_connector(name) for name in connector_names()]


@functools.cache
def bundled_profiles() -> dict[str, Path]:
    """Every bundled profile by name: each connector's folder holds its vendors' guides, in
    profiles/. Found without importing a connector (pytest --help lists them)."""
    found: dict[str, Path] = {}
    for entry in sorted(_entries().values(), key=lambda e: e.name):
        folder = _folder(entry.module)
        for path in sorted(folder.glob("profiles/*.toml")) if folder else ():
            found.setdefault(path.stem, path)
    return found


def bundled_profile_names() -> list[str]:
    return sorted(bundled_profiles())


def _folder(module: str) -> Path | None:
    """The folder of a module, found from its top package's location without importing it."""
    top, *inner = module.split(".")
    spec = find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).joinpath(*inner[:-1])


def load_profile(name_or_path: str) -> tuple[Connector, Profile]:
    """A bundled profile by name, or a profile file by path, checked against its connector;
    ProfileError says what is wrong in one line."""
    bundled = bundled_profiles()
    if name_or_path in bundled:
        profile = read_profile(bundled[name_or_path], bundled=True)
    elif name_or_path.endswith(".toml") or "/" in name_or_path:
        profile = read_profile(Path(name_or_path).expanduser())
        if profile.name in bundled:
            # Never shown, recorded or reproduced as the bundled profile it is not.
            raise ProfileError(f"profile {profile.source}: name: {profile.name!r} is the name "
                               f"of a bundled profile: give this file a name of its own")
    else:
        raise ProfileError(f"no profile {name_or_path!r}: give a bundled name "
                           f"({', '.join(sorted(bundled))}) or a path to a .toml file")
    return checked_profile(profile)


def checked_profile(profile: Profile) -> tuple[Connector, Profile]:
    """A profile checked against its connector (which must be registered), and that
    connector; ProfileError says what is wrong in one line."""
    if profile.connector not in _entries():
        raise ProfileError(f"profile {profile.source}: connector: unknown connector "
                           f"{profile.connector!r}; choose from {', '.join(connector_names())}")
    connector = get_connector(profile.connector)
    connector.check(profile)
    from checks import reasons

    unknown = sorted(code for code in profile.vendor_codes if code not in reasons.REASONS)
    if unknown:
        raise ProfileError(f"profile {profile.source}: vendor_codes: {', '.join(unknown)} "
                           f"{'is not a reason code' if len(unknown) == 1 else 'are not reason codes'}"
                           f" (docs/reasons.md lists them)")
    return connector, profile


def default_profile(connector: Connector) -> Profile:
    return load_profile(connector.default_profile)[1]

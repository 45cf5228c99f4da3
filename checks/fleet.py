"""A fleet: many targets from one TOML file (``--fleet``), checked in one run, each under its
own name; and the fleet's own outputs, made from its targets' JSON reports: the fleet JSON
(one row per target), which the fleet page, JUnit and ``connector-checks merge`` of shards
are made from. docs/fleet.md describes the file; fleet.schema.json publishes it.

Plain code: a bad file is a :class:`FleetError` whose message is one line naming the file,
the line and what is wrong; nothing here probes.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from checks import gate

SCHEMA = "connector-checks/fleet/1"
BUNDLED = Path(__file__).parent / "fleets"
NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?")
FILE_LIMIT = 4 * 2**20
MAX_TARGETS = 10_000

# A target's keys: the command line's options of the same name, without their dashes (a
# list for a repeatable option: a single value is taken as a list of one).
SINGLE = ("target", "org", "repo", "ca-bundle", "public-roots", "scenario", "max-pages",
          "max-installations", "run-timeout")
LISTS = ("resolver", "public-resolver", "connect-to", "require-scope")
OWN = ("name", "connector", "profile", "secrets")
NOT_PER_TARGET = ("check-timeout", "report-dir", "fail-on", "metrics", "record", "bundle",
                  "max-wait", "vantage", "compare", "offline")


class FleetError(ValueError):
    """A fleet file that cannot be used: the message is one line, FILE:LINE: what."""


@dataclass(frozen=True)
class SecretSource:
    """Where one of a target's secrets comes from: an environment variable or a file (never
    its value)."""

    env: str | None = None
    file: Path | None = None
    value: str | None = None  # only for a connector's required setting that is not secret

    def describe(self) -> str:
        return (f"environment variable {self.env}" if self.env else
                f"file {self.file}" if self.file else "the fleet file")


@dataclass(frozen=True)
class FleetTarget:
    name: str
    connector: str | None  # None: the profile's connector
    profile: str | None
    options: Mapping[str, Any]  # key (as in the file) -> value, defaults applied
    secrets: Mapping[str, SecretSource]
    line: int  # where its [[targets]] table begins


@dataclass(frozen=True)
class Fleet:
    path: Path
    label: str  # as given: a bundled name or the path
    targets: tuple[FleetTarget, ...]
    shard: tuple[int, int] | None = None  # (K, N): this run's part of the fleet
    every_name: tuple[str, ...] = field(default_factory=tuple)  # all targets, every shard

    @property
    def folder(self) -> Path:
        return self.path.parent

    def where(self, target: FleetTarget) -> str:
        return f"{self.label}:{target.line}: target {target.name}"


def bundled_names() -> list[str]:
    return sorted(p.stem for p in BUNDLED.glob("*.toml"))


def parse_shard(text: str) -> tuple[int, int]:
    """K/N: this run checks the K-th of N parts of the fleet (1 <= K <= N <= 1000)."""
    match = re.fullmatch(r"([0-9]{1,4})/([0-9]{1,4})", text.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]) <= 1000:
        raise ValueError(f"{text[:20]!r} is not K/N with 1 <= K <= N <= 1000, e.g. 2/10 (the "
                         f"second of ten shards)")
    return int(match[1]), int(match[2])


def parse_concurrency(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 4) or not 0 < int(text) <= 1000:
        raise ValueError(f"{text[:20]!r} is not a number of targets between 1 and 1000")
    return int(text)


def in_shard(names: Iterable[str], shard: tuple[int, int] | None) -> set[str]:
    """The targets of shard K of N: every N-th of the names in sorted order, from the K-th,
    so the same file and N give the same shard whatever the order of the file, and the
    shards differ in size by one target at most."""
    ordered = sorted(names)
    if shard is None:
        return set(ordered)
    k, n = shard
    return set(ordered[k - 1::n])


def locate(text: str) -> str:
    """A bundled fleet by name, or a file."""
    if "/" not in text and not text.endswith(".toml") and (BUNDLED / f"{text}.toml").is_file():
        return str(BUNDLED / f"{text}.toml")
    return text


def load(given: str, connectors: Sequence[str], looks_secret: Any = None,
         shard: tuple[int, int] | None = None) -> Fleet:
    """The fleet file ``given`` (a bundled name, a file, or a folder holding fleet.toml),
    checked whole: FleetError for the first thing wrong. ``connectors``: the names installed;
    ``looks_secret(text)``: whether a value has the shape of a credential."""
    located = Path(locate(given)).expanduser()
    if located.is_dir():
        located = located / "fleet.toml"
    label = given
    try:
        with located.open("rb") as file:
            data = file.read(FILE_LIMIT + 1)
    except OSError as error:
        raise FleetError(f"--fleet {given}: cannot read {located}: {error.strerror}; give a "
                         f"fleet .toml file (docs/fleet.md) or a bundled fleet "
                         f"({', '.join(bundled_names())})") from None
    if len(data) > FILE_LIMIT:
        raise FleetError(f"{label}: larger than {FILE_LIMIT // 2**20} MiB: not a fleet file")
    try:
        text = data.decode("utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError:
        raise FleetError(f"{label}: not UTF-8 text: give a fleet .toml file") from None
    except tomllib.TOMLDecodeError as error:
        at = re.search(r"\(at line (\d+), column \d+\)", str(error))
        what = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise FleetError(f"{label}:{at[1] if at else 1}: not TOML: {what}") from None
    where = _Lines(text, label)
    _no_secret_values(document, where, looks_secret)
    unknown = [k for k in document if k not in ("defaults", "targets", "schema")]
    if unknown:
        raise FleetError(f"{where.key(unknown[0])}: unknown table {unknown[0]!r}: a fleet file "
                         f"holds [defaults] and [[targets]]")
    defaults = document.get("defaults", {})
    if not isinstance(defaults, dict):
        raise FleetError(f"{where.key('defaults')}: defaults is a table: [defaults]")
    targets = document.get("targets")
    if not isinstance(targets, list) or not targets or \
            not all(isinstance(t, dict) for t in targets):
        raise FleetError(f"{label}:1: no [[targets]]: a fleet file lists its targets as "
                         f"[[targets]] tables, each with a name and a connector (docs/fleet.md)")
    if len(targets) > MAX_TARGETS:
        raise FleetError(f"{label}: {len(targets)} targets: at most {MAX_TARGETS}")
    _check_keys(defaults, where, None, connectors, defaults=True)
    seen: dict[str, int] = {}
    found = []
    for n, table in enumerate(targets):
        line = where.target(n)
        _check_keys(table, where, n, connectors, defaults=False)
        name = table.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            shown = repr(name)[:40] if name is not None else "none"
            raise FleetError(f"{label}:{line}: target name {shown}: give each target a name "
                             f"of letters, digits, '.', '-' or '_' (up to 64), e.g. acme-ghes")
        if name in seen:
            raise FleetError(f"{label}:{line}: target name {name!r} is used twice (first at "
                             f"line {seen[name]}): each target's name is its own")
        seen[name] = line
        merged = {**defaults, **table}
        connector, profile = merged.get("connector"), merged.get("profile")
        if connector is None and profile is None:
            raise FleetError(f"{label}:{line}: target {name} names no connector: give "
                             f"connector = \"NAME\" ({', '.join(connectors)}) or profile")
        if connector is not None and connector not in connectors:
            hint = difflib.get_close_matches(str(connector), connectors, 1)
            raise FleetError(f"{where.key_in(n, 'connector')}: unknown connector "
                             f"{str(connector)[:40]!r}"
                             + (f" (did you mean {hint[0]}?)" if hint else "")
                             + f": choose from {', '.join(connectors)}")
        secrets = _secrets(merged.get("secrets", {}), where, n, name)
        options = {k: v for k, v in merged.items() if k not in OWN}
        found.append(FleetTarget(name, connector, profile, options, secrets, line))
    names = tuple(t.name for t in found)
    chosen = in_shard(names, shard)
    return Fleet(located, label, tuple(t for t in found if t.name in chosen), shard, names)


def _check_keys(table: Mapping[str, Any], where: _Lines, n: int | None,
                connectors: Sequence[str], defaults: bool) -> None:
    known = (*SINGLE, *LISTS, *OWN)
    for key, value in table.items():
        at = where.key_in(n, key) if n is not None else where.key(key)
        if defaults and key == "name":
            raise FleetError(f"{at}: a name is each target's own, not a default")
        if key in NOT_PER_TARGET:
            raise FleetError(f"{at}: {key} is the run's, not a target's: give --{key} on the "
                             f"command line")
        if key not in known and not _connector_option(key, connectors):
            hint = difflib.get_close_matches(key, known, 1)
            raise FleetError(f"{at}: unknown key {key[:40]!r}"
                             + (f" (did you mean {hint[0]}?)" if hint else "")
                             + ": docs/fleet.md lists a target's keys")
        if key in LISTS:
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(i, str) for i in items):
                raise FleetError(f"{at}: {key} is a text or a list of texts")
        elif key in ("max-pages", "max-installations"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise FleetError(f"{at}: {key} is a whole number")
        elif key == "run-timeout":
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise FleetError(f"{at}: run-timeout is a number of seconds")
        elif key == "secrets":
            if not isinstance(value, dict):
                raise FleetError(f"{at}: secrets is a table: NAME = {{ env = \"VARIABLE\" }} "
                                 f"or {{ file = \"PATH\" }}")
        elif not isinstance(value, str | list):
            raise FleetError(f"{at}: {key} is a text")


def _connector_option(key: str, connectors: Sequence[str]) -> bool:
    """A connector's own option (--NAME-...), given without its dashes."""
    return any(key.startswith(f"{name}-") for name in connectors)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def _secrets(table: Mapping[str, Any], where: _Lines, n: int, name: str
             ) -> dict[str, SecretSource]:
    found = {}
    for secret, source in table.items():
        at = where.key_in(n, secret)
        if not _ENV_NAME.fullmatch(secret):
            raise FleetError(f"{at}: {secret[:40]!r} is not a secret's name, e.g. "
                             f"CONNECTOR_GHES_TOKEN")
        if isinstance(source, str):
            if secret.endswith(("_ID", "_URL")) and not secret.endswith("CLIENT_ID"):
                found[secret] = SecretSource(value=source)  # a setting, not a credential
                continue
            raise FleetError(f"{at}: target {name}: the value of {secret} is in the file (not "
                             f"shown): a fleet file says where a secret comes from, "
                             f"{secret} = {{ env = \"VARIABLE\" }} or {{ file = \"PATH\" }}, "
                             f"never the secret")
        if not isinstance(source, dict) or set(source) not in ({"env"}, {"file"}) or \
                not isinstance(next(iter(source.values())), str):
            raise FleetError(f"{at}: {secret} = {{ env = \"VARIABLE\" }} or "
                             f"{{ file = \"PATH\" }}")
        if "env" in source:
            if not _ENV_NAME.fullmatch(source["env"]):
                raise FleetError(f"{at}: {source['env'][:40]!r} is not an environment "
                                 f"variable's name")
            found[secret] = SecretSource(env=source["env"])
        else:
            found[secret] = SecretSource(file=Path(source["file"]).expanduser())
    return found


def _no_secret_values(document: Any, where: _Lines, looks_secret: Any) -> None:
    """Any text in the file that has the shape of a credential is refused, wherever it is."""
    if looks_secret is None:
        return
    for text in _texts(document):
        if looks_secret(text):
            raise FleetError(f"{where.value(text)}: a value has the shape of a credential (not "
                             f"shown): a fleet file names where each secret comes from "
                             f"({{ env = \"VARIABLE\" }} or {{ file = \"PATH\" }}), never the "
                             f"secret; remove it, and revoke it if the file was shared")


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


class _Lines:
    """Where things are in the file's text, for the one line that says what is wrong."""

    def __init__(self, text: str, label: str) -> None:
        self.lines = text.splitlines()
        self.label = label
        self.headers = [n + 1 for n, line in enumerate(self.lines)
                        if re.match(r"\s*\[\[\s*\"?targets\"?\s*\]\]", line)]

    def target(self, n: int) -> int:
        return self.headers[n] if n < len(self.headers) else 1

    def key_in(self, n: int | None, key: str) -> str:
        start = self.target(n) if n is not None else 1
        end = self.headers[n + 1] if n is not None and n + 1 < len(self.headers) else \
            len(self.lines) + 1
        pattern = re.compile(rf"\s*\"?{re.escape(key)}\"?\s*=")
        for number in range(start, end):
            if pattern.match(self.lines[number - 1]) or \
                    re.search(rf"[{{,]\s*\"?{re.escape(key)}\"?\s*=", self.lines[number - 1]):
                return f"{self.label}:{number}"
        return f"{self.label}:{start}"

    def key(self, key: str) -> str:
        for number, line in enumerate(self.lines, 1):
            if re.match(rf"\s*\[?\"?{re.escape(key)}\"?\]?\s*=?", line) and key in line:
                return f"{self.label}:{number}"
        return f"{self.label}:1"

    def value(self, value: str) -> str:
        probe = value.splitlines()[0] if value else value
        for number, line in enumerate(self.lines, 1):
            if probe and probe in line:
                return f"{self.label}:{number}"
        return f"{self.label}:1"


# The fleet's outputs, made from its targets' JSON reports (each redacted already).

def row(name: str, folder: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """One target's line of the fleet: its verdict, the first requirement that failed (its
    vendor code), its certificate's and token's expiry, and where its reports are."""
    decided = gate.of(document)
    if document.get("interrupted") and decided["verdict"] == "nothing_checked":
        # Ctrl-C came before this target started: it was not checked, not deselected.
        words, tone, _ = gate.VERDICTS["incomplete"]
        decided = {**decided, "verdict": "incomplete", "words": words, "tone": tone}
    checks = document.get("checks", [])
    failing = next((c for c in checks if gate.gated(c["outcome"], decided["gate"])), None) or \
        next((c for c in checks if c["outcome"] == "warning"), None)
    at = _time(document.get("observed_at") or document.get("started_at"))
    certificate = None
    token = None
    for check in checks:
        evidence = check.get("evidence") or {}
        chain = evidence.get("chain")
        if certificate is None and check.get("requirement") == "tls.public_ca" and chain:
            certificate = _expiry(chain[0].get("not_after"), at,
                                  subject=chain[0].get("subject", ""))
        if token is None and isinstance(evidence.get("expires_at"), str):
            token = _expiry(evidence["expires_at"], at)
    profile = document.get("profile") or {}
    return {
        "name": name, "connector": document.get("connector"), "target": document.get("target"),
        "mode": document.get("mode"), "scenario": document.get("scenario"),
        "profile": profile.get("name") if isinstance(profile, dict) else None,
        "verdict": decided, "summary": document.get("summary", {}),
        "first_failure": None if failing is None else {
            "id": failing["id"], "outcome": failing["outcome"], "reason": failing.get("reason"),
            "vendor_code": failing.get("vendor_code"), "message": failing.get("message", ""),
            "remediation": failing.get("remediation", "")},
        "certificate": certificate, "token": token,
        "reports": {kind: f"{folder}/{document.get('connector')}.{kind}"
                    for kind in ("html", "json", "junit.xml")},
        "observed_at": document.get("observed_at"),
    }


def _time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def _expiry(not_after: Any, at: datetime | None, subject: str = "") -> dict[str, Any] | None:
    end = _time(not_after)
    if end is None or at is None:
        return None
    found: dict[str, Any] = {"not_after": str(not_after),
                             "days_left": round((end - at).total_seconds() / 86400, 1)}
    if subject:
        found["subject"] = subject
    return found


def document(rows: list[dict[str, Any]], label: str, every_name: Sequence[str],
             shard: tuple[int, int] | None, fail_on: str, run: Mapping[str, Any]
             ) -> dict[str, Any]:
    """The fleet JSON: a row per target checked (by name), and the fleet's verdict: its
    worst target's."""
    rows = sorted(rows, key=lambda r: r["name"])
    return {"schema": SCHEMA, "fleet": label, "targets_in_fleet": sorted(every_name),
            "shards": [list(shard)] if shard else [[1, 1]], "fail_on": fail_on, **run,
            "missing": [], "verdict": worst(rows), "tally": tally(rows), "targets": rows}


# Worst first. A target none of whose checks were selected (-k, -m) says nothing of the
# fleet: it decides only when no target had a check selected.
ORDER = ("not_ready", "incomplete", "ready_with_warnings", "ready", "nothing_checked")


def worst(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The fleet's verdict: its worst target's."""
    codes = [r["verdict"]["verdict"] for r in rows]
    code = next((c for c in ORDER if c in codes), "nothing_checked")
    words, tone, exit_code = gate.VERDICTS[code]
    return {"verdict": code, "words": words, "tone": tone, "exit_code": exit_code}


def tally(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for one in rows:
        code = one["verdict"]["verdict"]
        found[code] = found.get(code, 0) + 1
    return found


class Unmergeable(ValueError):
    """Fleet JSONs that are not shards of one fleet: one line."""


def merge(documents: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The shards' fleet JSONs as one: the same rows, verdict and page as one unsharded run
    of the fleet. Shards of another fleet, a shard given twice, or a target in two shards
    are refused; a shard missing is named, and its targets are listed as not checked."""
    first_path, first = documents[0]
    rows: dict[str, dict[str, Any]] = {}
    shards: list[list[int]] = []
    for path, one in documents:
        if one.get("schema") != SCHEMA:
            raise Unmergeable(f"{path} is not a fleet JSON report ({SCHEMA})")
        if one.get("targets_in_fleet") != first.get("targets_in_fleet"):
            raise Unmergeable(f"{path} is a report of another fleet than {first_path} (its "
                              f"targets differ)")
        for shard in one.get("shards", []):
            if shard in shards:
                raise Unmergeable(f"{path}: shard {shard[0]}/{shard[1]} is given twice")
            shards.append(shard)
        for target in one["targets"]:
            if target["name"] in rows:
                raise Unmergeable(f"{path}: target {target['name']} is in two of the reports")
            rows[target["name"]] = target
    counts = {n for _, n in shards}
    if len(counts) > 1:
        raise Unmergeable(f"the reports are shards of different counts ({sorted(counts)}): "
                          f"merge the shards of one --shard K/N run")
    missing = [n for n in first.get("targets_in_fleet", []) if n not in rows]
    merged = {key: value for key, value in first.items()
              if key not in ("targets", "shards", "verdict", "tally")}
    merged["shards"] = sorted(shards)
    merged["missing"] = missing
    merged["started_at"] = min(str(d.get("started_at", "")) for _, d in documents)
    merged["duration_s"] = max(float(d.get("duration_s", 0.0)) for _, d in documents)
    merged["run_ids"] = sorted({str(d.get("run_id")) for _, d in documents})
    ordered = [rows[name] for name in sorted(rows)]
    merged["verdict"] = worst(ordered) if not missing else {
        **worst(ordered), **({} if worst(ordered)["verdict"] == "not_ready" else {
            "verdict": "incomplete", "words": "incomplete", "tone": "notrun", "exit_code": 2})}
    merged["tally"] = tally(ordered)
    merged["targets"] = ordered
    return merged


def comparable_view(fleet_document: Mapping[str, Any]) -> dict[str, Any]:
    """What a merged and an unsharded run of the same fleet agree on: every target's row
    without the run's times, and the verdict."""
    def row_view(one: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in one.items() if k not in ("observed_at",)}

    return {"verdict": fleet_document["verdict"], "tally": fleet_document["tally"],
            "targets": [row_view(r) for r in fleet_document["targets"]]}

"""The pytest plugin: the connector options, validated as they are read. A run that asks for
a connector registers :mod:`checks.session`, which collects the checks and writes the
reports; any other pytest run costs no more than reading these options."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from checks.connectors import bundled_profile_names, connector_names, load_profile
from checks.options import Option
from checks.settings import (
    MAX_INSTALLATIONS,
    RUN_TIMEOUT,
    Settings,
    load_pem_bundle,
    load_report,
    parse_connect_to,
    parse_fail_on,
    parse_max_installations,
    parse_max_pages,
    parse_max_wait,
    parse_nameserver,
    parse_org,
    parse_output_file,
    parse_record,
    parse_repo,
    parse_report_dir,
    parse_run_timeout,
    parse_scope,
    parse_target,
    parse_timeout,
    parse_vantage,
)

if TYPE_CHECKING:
    from checks.profiles import Profile
    from checks.results import ConnectorResults

T = TypeVar("T")

def _profile(text: str) -> Profile:
    return load_profile(text)[1]


def _connector_name(text: str) -> str:
    if text not in connector_names():
        raise ValueError(f"unknown connector {text!r}: choose from {', '.join(connector_names())}")
    return text


class _Later(str):
    """A help text whose lists are made when --help shows it (argparse formats it with %):
    listing the connectors and their profiles reads the entry points, which a pytest run
    that shows no help never needs. Anywhere else it reads as ``short``."""

    make: Callable[[], str]

    def __new__(cls, short: str, make: Callable[[], str]) -> _Later:
        made = super().__new__(cls, short)
        made.make = make
        return made

    def __mod__(self, values: Any) -> str:
        return str(self.make() % values)


@dataclass(frozen=True)
class _Invalid:
    """An option value that did not parse; reported as one line once options are read (an
    argparse error would print pytest's usage banner around it)."""

    message: str


def _cli(parse: Callable[[str], T]) -> Callable[[str], T | _Invalid]:
    """An argparse ``type=``: the value parsed at parse time, or what is wrong with it."""

    def checked(text: str) -> T | _Invalid:
        try:
            return parse(text)
        except ValueError as error:
            return _Invalid(str(error))

    checked.__name__ = parse.__name__
    return checked


def _parse_shard(text: str) -> tuple[int, int]:
    from checks.fleet import parse_shard

    return parse_shard(text)


def _parse_concurrency(text: str) -> int:
    from checks.fleet import parse_concurrency

    return parse_concurrency(text)


def _fleets() -> list[str]:
    from checks.fleet import bundled_names

    return bundled_names()


# (option, ini name, parse, help); list options are repeatable on the command line.
_OPTIONS: list[tuple[str, str, Callable[[str], Any], bool, str]] = [
    ("--connector", "connectors", _connector_name, True,
     _Later("connector to check (repeatable)",
            lambda: "connector to check (repeatable): " + ", ".join(connector_names()))),
    ("--profile", "connector_profiles", _profile, True,
     _Later("a vendor's setup guide as a profile, bundled or a .toml file (repeatable)",
            lambda: "a vendor's setup guide as a profile (repeatable, one per connector; it "
                    "adds its connector): a bundled name ("
                    + ", ".join(bundled_profile_names()) + ") or a .toml file "
                    "(docs/profiles.md); --connector alone uses its vendor's default")),
    ("--target", "connector_target", parse_target, False,
     _Later("the server's web URL, e.g. https://git.example.com",
            lambda: "the server's web URL, e.g. https://git.example.com; " + _targets())),
    ("--org", "connector_org", parse_org, False,
     _Later("the organization (or group) the checks act in",
            lambda: "the organization (or group) the checks act in: " + _explained("--org"))),
    ("--repo", "connector_repo", parse_repo, False,
     _Later("repository OWNER/NAME whose endpoints are checked",
            lambda: "repository OWNER/NAME (or GROUP/PROJECT): " + _explained("--repo"))),
    ("--require-scope", "connector_require_scopes", parse_scope, True,
     "a scope the token must have (repeatable): replaces the connector's default list"),
    ("--scenario", "connector_scenario", str, False,
     "offline scenario: a bundled name (default healthy) or a scenario .json file"),
    ("--resolver", "connector_resolvers", parse_nameserver, True,
     "DNS server ADDR[:PORT] the DNS checks ask (repeatable; default: the system's)"),
    ("--public-resolver", "connector_public_resolvers", parse_nameserver, True,
     "public DNS server ADDR[:PORT] to compare against, for split-horizon DNS (repeatable)"),
    ("--connect-to", "connector_connect_to", parse_connect_to, True,
     "HOST:PORT:ADDR:PORT: connect there, keeping HOST for SNI, certificate and Host (repeatable)"),
    ("--public-roots", "connector_public_roots", load_pem_bundle, False,
     "PEM file of the CAs that count as public (default: certifi's Mozilla bundle)"),
    ("--ca-bundle", "connector_ca_bundle", load_pem_bundle, False,
     "PEM file of private CAs this network uses (told apart from unknown CAs, never public)"),
    ("--check-timeout", "connector_check_timeout", parse_timeout, False,
     "seconds for each network step, whatever the server does: DNS query, TCP connect, TLS "
     "handshake, HTTP request with its whole body (default 5)"),
    ("--max-wait", "connector_max_wait", parse_max_wait, False,
     "how long the whole run may wait for Retry-After or rate-limit resets, in all, before "
     "it reports the limit, in seconds (default 30)"),
    ("--max-pages", "connector_max_pages", parse_max_pages, False,
     "pages of a paginated list read at most (by its last page, or following next pages); "
     "past it the check fails http.too_many_pages (default 100)"),
    ("--run-timeout", "connector_run_timeout", parse_run_timeout, False,
     "seconds for the whole run, waits for rate limits included; past it every check not "
     "yet decided fails harness.deadline and the reports are written (default 120)"),
    ("--max-installations", "connector_max_installations", parse_max_installations, False,
     "an app's installations checked one by one at most; the rest are counted and "
     "named as not checked (default 200)"),
    ("--report-dir", "connector_report_dir", parse_report_dir, False,
     "folder for the HTML, JUnit and JSON reports (default: reports)"),
    ("--vantage", "connector_vantage", parse_vantage, False,
     "where this run looks from, in your words (\"vendor side\", \"office network\"); shown in "
     "the reports and compared by connector-checks merge"),
    ("--record", "connector_record", parse_record, False,
     "save the live run as a scenario file, secrets removed: --offline --scenario PATH replays "
     "it (a fleet: a folder, a recording per target and its fleet.toml; --fleet DIR --offline "
     "replays it)"),
    ("--bundle", "connector_bundle", parse_output_file(".zip"), False,
     "write one zip to attach to a ticket: the reports, the recording, how to replay it"),
    ("--fail-on", "connector_fail_on", parse_fail_on, False,
     "what fails the run (exit code 1): failed (the default) or warning"),
    ("--compare", "connector_compare", load_report, False,
     "a previous JSON report: say what changed since (fixed, newly failing, ...)"),
    ("--metrics", "connector_metrics", parse_output_file(".prom"), False,
     "write the run in Prometheus text format, for node_exporter's textfile collector"),
    ("--fleet", "connector_fleet", str, False,
     _Later("a fleet of targets: a .toml file (docs/fleet.md), or a bundled fleet",
            lambda: "a fleet of targets, each checked under its name (NAME::check), its "
                    "reports in REPORT_DIR/NAME/, with a fleet page, JSON and JUnit: a .toml "
                    "file (docs/fleet.md), a folder holding fleet.toml (a recorded fleet), or "
                    "a bundled fleet (" + ", ".join(_fleets()) + ")")),
    ("--shard", "connector_shard", _parse_shard, False,
     "K/N: check the K-th of N parts of the fleet (stable by target name), e.g. for a CI "
     "matrix; connector-checks merge joins the parts' fleet.json"),
    ("--fleet-concurrency", "connector_fleet_concurrency", _parse_concurrency, False,
     "targets of a fleet checked at once at most (default 8)"),
]


def _targets() -> str:
    """Which connectors need --target, and what the others check without it."""
    from checks.connectors import get_connector

    connectors = [get_connector(name) for name in connector_names()]
    needed = [c.name for c in connectors if not c.default_target]
    defaults = [f"{c.name} {c.default_target}" for c in connectors if c.default_target]
    return ((f"needed by {', '.join(needed)}" if needed else "")
            + ("; without it: " + ", ".join(defaults) if defaults else "")).lstrip("; ")


def _explained(option: str) -> str:
    """What an option shared by connectors means to each that reads it."""
    from checks.connectors import get_connector

    said = [f"{name}: {dict(get_connector(name).explains)[option]}" for name in connector_names()
            if option in dict(get_connector(name).explains)]
    return "; ".join(said) or "read by no connector installed"


# How each option's value is shown in --help (argparse would show its internal name).
_METAVARS = {
    "--connector": "NAME", "--profile": "NAME|PATH.toml", "--target": "URL", "--org": "ORG",
    "--repo": "OWNER/NAME", "--require-scope": "SCOPE", "--scenario": "NAME|PATH.json",
    "--resolver": "ADDR[:PORT]", "--public-resolver": "ADDR[:PORT]",
    "--connect-to": "HOST:PORT:ADDR:PORT", "--public-roots": "PEM", "--ca-bundle": "PEM",
    "--check-timeout": "SECONDS", "--max-wait": "SECONDS", "--max-pages": "N",
    "--run-timeout": "SECONDS", "--max-installations": "N", "--report-dir": "DIR",
    "--vantage": "LABEL", "--record": "PATH.json|DIR", "--bundle": "PATH.zip",
    "--fail-on": "{failed,warning}", "--compare": "PREVIOUS.json", "--metrics": "PATH.prom",
    "--fleet": "PATH.toml|DIR|NAME", "--shard": "K/N", "--fleet-concurrency": "N",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("connector", "connector-checks: setup requirements of code-host "
                                         "connectors")
    for flag, ini, parse, repeatable, text in _OPTIONS:
        group.addoption(flag, dest=ini, type=_cli(parse), action="append" if repeatable else
                        "store", default=None, help=text, metavar=_METAVARS[flag])
        if repeatable:
            parser.addini(ini, f"{text} ({flag})", type="linelist")
        else:
            parser.addini(ini, f"{text} ({flag})", type="string")
    group.addoption("--offline", dest="connector_offline", action="store_true", default=None,
                    help="replay a recorded scenario instead of probing; opens no socket")
    parser.addini("connector_offline", "replay a recorded scenario (--offline)", type="bool",
                  default=False)
    group.addoption("--ping-webhooks", dest="connector_ping_webhooks", action="store_true",
                    default=False,
                    help="also send each vendor webhook found the platform's ping event and "
                         "read its delivery: the only check that changes anything on the server "
                         "(a ping delivery in the hook's log); the reports say the run pinged")
    for name, options in _connector_options().items():
        own = parser.getgroup(f"connector-{name}", f"connector-checks {name}: its own options")
        for option in options:
            own.addoption(option.flag, dest=option.dest, type=_cli(option.parse),
                          action="append" if option.repeatable else "store", default=None,
                          help=option.help, metavar=option.metavar)
            if option.repeatable:
                parser.addini(option.dest, f"{option.help} ({option.flag})", type="linelist")
            else:
                parser.addini(option.dest, f"{option.help} ({option.flag})", type="string")


_OPTIONS_GROUP = "connector_checks.options"
_REFUSED: list[str] = []  # options a connector declared outside its own --NAME- prefix


@functools.cache
def _connector_options() -> dict[str, tuple[Option, ...]]:
    """Each connector's own options, from its light options module (entry point group
    connector_checks.options): pytest needs them before any connector is loaded. Read once
    per process (those refused are kept in _REFUSED)."""
    from importlib.metadata import entry_points

    found: dict[str, tuple[Option, ...]] = {}
    for entry in entry_points(group=_OPTIONS_GROUP):
        try:
            declared = tuple(entry.load())
        except Exception as error:  # a broken third-party module: said when it is used
            _REFUSED.append(f"{entry.name}: its options ({entry.value}) do not load: {error}")
            continue
        mine = tuple(o for o in declared if isinstance(o, Option) and o.belongs_to(entry.name))
        _REFUSED.extend(f"{entry.name}: option {o.flag} does not start with --{entry.name}-"
                        for o in declared if isinstance(o, Option) and o not in mine)
        found[entry.name] = mine
    return found


def _requested(config: pytest.Config) -> bool:
    namespace = config.known_args_namespace
    return bool(namespace.connectors or config.getini("connectors")
                or namespace.connector_profiles or config.getini("connector_profiles")
                or namespace.connector_fleet or config.getini("connector_fleet"))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    """A connector run without test paths collects its checks only: it loads no conftest.py
    of the folder it runs in (a project's test fixtures, a broken file, a network guard)."""
    namespace = early_config.known_args_namespace
    if _requested(early_config) and not namespace.file_or_dir:
        namespace.noconftest = True


def _setting(config: pytest.Config, ini: str, parse: Callable[[str], T], repeatable: bool,
             flag: str | None = None) -> Any:
    """Command line first, then the ini file (validated the same way), then None (an empty
    list for a repeatable option); ``flag``: how the option is spelled, for its errors."""
    value = config.getoption(ini, None)
    flag = flag or next(f for f, i, *_ in _OPTIONS if i == ini)
    for one in value if isinstance(value, list) else [value]:
        if isinstance(one, _Invalid):
            raise pytest.UsageError(f"{flag}: {one.message}")
    if value is not None:
        return value
    raw = config.getini(ini)
    if not raw:
        return [] if repeatable else None
    try:
        return [parse(item) for item in raw] if repeatable else parse(str(raw))
    except ValueError as error:
        raise pytest.UsageError(f"ini value {ini}: {error}") from None


def _checked(parse: Callable[[str], T], default: str) -> T:
    try:
        return parse(default)
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


def _settings(config: pytest.Config) -> Settings | None:
    values = {ini: _setting(config, ini, parse, repeatable)
              for _, ini, parse, repeatable, _ in _OPTIONS}
    profiles: list[Profile] = values["connector_profiles"] or []
    connectors = tuple(dict.fromkeys([*(values["connectors"] or ()),
                                      *(p.connector for p in profiles)]))
    fleet = _fleet(values)
    if fleet is not None:
        # The connectors the file names (a target given by a profile alone names its own when
        # its job is planned).
        connectors = tuple(dict.fromkeys(t.connector for t in fleet.targets if t.connector))
    elif values["connector_shard"] is not None or values["connector_fleet_concurrency"]:
        raise pytest.UsageError(f"--{'shard' if values['connector_shard'] else 'fleet-concurrency'}"
                                f" is for a fleet: add --fleet PATH")
    if not connectors and fleet is None:
        return None
    for one in profiles:
        other = next((p for p in profiles if p.connector == one.connector and p != one), None)
        if other is not None:
            raise pytest.UsageError(f"--profile: {one.name} and {other.name} are both profiles "
                                    f"of {one.connector}: give one profile per connector")
    offline = config.getoption("connector_offline") or config.getini("connector_offline")
    return Settings(
        connectors=connectors, profiles=tuple(profiles), target=values["connector_target"],
        org=values["connector_org"],
        offline=bool(offline), scenario=values["connector_scenario"] or "healthy",
        resolvers=tuple(values["connector_resolvers"]),
        public_resolvers=tuple(values["connector_public_resolvers"]),
        connect_to=tuple(values["connector_connect_to"]),
        public_roots=values["connector_public_roots"], ca_bundle=values["connector_ca_bundle"],
        timeout=values["connector_check_timeout"] or 5.0,
        report_dir=values["connector_report_dir"] or _checked(parse_report_dir, "reports"),
        max_wait=30.0 if values["connector_max_wait"] is None else values["connector_max_wait"],
        max_pages=values["connector_max_pages"] or 100,
        run_timeout=values["connector_run_timeout"] or RUN_TIMEOUT,
        max_installations=values["connector_max_installations"] or MAX_INSTALLATIONS,
        vantage=values["connector_vantage"] or "", record=values["connector_record"],
        bundle=values["connector_bundle"], fail_on=values["connector_fail_on"] or "failed",
        compare=values["connector_compare"], metrics=values["connector_metrics"],
        repo=values["connector_repo"],
        require_scopes=tuple(values["connector_require_scopes"]),
        connector_options=_own_options(config, connectors) if fleet is None else {},
        fleet=fleet, fleet_concurrency=values["connector_fleet_concurrency"] or 8,
        ping_webhooks=bool(config.getoption("connector_ping_webhooks")))


# A fleet's targets each say these in the fleet file (its [defaults] for every target).
_PER_TARGET = ("connectors", "connector_profiles", "connector_target", "connector_org",
               "connector_repo", "connector_require_scopes", "connector_scenario",
               "connector_resolvers", "connector_public_resolvers", "connector_connect_to",
               "connector_ca_bundle", "connector_max_pages", "connector_max_installations")


def _fleet(values: dict[str, Any]) -> Any:
    """The fleet file, read and checked whole (one line, exit 4, for anything wrong);
    a target's option given on the command line beside it is a usage error."""
    given = values["connector_fleet"]
    if given is None:
        return None
    for ini in _PER_TARGET:
        if values[ini]:
            flag = next(f for f, i, *_ in _OPTIONS if i == ini)
            raise pytest.UsageError(f"{flag} is a target's: with --fleet, give it in the fleet "
                                    f"file ({flag.lstrip('-')} = ..., or in [defaults] for "
                                    f"every target)")
    from checks.connectors import get_connector
    from checks.fleet import FleetError, load
    from checks.model.secret import looks_like_secret

    names = connector_names()
    for name in names:
        get_connector(name)  # its token shapes known, to refuse one written in the file
    try:
        return load(given, names, looks_like_secret, values["connector_shard"])
    except FleetError as error:
        raise pytest.UsageError(str(error)) from None


def _own_options(config: pytest.Config, connectors: tuple[str, ...]) -> dict[str, Any]:
    """The connectors' own options that were given (command line first, then the ini file),
    by flag; one given for a connector the run does not check is a usage error."""
    declared = _connector_options()  # fills _REFUSED
    refused = [line for line in _REFUSED if line.split(":", 1)[0] in connectors]
    if refused:
        raise pytest.UsageError(f"connector options refused: {refused[0]}")
    given: dict[str, Any] = {}
    for name, options in declared.items():
        for option in options:
            value = _setting(config, option.dest, option.parse, option.repeatable,
                             option.flag)
            if value is None or value == []:
                continue
            if name not in connectors:
                raise pytest.UsageError(f"{option.flag} is the {name} connector's option: "
                                        f"add --connector {name}, or drop it")
            given[option.flag] = value
    return given


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "connector(name, layer, requirement): a connector-checks check; select with "
                   "-m \"connector(layer='tls')\" or -m \"connector(name='NAME')\"")
    settings = _settings(config)
    if settings is not None and settings.record is not None and \
            (settings.fleet is None) != settings.record.name.endswith(".json"):
        raise pytest.UsageError("--record names a .json file; with --fleet, a folder (a "
                                "recording per target, and the fleet.toml that replays them)")
    if settings is not None and settings.ping_webhooks and (
            settings.offline or config.option.collectonly):
        raise pytest.UsageError(
            "--ping-webhooks sends a ping to the server: "
            + ("an offline run sends nothing (drop --ping-webhooks, or --offline)"
               if settings.offline else "listing checks sends nothing (drop --ping-webhooks, "
                                         "or --collect-only)"))
    if settings is not None and settings.offline and settings.record is not None:
        raise pytest.UsageError("--record saves a live run, and --offline replays one: drop "
                                "--record (an offline run's --bundle holds the scenario it "
                                "replayed)")
    if settings is not None:
        # Imported by name, not as an attribute of the package: pytester's in-process runs
        # take modules out of sys.modules between runs.
        session = importlib.import_module("checks.session")
        session.start(config, settings, session)


@pytest.fixture(scope="session")
def connector_results(request: pytest.FixtureRequest) -> ConnectorResults:
    """The run's verdicts and observations, read-only, by connector name (see the README:
    "Your own checks")."""
    session = request.config.pluginmanager.get_plugin("connector-checks-session")
    if session is None:
        pytest.skip("connector_results needs a connector run: pass --connector NAME")
    return session.results(request.config)  # type: ignore[no-any-return]



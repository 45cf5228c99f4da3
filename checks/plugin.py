"""The pytest plugin: options, one item per check, report wiring. Logic lives elsewhere."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from checks import __version__, html_reports, report
from checks.catalogue import Check, connector_names
from checks.engine import Job, Result, command_line, plan_jobs, redactor, run_jobs
from checks.secret import Redactor, SecretUnreadable
from checks.settings import (
    Settings,
    load_pem_bundle,
    parse_connect_to,
    parse_nameserver,
    parse_org,
    parse_repo,
    parse_scope,
    parse_target,
    parse_timeout,
)
from checks.verdict import Outcome

T = TypeVar("T")

SETTINGS = pytest.StashKey[Settings]()
JOBS = pytest.StashKey[list[Job]]()
REDACT = pytest.StashKey[Redactor]()
RESULTS = pytest.StashKey[list[Result]]()
OUTCOMES = pytest.StashKey[dict[str, Outcome]]()


def _connector_name(text: str) -> str:
    if text not in connector_names():
        raise ValueError(f"unknown connector {text!r}: choose from {', '.join(connector_names())}")
    return text


def _cli(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse ``type=`` that reports our one-line message."""

    def checked(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    checked.__name__ = parse.__name__
    return checked


# (option, ini name, parse, help); list options are repeatable on the command line.
_OPTIONS: list[tuple[str, str, Callable[[str], Any], bool, str]] = [
    ("--connector", "connectors", _connector_name, True,
     "connector to check (repeatable): " + ", ".join(connector_names())),
    ("--target", "connector_target", parse_target, False,
     "the server's web URL, e.g. https://github.example.com"),
    ("--org", "connector_org", parse_org, False, "organization whose ownership is checked"),
    ("--repo", "connector_repo", parse_repo, False,
     "repository OWNER/NAME whose endpoints are checked (default: the first one visible)"),
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
     "seconds for each network step: TCP connect, TLS handshake, HTTP request (default 5)"),
    ("--report-dir", "connector_report_dir", Path, False,
     "folder for the HTML, JUnit and JSON reports (default: reports)"),
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("connector", "connector-checks: setup requirements of code-host "
                                         "connectors")
    for flag, ini, parse, repeatable, text in _OPTIONS:
        group.addoption(flag, dest=ini, type=_cli(parse), action="append" if repeatable else
                        "store", default=None, help=text)
        if repeatable:
            parser.addini(ini, f"{text} ({flag})", type="linelist")
        else:
            parser.addini(ini, f"{text} ({flag})", type="string")
    group.addoption("--offline", dest="connector_offline", action="store_true", default=None,
                    help="replay a recorded scenario instead of probing; opens no socket")
    parser.addini("connector_offline", "replay a recorded scenario (--offline)", type="bool",
                  default=False)


def _setting(config: pytest.Config, ini: str, parse: Callable[[str], T], repeatable: bool
             ) -> Any:
    """Command line first, then the ini file (validated the same way), then None."""
    value = config.getoption(ini)
    if value is not None:
        return value
    raw = config.getini(ini)
    if not raw:
        return [] if repeatable else None
    try:
        return [parse(item) for item in raw] if repeatable else parse(str(raw))
    except ValueError as error:
        raise pytest.UsageError(f"ini value {ini}: {error}") from None


def _settings(config: pytest.Config) -> Settings | None:
    values = {ini: _setting(config, ini, parse, repeatable)
              for _, ini, parse, repeatable, _ in _OPTIONS}
    connectors = tuple(dict.fromkeys(values["connectors"] or ()))
    if not connectors:
        return None
    offline = config.getoption("connector_offline") or config.getini("connector_offline")
    return Settings(
        connectors=connectors, target=values["connector_target"], org=values["connector_org"],
        offline=bool(offline), scenario=values["connector_scenario"] or "healthy",
        resolvers=tuple(values["connector_resolvers"]),
        public_resolvers=tuple(values["connector_public_resolvers"]),
        connect_to=tuple(values["connector_connect_to"]),
        public_roots=values["connector_public_roots"], ca_bundle=values["connector_ca_bundle"],
        timeout=values["connector_check_timeout"] or 5.0,
        report_dir=values["connector_report_dir"] or Path("reports"),
        repo=values["connector_repo"],
        require_scopes=tuple(values["connector_require_scopes"]))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "connector(name): a connector-checks check item")
    settings = _settings(config)
    if settings is None:
        return
    try:
        jobs = plan_jobs(settings, os.environ)
    except (ValueError, SecretUnreadable) as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[SETTINGS] = settings
    config.stash[JOBS] = jobs
    config.stash[REDACT] = redactor(jobs)
    config.stash[OUTCOMES] = {}
    if not hasattr(config, "workerinput"):  # reports are written by the controller only
        html_reports.register(config, settings.connectors, settings.report_dir)


def pytest_report_header(config: pytest.Config) -> list[str]:
    if JOBS not in config.stash:
        return []
    settings, lines = config.stash[SETTINGS], []
    for job in config.stash[JOBS]:
        where = (f"offline scenario {job.scenario.name} (recorded {job.scenario.recorded_at:%Y-%m-%d})"
                 if job.scenario else "live")
        lines.append(f"connector-checks {__version__}: {job.connector.name} -> {job.target.url}, "
                     f"{where}; public roots: {job.trust.public_label}")
    lines.append(f"connector-checks: timeout {settings.timeout:g} s per step; reports in "
                 f"{settings.report_dir}/")
    lines.append(f"connector-checks: reproduce with: pytest "
                 f"{command_line(settings, config.stash[JOBS])}")
    return lines


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if JOBS not in config.stash or RESULTS in config.stash or not parent.session.isinitpath(path):
        return None
    config.stash[RESULTS] = []  # one run per session, whatever the initial paths
    return ConnectorRun.from_parent(parent, path=path)


class ConnectorRun(pytest.Directory):
    """Stands in for the collected folder: a connector run collects its checks, not files."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        config = self.config
        results = asyncio.run(run_jobs(config.stash[SETTINGS], config.stash[JOBS],
                                       config.stash[REDACT]))
        config.stash[RESULTS] = results
        for result in results:
            name = result.job.connector.name
            yield ConnectorSuite.from_parent(self, name=name, nodeid=name, result=result)


class ConnectorSuite(pytest.Collector):
    def __init__(self, *, result: Result, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.result = result

    def collect(self) -> Iterator[pytest.Item]:
        for check in self.result.checks:
            yield CheckItem.from_parent(self, name=check.id, check=check)


class CheckFailed(Exception):
    """A requirement is not met; the item's report is the verdict, not a traceback."""


class CheckItem(pytest.Item):
    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.add_marker(pytest.mark.connector(self.parent.name if self.parent else ""))
        verdict = check.verdict
        if verdict.outcome is Outcome.SKIPPED:
            # A mark, not pytest.skip(): the report then points at the check, not at us.
            reason = self.config.stash[REDACT](f"{verdict.reason}: {verdict.message}")
            self.add_marker(pytest.mark.skip(reason=reason))

    def runtest(self) -> None:
        verdict = self.check.verdict
        redact = self.config.stash[REDACT]
        if verdict.outcome is Outcome.FAILED:
            raise CheckFailed(redact(report.failure_text(self.check)))
        if verdict.outcome is Outcome.ERROR:
            raise RuntimeError(redact(f"connector-checks broke: {verdict.message}"))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed | RuntimeError):
            return str(excinfo.value)
        return self.config.stash[REDACT](str(super().repr_failure(excinfo, style=style)))

    def reportinfo(self) -> tuple[str, int, str]:
        # The domain is shown as the failure's heading; it is not a suffix of the node id,
        # so pytest does not rewrite the dots of the check id. A check has no source line.
        return (self.parent.name if self.parent else "", 0,
                f"{self.check.id} - {self.check.requirement.title}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    rep = yield
    if isinstance(item, CheckItem) and (rep.when == "call" or (rep.when == "setup" and rep.skipped)):
        verdict = item.check.verdict
        redact = item.config.stash[REDACT]
        rep.user_properties += [("requirement", item.check.requirement.id),
                                ("outcome", verdict.outcome.value),
                                ("reason", verdict.reason or ""),
                                ("message", redact(verdict.message))]
        if verdict.outcome is Outcome.WARNING:
            rep.sections.append(("connector-checks warning",
                                 redact(report.failure_text(item.check))))
        html_plugin = item.config.pluginmanager.getplugin("html")
        if html_plugin is not None:
            import pytest_html

            extras = getattr(rep, "extras", [])
            extras.append(pytest_html.extras.html(redact(report.html_fragment(item.check))))
            rep.extras = extras  # type: ignore[attr-defined]
        item.config.stash[OUTCOMES][item.nodeid] = (
            Outcome.ERROR if rep.failed and verdict.outcome is not Outcome.FAILED
            else verdict.outcome)
    return rep


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config
                             ) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    if report.when == "call" and report.passed and ("outcome", "warning") in report.user_properties:
        return "warning", "W", ("WARNING", {"yellow": True})
    return None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if RESULTS not in config.stash:
        return
    redact = config.stash[REDACT]
    for result in config.stash[RESULTS]:
        job = result.job
        mode = f"offline scenario {job.scenario.name}" if job.scenario else "live"
        terminalreporter.section(f"connector {job.connector.name}: {job.target.url} ({mode})")
        every = config.get_verbosity() > 0 or len(result.checks) <= report.LIST_ALL_UP_TO
        for line in report.summary_lines(result.checks, every):
            terminalreporter.write_line(redact(line))
        records = [report.check_record(c) for c in result.checks]
        files = ", ".join(map(str, _report_files(config, job.connector.name)))
        terminalreporter.write_line(f"{report.count(records)}; reports: {files}")


def _report_files(config: pytest.Config, connector: str) -> list[Path]:
    folder = config.stash[SETTINGS].report_dir
    return [folder / f"{connector}.{kind}" for kind in ("html", "junit.xml", "json")]


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if RESULTS not in config.stash:
        return
    outcomes = config.stash[OUTCOMES]
    for result in config.stash[RESULTS]:
        job = result.job
        records = [report.check_record(check, outcomes.get(f"{job.connector.name}::{check.id}"))
                   for check in result.checks]
        info = report.RunInfo(
            connector=job.connector.name, target=job.target.url, mode=job.mode,
            scenario=job.scenario.name if job.scenario else None,
            started_at=result.started_at, duration_s=result.duration_s, proxy=result.proxy,
            probes=result.probes)
        html_path, junit_path, json_path = _report_files(config, job.connector.name)
        redact = config.stash[REDACT]
        report.write_json(json_path, report.build(info, records, __version__), redact)
        report.write_text(junit_path, report.junit(info, records, redact))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Last line of defence: redact secrets by value from every report file, including those
    pytest-html wrote (it embeds captured output)."""
    if RESULTS not in config.stash:
        return
    redact = config.stash[REDACT]
    paths = [path for name in config.stash[SETTINGS].connectors
             for path in _report_files(config, name)]
    paths += [Path(p) for p in (getattr(config.option, "htmlpath", None),
                                getattr(config.option, "xmlpath", None)) if p]
    for path in paths:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            cleaned = redact(text)
            if cleaned != text:
                path.write_text(cleaned, encoding="utf-8")



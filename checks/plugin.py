"""The pytest plugin: options, one item per check, reports of what pytest ran. Logic lives
elsewhere: the engine decides the verdicts, :mod:`checks.report` writes them."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from checks import __version__, ci, compare, engine, metrics, output, report
from checks.connectors import connector_names
from checks.engine import Job, Result, command_line, expected_checks, plan_jobs, redactor
from checks.model.requirement import Check
from checks.model.secret import Redactor, SecretUnreadable
from checks.model.verdict import Outcome
from checks.results import ConnectorResults
from checks.settings import (
    Settings,
    load_pem_bundle,
    load_report,
    parse_connect_to,
    parse_fail_on,
    parse_max_pages,
    parse_max_wait,
    parse_nameserver,
    parse_org,
    parse_output_file,
    parse_repo,
    parse_report_dir,
    parse_scope,
    parse_target,
    parse_timeout,
    parse_vantage,
)

T = TypeVar("T")

SETTINGS = pytest.StashKey[Settings]()
JOBS = pytest.StashKey[list[Job]]()
REDACT = pytest.StashKey[Redactor]()
RESULTS = pytest.StashKey[list[Result]]()
SELECTED = pytest.StashKey[list[pytest.Item]]()
RECORDS = pytest.StashKey[dict[str, dict[str, Any]]]()  # node id -> what its run reported
RUN_ID = pytest.StashKey[str]()  # carried by every report of the run
STARTED = pytest.StashKey[datetime]()
WRITE_FAILED = pytest.StashKey[str]()
DOCUMENTS = pytest.StashKey[list[dict[str, Any]]]()  # the JSON reports, as written

LISTED_LATER = ("connector-checks: per-address (tcp.reachable) and per-installation (app.*) "
                "checks appear when the run probes; listing probes nothing")


def _connector_name(text: str) -> str:
    if text not in connector_names():
        raise ValueError(f"unknown connector {text!r}: choose from {', '.join(connector_names())}")
    return text


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
     "seconds for each network step, whatever the server does: DNS query, TCP connect, TLS "
     "handshake, HTTP request with its whole body (default 5)"),
    ("--max-wait", "connector_max_wait", parse_max_wait, False,
     "longest Retry-After or rate-limit reset to wait for before reporting the limit, in "
     "seconds (default 30)"),
    ("--max-pages", "connector_max_pages", parse_max_pages, False,
     "pages of a paginated list read at most; past it the check fails http.too_many_pages "
     "(default 100)"),
    ("--report-dir", "connector_report_dir", parse_report_dir, False,
     "folder for the HTML, JUnit and JSON reports (default: reports)"),
    ("--vantage", "connector_vantage", parse_vantage, False,
     "where this run looks from, in your words (\"vendor side\", \"office network\"); shown in "
     "the reports and compared by connector-checks merge"),
    ("--record", "connector_record", parse_output_file(".json"), False,
     "save the live run as a scenario file, secrets removed: --offline --scenario PATH replays "
     "it"),
    ("--bundle", "connector_bundle", parse_output_file(".zip"), False,
     "write one zip to attach to a ticket: the reports, the recording, how to replay it"),
    ("--fail-on", "connector_fail_on", parse_fail_on, False,
     "what fails the run (exit code 1): failed (the default) or warning"),
    ("--compare", "connector_compare", load_report, False,
     "a previous JSON report: say what changed since (fixed, newly failing, ...)"),
    ("--metrics", "connector_metrics", parse_output_file(".prom"), False,
     "write the run in Prometheus text format, for node_exporter's textfile collector"),
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


def _requested(config: pytest.Config) -> bool:
    return bool(config.known_args_namespace.connectors or config.getini("connectors"))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    """A connector run without test paths collects its checks only: it loads no conftest.py
    of the folder it runs in (a project's test fixtures, a broken file, a network guard)."""
    namespace = early_config.known_args_namespace
    if _requested(early_config) and not namespace.file_or_dir:
        namespace.noconftest = True


def _setting(config: pytest.Config, ini: str, parse: Callable[[str], T], repeatable: bool
             ) -> Any:
    """Command line first, then the ini file (validated the same way), then None."""
    value = config.getoption(ini)
    flag = next(f for f, i, *_ in _OPTIONS if i == ini)
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
        report_dir=values["connector_report_dir"] or _checked(parse_report_dir, "reports"),
        max_wait=30.0 if values["connector_max_wait"] is None else values["connector_max_wait"],
        max_pages=values["connector_max_pages"] or 100,
        vantage=values["connector_vantage"] or "", record=values["connector_record"],
        bundle=values["connector_bundle"], fail_on=values["connector_fail_on"] or "failed",
        compare=values["connector_compare"], metrics=values["connector_metrics"],
        repo=values["connector_repo"],
        require_scopes=tuple(values["connector_require_scopes"]))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "connector(name, layer, requirement): a connector-checks check; select with "
                   "-m \"connector(layer='tls')\" or -m \"connector(name='ghes')\"")
    settings = _settings(config)
    if settings is None:
        return
    if config.getoption("numprocesses", None):
        raise pytest.UsageError("--connector runs its probes concurrently in one process "
                                "already: drop -n (each pytest-xdist worker would probe again)")
    try:
        jobs = plan_jobs(settings, os.environ)
        redact = redactor(jobs, os.environ)
    except (ValueError, SecretUnreadable) as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[SETTINGS] = settings
    config.stash[JOBS] = jobs
    config.stash[REDACT] = redact
    config.stash[RECORDS] = {}
    config.stash[RUN_ID] = uuid.uuid4().hex[:12]
    config.stash[STARTED] = datetime.now(UTC)


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
def pytest_collection(session: pytest.Session) -> bool | None:
    """Without test paths, a connector run collects its checks and nothing of the folder."""
    config = session.config
    if JOBS in config.stash and config.args_source is not pytest.Config.ArgsSource.ARGS:
        session.perform_collect(args=[])
        return True
    return None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector
                               ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    collected = yield
    config = collector.config
    if isinstance(collector, pytest.Session) and JOBS in config.stash:
        suites = [ConnectorSuite.from_parent(collector, name=job.connector.name,
                                             nodeid=job.connector.name, job=job)
                  for job in config.stash[JOBS]]
        collected.result[:0] = suites
    return collected


def _results(config: pytest.Config) -> list[Result]:
    """Every job's checks, decided once for the whole session (all jobs concurrently)."""
    if RESULTS not in config.stash:
        config.stash[RESULTS] = engine.run(config.stash[SETTINGS], config.stash[JOBS],
                                           config.stash[REDACT])
    return config.stash[RESULTS]


class ConnectorSuite(pytest.Collector):
    """One connector's checks. Listing them (--collect-only) probes nothing."""

    def __init__(self, *, job: Job, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job

    def collect(self) -> Iterator[pytest.Item]:
        if self.config.option.collectonly:
            checks = [Check(requirement, parameter, report.UNDECIDED) for requirement, parameter
                      in expected_checks(self.job, self.config.stash[SETTINGS])]
        else:
            checks = next(r for r in _results(self.config) if r.job is self.job).checks
        for check in checks:
            # The node id is given as text, so it is read as pytest reads ids from its cache
            # (--lf, --ff): "ghes::scopes.granted[repo]" is scopes.granted with params "repo".
            yield CheckItem.from_parent(self, name=check.id, nodeid=f"{self.nodeid}::{check.id}",
                                        check=check)


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    return LISTED_LATER if JOBS in config.stash and config.option.collectonly else None


@functools.cache
def _connector_mark(name: str, layer: str, requirement: str) -> pytest.MarkDecorator:
    """One mark per requirement, shared by its checks (thousands in a large run)."""
    return pytest.mark.connector(name=name, layer=layer, requirement=requirement)


class CheckFailed(Exception):
    """A requirement is not met; the item's report is the verdict, not a traceback."""


class CheckItem(pytest.Item):
    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.add_marker(_connector_mark(self.connector, check.requirement.category,
                                        check.requirement.id))
        verdict = check.verdict
        if verdict.outcome is Outcome.SKIPPED:
            # A mark, not pytest.skip(): the report then points at the check, not at us.
            reason = self.config.stash[REDACT](f"{verdict.reason}: {verdict.message}")
            self.add_marker(pytest.mark.skip(reason=reason))

    @property
    def connector(self) -> str:
        return self.parent.name if self.parent else ""

    def runtest(self) -> None:
        verdict = self.check.verdict
        redact = self.config.stash[REDACT]
        if verdict.outcome is Outcome.FAILED or (
                verdict.outcome is Outcome.WARNING
                and self.config.stash[SETTINGS].fail_on == "warning"):
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
        return (self.connector, 0, f"{self.check.id} - {self.check.requirement.title}")


@pytest.fixture(scope="session")
def connector_results(request: pytest.FixtureRequest) -> ConnectorResults:
    """The run's verdicts and observations, read-only, by connector name (see the README:
    "Your own checks")."""
    config = request.config
    if JOBS not in config.stash:
        pytest.skip("connector_results needs a connector run: pass --connector NAME")
    return ConnectorResults.of(_results(config))


def pytest_collection_finish(session: pytest.Session) -> None:
    if JOBS in session.config.stash:
        session.config.stash[SELECTED] = list(session.items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    rep = yield
    config = item.config
    if JOBS not in config.stash:
        return rep
    records = config.stash[RECORDS]
    if isinstance(item, CheckItem):
        if rep.when == "call" or (rep.when == "setup" and rep.skipped):
            _check_report(item, rep)
            # A failed report of a check that did not fail (nor warn under --fail-on
            # warning) is the harness breaking.
            records[item.nodeid] = report.check_record(
                item.check, Outcome.ERROR if rep.failed and item.check.verdict.outcome
                not in (Outcome.FAILED, Outcome.WARNING) else None)
    else:
        records[item.nodeid] = report.user_record(item.nodeid, rep,
                                                  records.get(item.nodeid), config.stash[REDACT])
    return rep


def _check_report(item: CheckItem, rep: pytest.TestReport) -> None:
    verdict = item.check.verdict
    redact = item.config.stash[REDACT]
    rep.user_properties += [("requirement", item.check.requirement.id),
                            ("outcome", verdict.outcome.value),
                            ("reason", verdict.reason or ""),
                            ("message", verdict.message)]  # --junitxml is redacted whole
    if verdict.outcome is Outcome.WARNING:
        rep.sections.append(("connector-checks warning", redact(report.failure_text(item.check))))
    if getattr(item.config.option, "htmlpath", None):  # --html: pytest-html's public API
        import pytest_html

        extras = getattr(rep, "extras", [])
        extras.append(pytest_html.extras.html(redact(report.html_fragment(item.check))))
        rep.extras = extras  # type: ignore[attr-defined]


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config
                             ) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    if report.when == "call" and report.passed and ("outcome", "warning") in report.user_properties:
        return "warning", "W", ("WARNING", {"yellow": True})
    return None


def _selected_records(config: pytest.Config, job: Job) -> list[dict[str, Any]]:
    """The records of what pytest selected for this connector, in order: a check's or a user
    test's outcome, or ``not_run`` when the session stopped before it (-x, --maxfail, Ctrl-C)."""
    records = config.stash[RECORDS]
    selected = []
    for item in config.stash.get(SELECTED, []):
        if isinstance(item, CheckItem):
            if item.connector != job.connector.name:
                continue
            selected.append(records.get(item.nodeid) or report.not_run(item.check))
        elif _belongs(item, job):
            selected.append(records.get(item.nodeid) or report.user_not_run(item.nodeid))
    return selected


def _belongs(item: pytest.Item, job: Job) -> bool:
    """A user test goes to the report of the connector its marker names, or to every one."""
    marker = item.get_closest_marker("connector")
    name = marker.kwargs.get("name", marker.args[0] if marker.args else None) if marker else None
    return name in (None, job.connector.name)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if WRITE_FAILED in config.stash:
        terminalreporter.write_line(config.stash[WRITE_FAILED], red=True, bold=True)
    if RESULTS not in config.stash or config.option.collectonly:
        return
    redact = config.stash[REDACT]
    for result in config.stash[RESULTS]:
        job = result.job
        records = _selected_records(config, job)
        mode = f"offline scenario {job.scenario.name}" if job.scenario else "live"
        terminalreporter.section(f"connector {job.connector.name}: {job.target.url} ({mode})")
        every = config.get_verbosity() > 0 or len(records) <= report.LIST_ALL_UP_TO
        for line in report.summary_lines(records, every):
            terminalreporter.write_line(redact(line))
        files = ", ".join(map(str, report.files(config.stash[SETTINGS].report_dir,
                                                job.connector.name)))
        terminalreporter.write_line(f"{report.count(records)}; reports: {files}")
    for document in config.stash.get(DOCUMENTS, []):
        if "comparison" in document:
            terminalreporter.section(f"connector {document['connector']}: since the previous "
                                     f"run")
            for line in compare.change_lines(document["comparison"]):
                terminalreporter.write_line(line)
        if os.environ.get("GITHUB_ACTIONS") == "true":
            for command in ci.workflow_commands(document):
                terminalreporter.write_line(command)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Every report of this run, written whole or not at all, even when it was interrupted
    (while probing, nothing was checked: the reports say so rather than leave an earlier
    run's in place); then the recording and the bundle, when asked for."""
    config = session.config
    if JOBS not in config.stash or config.option.collectonly:
        return
    settings, redact = config.stash[SETTINGS], config.stash[REDACT]
    results = {id(r.job): r for r in config.stash.get(RESULTS, None) or ()}
    documents: list[dict[str, Any]] = []
    config.stash[DOCUMENTS] = documents
    written = output.Written()
    try:
        for job in config.stash[JOBS]:
            result = results.get(id(job))
            info = output.run_info(job, result, config.stash[STARTED], config.stash[RUN_ID],
                                   interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
            records = _selected_records(config, job) if result else []
            document = output.document(info, records, __version__, settings.compare, redact)
            documents.append(document)
            written.reports += report.write_all(settings.report_dir, document, info)
            if result is not None:
                written.recordings |= output.write_recording(settings, result, len(
                    config.stash[JOBS]), __version__, redact)
        if settings.bundle is not None:
            output.write_bundle(settings.bundle, written, settings, __version__)
        if settings.metrics is not None:
            report.write_text(settings.metrics, metrics.exposition(documents))
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as file:
                file.writelines(ci.step_summary(d) for d in documents)
    except OSError as error:
        config.stash[WRITE_FAILED] = (f"connector-checks: the reports could not be written in "
                                      f"{settings.report_dir}/: "
                                      f"{error.strerror or error}; earlier reports there are "
                                      f"untouched")
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Redact secrets by value from the reports pytest itself writes on request (--junitxml,
    --html: they embed captured output)."""
    if RESULTS not in config.stash:
        return
    redact = config.stash[REDACT]
    for option in ("htmlpath", "xmlpath"):
        path = getattr(config.option, option, None)
        if path and Path(path).is_file():
            text = Path(path).read_text(encoding="utf-8")
            cleaned = redact(text)
            if cleaned != text:
                Path(path).write_text(cleaned, encoding="utf-8")

"""A connector run's hooks: its checks collected as items, and reports of what pytest ran.
Registered by the plugin only when a run asks for a connector (a plain pytest run imports
none of this, nor httpx, cryptography or Jinja2). Logic lives elsewhere: the engine decides
the verdicts, :mod:`checks.report` and :mod:`checks.output` write them."""

from __future__ import annotations

import atexit
import functools
import gc
import os
import signal
import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, Literal

import pytest
from _pytest._code.code import ReprFileLocation, TerminalRepr

from checks import __version__, ci, compare, engine, fleet_outputs, gate, metrics, output, report
from checks.engine import command_line, expected_checks, plan_jobs, redactor
from checks.jobs import Job, Result
from checks.model.requirement import Check
from checks.model.secret import Redactor, SecretUnreadable
from checks.model.text import one_line
from checks.model.verdict import Outcome
from checks.results import ConnectorResults
from checks.run import Progress
from checks.settings import Settings

SETTINGS = pytest.StashKey[Settings]()
JOBS = pytest.StashKey[list[Job]]()
REDACT = pytest.StashKey[Redactor]()
RESULTS = pytest.StashKey[list[Result]]()
SELECTED = pytest.StashKey[list[pytest.Item]]()
RECORDS = pytest.StashKey[dict[str, dict[str, Any]]]()  # a user test's node id -> its record
# A check's node id -> the outcome its item reported when that differs from its verdict's
# (None: as decided). Its record is built when the reports are, not kept per item.
CHECKS_RAN = pytest.StashKey[dict[str, Outcome | None]]()
RUN_ID = pytest.StashKey[str]()  # carried by every report of the run
STARTED = pytest.StashKey[datetime]()
WRITE_FAILED = pytest.StashKey[str]()
DOCUMENTS = pytest.StashKey[list[dict[str, Any]]]()  # the JSON reports, as written
WRITTEN = pytest.StashKey[list[Path]]()  # every file of the run's set, once committed
RECORD_NOTE = pytest.StashKey[str]()  # why --record wrote nothing
CUT_SHORT = pytest.StashKey[bool]()  # Ctrl-C or SIGTERM came while the probes ran
TOLD = pytest.StashKey[list[str]]()  # where --record, --metrics and --bundle wrote
FLEET_DOCUMENT = pytest.StashKey[dict[str, Any]]()  # a fleet's JSON, as written

LISTED_LATER = ("connector-checks: per-address (tcp.reachable) and per-installation (app.*) "
                "checks appear when the run probes, as do each webhook's (webhook.config, "
                ".deliveries, .ping); listing probes nothing")


def start(config: pytest.Config, settings: Settings, this: ModuleType) -> None:
    """A connector run: its jobs decided (one line for anything wrong), and this module's
    hooks registered."""
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
    config.stash[CHECKS_RAN] = {}
    config.stash[RUN_ID] = uuid.uuid4().hex[:12]
    config.stash[STARTED] = datetime.now(UTC)
    config.pluginmanager.register(this, "connector-checks-session")
    _terminate_as_interrupt(config)
    # At exit, Python walks every object still tracked to collect garbage, twice: a run of
    # thousands of checks leaves hundreds of thousands (pytest's items and reports among
    # them), and the walks took a second after the last line was printed. Frozen at exit,
    # they are skipped, and freed with the process; a finalizer in a reference cycle then
    # does not run, which Python does not promise at exit anyway. Registered once, however
    # many runs one process makes (pytester).
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def _terminate_as_interrupt(config: pytest.Config) -> None:
    """SIGTERM (what `timeout` and a cancelled CI job send) is handled as Ctrl-C is: by
    whatever handles SIGINT at that moment (asyncio cancels the probes; pytest ends the
    session), so the reports are written, marked interrupted, never left from an earlier run."""
    if threading.current_thread() is not threading.main_thread():
        return
    before = signal.getsignal(signal.SIGTERM)

    def terminate(number: int, frame: FrameType | None) -> None:
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    def restore() -> None:
        signal.signal(signal.SIGTERM, before)

    signal.signal(signal.SIGTERM, terminate)
    config.add_cleanup(restore)


def results(config: pytest.Config) -> ConnectorResults:
    """What the connector_results fixture gives: the run's verdicts and observations."""
    return ConnectorResults.of(_results(config))


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings, lines = config.stash[SETTINGS], []
    if settings.fleet is not None:
        return _fleet_header(config, settings)
    for job in config.stash[JOBS]:
        where = (f"offline scenario {job.scenario.name} (recorded {job.scenario.recorded_at:%Y-%m-%d})"
                 if job.scenario else "live")
        guide = job.profile.guide
        lines.append(f"connector-checks {__version__}: {job.connector.name} -> {job.target.url}, "
                     f"{where}; trusting {job.trust.public_label}")
        lines.append(f"connector-checks: {job.connector.name} follows {guide.vendor}'s guide "
                     f"\"{guide.title}\" (profile {job.profile.name}, {job.profile.source})")
    lines.append(f"connector-checks: timeout {settings.timeout:g} s per step; reports in "
                 f"{settings.report_dir}/")
    lines.append(f"connector-checks: reproduce with: "
                 f"{command_line(settings, config.stash[JOBS])}")
    return lines


def _fleet_header(config: pytest.Config, settings: Settings) -> list[str]:
    fleet, jobs = settings.fleet, config.stash[JOBS]
    assert fleet is not None
    part = (f", shard {fleet.shard[0]}/{fleet.shard[1]}: {len(jobs)} of "
            f"{len(fleet.every_name)} targets" if fleet.shard else f": {len(jobs)} targets")
    lines = [f"connector-checks {__version__}: fleet {fleet.label}{part}, "
             f"{'offline' if settings.offline else 'live'}, up to "
             f"{settings.fleet_concurrency} at once"]
    for job in jobs[:report.LIST_ALL_UP_TO]:
        where = f"scenario {job.scenario.name}" if job.scenario else "live"
        lines.append(f"connector-checks: {job.name}: {job.connector.name} -> {job.target.url} "
                     f"({where}; profile {job.profile.name})")
    if len(jobs) > report.LIST_ALL_UP_TO:
        lines.append(f"connector-checks: ... and {len(jobs) - report.LIST_ALL_UP_TO} more "
                     f"targets")
    lines.append(f"connector-checks: timeout {settings.timeout:g} s per step; reports in "
                 f"{settings.report_dir}/TARGET/, the fleet's in {settings.report_dir}/fleet.*")
    lines.append(f"connector-checks: reproduce with: {command_line(settings, jobs)}")
    return lines


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> bool | None:
    """Without test paths, a connector run collects its checks and nothing of the folder."""
    config = session.config
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        session.perform_collect(args=[])
        return True
    return None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector
                               ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    collected = yield
    config = collector.config
    if isinstance(collector, pytest.Session):
        suites = [ConnectorSuite.from_parent(collector, name=job.name, nodeid=job.name, job=job)
                  for job in config.stash[JOBS]]
        collected.result[:0] = suites
    return collected


def _results(config: pytest.Config) -> list[Result]:
    """Every job's checks, decided once for the whole session (all jobs concurrently). When
    Ctrl-C or SIGTERM cuts the probing short, the verdicts it reached are kept, every other
    check is not run (naming the probes under way), and the session goes on to report them
    as such: no traceback, and the exit code says interrupted."""
    if RESULTS not in config.stash:
        try:
            config.stash[RESULTS] = engine.run(config.stash[SETTINGS], config.stash[JOBS],
                                               config.stash[REDACT], _progress(config))
        except engine.Interrupted as interrupted:
            config.stash[RESULTS] = interrupted.results
            config.stash[CUT_SHORT] = True
    return config.stash[RESULTS]


def _progress(config: pytest.Config) -> Progress | None:
    """On a terminal, and not with -q: what is being probed and how much is done, on one
    line that rewrites itself, as pytest's own "collecting ..." line does."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None or not terminal.isatty or config.get_verbosity() < 0:
        return None
    names = ", ".join(config.stash[SETTINGS].connectors)

    def show(kind: str, target: str, done: int, started: int) -> None:
        terminal.rewrite(progress_line(names, kind, target, done, started), bold=True)

    return show


def progress_line(names: str, kind: str, target: str, done: int, started: int) -> str:
    return (f"connector-checks {names}: {done} of {started} probes done; "
            f"{kind} {target}")[:120]


class ConnectorSuite(pytest.Collector):
    """One connector's checks. Listing them (--collect-only) probes nothing."""

    def __init__(self, *, job: Job, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job
        self.relpath: str | None = None  # its checks' location path, as pytest works it out

    def collect(self) -> Iterator[pytest.Item]:
        if self.config.option.collectonly:
            checks = [Check(requirement, parameter, report.UNDECIDED) for requirement, parameter
                      in expected_checks(self.job, self.config.stash[SETTINGS])]
        else:
            result = next((r for r in _results(self.config) if r.job is self.job), None)
            checks = result.checks if result is not None else []
        for check in checks:
            # The node id is given as text, so it is read as pytest reads ids from its cache
            # (--lf, --ff): "ghes::scopes.granted[repo]" is scopes.granted with params "repo".
            yield CheckItem.from_parent(self, name=check.id, nodeid=f"{self.nodeid}::{check.id}",
                                        check=check)


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    return LISTED_LATER if config.option.collectonly else None


@functools.cache
def _connector_mark(name: str, layer: str, requirement: str, target: str
                    ) -> pytest.MarkDecorator:
    """One mark per requirement, shared by its checks (thousands in a large run); ``target``:
    a fleet's target's name (the connector's outside a fleet)."""
    return pytest.mark.connector(name=name, layer=layer, requirement=requirement, target=target)


class CheckRepr(TerminalRepr):
    """A check's failure as pytest shows it: the whole detail in the failures section, and
    its verdict line (not the detail again) wherever pytest shows one line, in the short
    summary (whole on CI and under -vv) and JUnit's message attribute."""

    def __init__(self, connector: str, text: str) -> None:
        self.text = text
        lines = text.splitlines()
        headline = lines[1].strip() if len(lines) > 1 else text
        self.reprcrash = ReprFileLocation(connector, 0, headline)

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)


class CheckFailed(Exception):
    """A requirement is not met; the item's report is the verdict, not a traceback."""


class CheckItem(pytest.Item):
    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.add_marker(_connector_mark(self.connector, check.requirement.category,
                                        check.requirement.id, self.job.name))
        verdict = check.verdict
        if verdict.outcome is Outcome.SKIPPED:
            # A mark, not pytest.skip(): the report then points at the check, not at us.
            reason = self.config.stash[REDACT](f"{verdict.reason}: {verdict.message}")
            self.add_marker(pytest.mark.skip(reason=reason))

    @property
    def connector(self) -> str:
        """The connector's name (its mark's); a fleet's target is the item's parent."""
        return self.job.connector.name

    @property
    def job(self) -> Job:
        suite = self.parent
        assert isinstance(suite, ConnectorSuite)
        return suite.job

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
                     style: Any = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, CheckFailed | RuntimeError):
            return CheckRepr(self.job.name, str(excinfo.value))
        return self.config.stash[REDACT](str(super().repr_failure(excinfo, style=style)))

    def reportinfo(self) -> tuple[str, int, str]:
        # The domain is shown as the failure's heading; it is not a suffix of the node id,
        # so pytest does not rewrite the dots of the check id. A check has no source line.
        return (self.job.name, 0, f"{self.check.id} - {self.check.requirement.title}")

    @functools.cached_property
    def location(self) -> tuple[str, int | None, str]:
        """pytest's location of the item (its reportinfo, the path made relative to the
        root), with the path worked out once per connector, not once per check: a tenth of
        what each of thousands of checks costs."""
        suite = self.parent
        if not isinstance(suite, ConnectorSuite):
            return super().location
        if suite.relpath is None:
            suite.relpath = super().location[0]
        _, line, name = self.reportinfo()
        return (suite.relpath, line, name)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """A check's verdict is decided before the items run, so its item has nothing to set up,
    capture or tear down: its three reports (setup, call, teardown) are made and logged
    through pytest's hooks, as pytest's own protocol makes them, without running the per-phase
    hooks around nothing (half of what an item cost). A failed check is a verdict, not an
    exception to debug: --pdb does not stop on it. User tests run as pytest runs them."""
    if not isinstance(item, CheckItem):
        return None
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    skip = item.get_closest_marker("skip")
    setup = ihook.pytest_runtest_makereport(item=item, call=_phase(
        "setup", functools.partial(pytest.skip, skip.kwargs["reason"]) if skip else None))
    ihook.pytest_runtest_logreport(report=setup)
    if setup.passed and not item.config.option.setuponly:  # --setup-only: nothing is called
        ihook.pytest_runtest_logreport(report=ihook.pytest_runtest_makereport(
            item=item, call=_phase("call", item.runtest)))
    ihook.pytest_runtest_logreport(report=ihook.pytest_runtest_makereport(
        item=item, call=_phase("teardown", None)))
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _phase(when: Literal["setup", "call", "teardown"], run: Callable[[], object] | None
           ) -> pytest.CallInfo[None]:
    return pytest.CallInfo.from_call(run or _nothing, when=when,  # type: ignore[arg-type]
                                     reraise=None)


def _nothing() -> None:
    return None


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config.stash[SELECTED] = list(session.items)
    # The items, their checks and the observations live until the session ends: frozen,
    # Python's full collections stop walking them again and again while thousands of
    # reports are made (half a second of a 1000-installation run). pytest_unconfigure
    # unfreezes them, so a process that goes on (pytester) collects them as usual.
    gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    rep = yield
    config = item.config
    if isinstance(item, CheckItem):
        if rep.when == "call" or (rep.when == "setup" and rep.skipped):
            _check_report(item, rep)
            # A failed report of a check that did not fail (nor warn under --fail-on
            # warning) is the harness breaking.
            config.stash[CHECKS_RAN][item.nodeid] = (
                Outcome.ERROR if rep.failed and item.check.verdict.outcome
                not in (Outcome.FAILED, Outcome.WARNING) else None)
    else:
        records = config.stash[RECORDS]
        records[item.nodeid] = report.user_record(item.nodeid, rep,
                                                  records.get(item.nodeid), config.stash[REDACT])
    return rep


def _check_report(item: CheckItem, rep: pytest.TestReport) -> None:
    verdict = item.check.verdict
    redact = item.config.stash[REDACT]
    cut_short = isinstance(verdict, engine.InterruptedVerdict)
    properties = [("requirement", item.check.requirement.id),
                  ("outcome", report.NOT_RUN if cut_short else verdict.outcome.value),
                  ("reason", verdict.reason or ""),
                  ("message", verdict.message)]  # --junitxml is redacted whole
    # On this report, and on the item's: the teardown report, made after, carries them too,
    # and pytest's --junitxml reads a test's properties there.
    rep.user_properties += properties
    item.user_properties += properties
    if verdict.outcome is Outcome.WARNING and item.config.stash[SETTINGS].fail_on != "warning":
        # Under --fail-on warning the warning is the check's failure, shown once as such.
        rep.sections.append(("connector-checks warning", redact(report.failure_text(item.check))))
    if getattr(item.config.option, "htmlpath", None):  # --html: pytest-html's public API
        import pytest_html

        extras = getattr(rep, "extras", [])
        extras.append(pytest_html.extras.html(redact(report.html_fragment(item.check))))
        rep.extras = extras  # type: ignore[attr-defined]


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config
                             ) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    if report.when == "call" and report.passed and ("outcome", "warning") in report.user_properties:
        # "warned", so pytest's last line counts "2 warned" (it makes no plural of a
        # category of its own), and never mixes them with its own "warnings".
        return "warned", "W", ("WARNING", {"yellow": True})
    if report.when == "setup" and report.skipped and ("outcome", "not_run") in \
            report.user_properties:  # a check a Ctrl-C left undecided: not a skip
        return "not run", "n", ("NOT RUN", {"yellow": True})
    return None


def _selected_records(config: pytest.Config, job: Job) -> Iterator[dict[str, Any]]:
    """The records of what pytest selected for this connector, in order: a check's or a user
    test's outcome, or ``not_run`` when the session stopped before it (-x, --maxfail, Ctrl-C).
    Made one at a time, as the report takes them."""
    records, ran = config.stash[RECORDS], config.stash[CHECKS_RAN]
    for item in config.stash.get(SELECTED, []):
        if isinstance(item, CheckItem):
            if item.job is job:
                verdict = item.check.verdict
                yield (report.not_run(item.check, verdict.message)
                       if isinstance(verdict, engine.InterruptedVerdict)
                       else report.check_record(item.check, ran[item.nodeid])
                       if item.nodeid in ran else report.not_run(item.check))
        elif _belongs(item, job):
            yield records.get(item.nodeid) or report.user_not_run(item.nodeid)


def _belongs(item: pytest.Item, job: Job) -> bool:
    """A user test goes to the report of the connector its marker names, or to every one."""
    marker = item.get_closest_marker("connector")
    name = marker.kwargs.get("name", marker.args[0] if marker.args else None) if marker else None
    return name in (None, job.connector.name, job.name)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    chars = getattr(config.option, "reportchars", "") or ""
    warned = terminalreporter.stats.get("warned", [])
    if warned and ("A" in chars or "p" in chars):
        # -rA and -rp list every outcome; a check that warned is one pytest does not know.
        terminalreporter.section("connector-checks warnings", sep="-")
        redact = config.stash[REDACT]
        for rep in warned:
            said = dict(rep.user_properties).get("message", "")
            terminalreporter.write_line(redact(one_line(f"WARNING {rep.nodeid} - {said}")))
    if WRITE_FAILED in config.stash:
        terminalreporter.write_line(config.stash[WRITE_FAILED], red=True, bold=True)
    if RECORD_NOTE in config.stash:
        terminalreporter.write_line(config.stash[RECORD_NOTE], yellow=True)
    for line in config.stash.get(TOLD, []):
        terminalreporter.write_line(line)
    if CUT_SHORT in config.stash:
        terminalreporter.write_line("connector-checks: interrupted (Ctrl-C or SIGTERM) while "
                                    "probing: the reports hold every verdict reached; the "
                                    "other checks were not run (exit code 2)", yellow=True)
    if RESULTS not in config.stash or config.option.collectonly:
        return
    redact = config.stash[REDACT]
    if config.stash[SETTINGS].fleet is not None:
        _fleet_summary(terminalreporter, config)
        return
    written = {document["name"]: document for document in config.stash.get(DOCUMENTS, [])}
    for result in config.stash[RESULTS]:
        job = result.job
        document = written.get(job.name)
        records = document["checks"] if document else list(_selected_records(config, job))
        mode = f"offline scenario {job.scenario.name}" if job.scenario else "live"
        terminalreporter.section(f"connector {job.connector.name}: {job.target.url} ({mode})")
        every = config.get_verbosity() > 0 or len(records) <= report.LIST_ALL_UP_TO
        for line in report.summary_lines(records, every):
            terminalreporter.write_line(redact(line))
        files = report.files(config.stash[SETTINGS].report_dir, job.connector.name)
        decided = (gate.of(document) if document else gate.decide(
            report.tally(records), False, config.stash[SETTINGS].fail_on))
        counts = report.count(records) or "no check was selected"
        under = " (--fail-on warning)" if decided["gate"] == "warning" else ""
        # Only what this run did write is named as its reports.
        where = (f"reports: {', '.join(map(str, files))}" if WRITTEN in config.stash
                 else "no report written")
        terminalreporter.write_line(f"verdict: {decided['words']}{under}; {counts}; {where}",
                                    bold=True)
    for document in config.stash.get(DOCUMENTS, []):
        if "comparison" in document:
            terminalreporter.section(f"connector {document['connector']}: since the previous "
                                     f"run")
            for line in compare.change_lines(document["comparison"]):
                terminalreporter.write_line(line)
        previous = config.stash[SETTINGS].compare
        if previous is not None and "comparison" not in document and (
                len(config.stash[JOBS]) == 1 or previous.get("connector") == document["connector"]):
            terminalreporter.write_line(
                f"connector-checks: --compare: nothing compared for {document['connector']}: "
                f"{compare.comparable(previous, document)}", yellow=True)
        if os.environ.get("GITHUB_ACTIONS") == "true":
            for command in ci.workflow_commands(document):
                terminalreporter.write_line(command)


def _fleet_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """A fleet's end: a line per target (its verdict, and the first requirement that did not
    pass with its vendor code), then the fleet's verdict and where its page is."""
    settings = config.stash[SETTINGS]
    summary = config.stash.get(FLEET_DOCUMENT, None)
    if summary is None:
        return
    redact = config.stash[REDACT]
    assert settings.fleet is not None
    terminalreporter.section(f"fleet {settings.fleet.label}: {len(summary['targets'])} targets")
    width = max((len(r["name"]) for r in summary["targets"]), default=0)
    for row in summary["targets"]:
        first = row["first_failure"]
        said = ""
        if first is not None:
            code = f", vendor code {first['vendor_code']}" if first.get("vendor_code") else ""
            said = f"  {first['id']}: {first['reason'] or first['outcome']}{code}: " \
                   f"{first['message']}"
        line = f"{row['verdict']['words'].upper():<20} {row['name']:<{width}} " \
               f"({row['connector']}){said}"
        terminalreporter.write_line(redact(one_line(line))[:400])
    verdict = summary["verdict"]
    counts = ", ".join(f"{n} {gate.VERDICTS[code][0]}" for code, n in summary["tally"].items())
    where = (f"fleet page: {settings.report_dir / 'fleet.html'}" if WRITTEN in config.stash
             else "no report written")
    terminalreporter.write_line(f"fleet verdict: {verdict['words']}; {counts}; {where}",
                                bold=True)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for document in config.stash.get(DOCUMENTS, []):
            for command in ci.workflow_commands(document):
                terminalreporter.write_line(command)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Every report of this run, written as one set (report.Staged): all of them, or none
    and the earlier ones untouched, even when it was interrupted (the reports then hold every
    verdict reached, the rest not run); then the bundle, when asked for. An interrupted run
    records nothing, and removes an earlier recording at the --record path rather than leave
    it looking like this run's."""
    config = session.config
    if config.option.collectonly or exitstatus == pytest.ExitCode.USAGE_ERROR:
        return  # a usage error (a -m that does not parse) writes nothing, overwrites nothing
    settings, redact = config.stash[SETTINGS], config.stash[REDACT]
    if CUT_SHORT in config.stash:  # Ctrl-C or SIGTERM while probing: exit code 2
        session.exitstatus = pytest.ExitCode.INTERRUPTED
    interrupted = session.exitstatus == pytest.ExitCode.INTERRUPTED
    results = {id(r.job): r for r in config.stash.get(RESULTS, None) or ()}
    documents: list[dict[str, Any]] = []
    config.stash[DOCUMENTS] = documents
    pairs: list[tuple[report.RunInfo, dict[str, Any]]] = []
    written = output.Written()
    staged = report.Staged()
    jobs = config.stash[JOBS]
    try:
        for job in jobs:
            result = results.get(id(job))
            info = output.run_info(job, result, config.stash[STARTED], config.stash[RUN_ID],
                                   interrupted=interrupted, fail_on=settings.fail_on,
                                   pinged=engine.pinged(job, settings))
            records = _selected_records(config, job) if result else iter(())
            document = output.document(info, records, __version__, settings.compare, redact)
            documents.append(document)
            pairs.append((info, document))
            written.reports += report.write_all(staged, settings.report_dir, document, info,
                                                job.folder)
            if result is not None and not interrupted:
                written.recordings |= output.write_recording(staged, settings, result, len(jobs),
                                                             __version__, redact)
        if settings.fleet is not None:
            config.stash[FLEET_DOCUMENT] = fleet_outputs.write(
                staged, settings, jobs, pairs, config.stash[RUN_ID], config.stash[STARTED],
                interrupted, __version__, written)
        staged.commit()
    except OSError as error:
        staged.discard()
        done = ", ".join(map(str, staged.written))
        config.stash[WRITE_FAILED] = (
            f"connector-checks: the reports could not be written in {settings.report_dir}/: "
            f"{error.strerror or error}; "
            + (f"written before it failed: {done}; the others there are from an earlier run"
               if done else "nothing of this run was written; earlier reports there are "
                            "untouched"))
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
        return
    config.stash[WRITTEN] = staged.written
    told = config.stash[TOLD] = []
    if interrupted and settings.record is not None:
        _drop_earlier_recordings(config, settings, len(jobs))
    elif settings.record is not None and settings.fleet is not None:
        told.append(f"connector-checks: recorded the fleet's {len(jobs)} targets in "
                    f"{settings.record}/; replay it with: {engine.runner()} -p no:cacheprovider "
                    f"--fleet={settings.record} --offline --report-dir=replayed")
    elif settings.record is not None:
        for job in jobs:
            path = output.recording_path(settings, job.connector.name, len(jobs))
            if path is not None and path in staged.written:
                told.append(f"connector-checks: recorded the {job.connector.name} run in {path}; "
                            f"replay it with: " + output.replay_command(
                                job.connector.name, str(path), engine.runner()))
    try:
        if settings.metrics is not None:
            metrics.write(settings.metrics, documents)
            told.append(f"connector-checks: metrics written to {settings.metrics} (for "
                        f"node_exporter's textfile collector)")
        if settings.bundle is not None:
            output.write_bundle(settings.bundle, written, settings, __version__)
            told.append(f"connector-checks: bundle for a ticket written to {settings.bundle}: "
                        f"the reports, the recording and how to replay it (README.txt inside)")
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as file:
                fleet_document = config.stash.get(FLEET_DOCUMENT, None)
                if fleet_document is not None:
                    file.write(ci.fleet_summary(fleet_document))
                else:
                    file.writelines(ci.step_summary(d) for d in documents)
    except OSError as error:
        config.stash[WRITE_FAILED] = (f"connector-checks: the reports were written, but not "
                                      f"the metrics, bundle or job summary: "
                                      f"{error.strerror or error}")
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
        return
    if any(r["outcome"] == "error" and r["kind"] == "check"
           for d in documents for r in d["checks"]) and \
            session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR  # the harness broke: exit 3


def _drop_earlier_recordings(config: pytest.Config, settings: Settings, jobs: int) -> None:
    """An interrupted run records nothing; a recording left at the --record path by an
    earlier run is removed, so nobody replays it as this run's."""
    notes = []
    for job in config.stash[JOBS]:
        path = output.recording_path(settings, job.connector.name, jobs)
        if path is not None and path.is_file():
            path.unlink()
            notes.append(str(path))
    config.stash[RECORD_NOTE] = (
        "connector-checks: the run was interrupted: no recording was written"
        + (f" (the earlier {', '.join(notes)} was removed)" if notes else ""))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Redact secrets by value from the reports pytest itself writes on request (--junitxml,
    --html: they embed captured output)."""
    gc.unfreeze()
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

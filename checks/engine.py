"""The engine: settings in, checks out. Plain code, usable without pytest."""

from __future__ import annotations

import asyncio
import os
import shlex
import socket
import ssl
import sys
import time
import tomllib
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from checks import __version__, reasons
from checks.catalogue import Connector
from checks.connectors import checked_profile, default_profile, get_connector
from checks.jobs import Job, Result
from checks.model.addresses import host_port
from checks.model.endpoints import Nameserver, Route, Target
from checks.model.observations import DnsLookup, ProxyTunnel, TcpConnect, TlsHandshake
from checks.model.requirement import Check, Requirement
from checks.model.secret import Redactor, Secret, SecretUnreadable, secret_from_env
from checks.model.trust import PemBundle, Trust
from checks.model.vantage import Vantage
from checks.model.verdict import Outcome, Verdict
from checks.plan import Plan
from checks.probes.body import ACCEPTED
from checks.probes.http import (
    IN_FLIGHT,
    POOLS,
    HttpClient,
    proxy_credentials,
    proxy_for,
    proxy_url,
    verifying_context,
)
from checks.profiles import Profile
from checks.profiles import parse as parse_profile
from checks.run import (
    Facts,
    LiveBackend,
    Observed,
    Progress,
    RunContext,
    Shared,
    SharedBackend,
)
from checks.scenario import Scenario, ScenarioBackend
from checks.scenario import load as load_scenario
from checks.settings import (
    MAX_INSTALLATIONS,
    RUN_TIMEOUT,
    Settings,
    certifi_roots,
    parse_target,
)

if TYPE_CHECKING:
    from checks.fleet import Fleet, FleetTarget

N = TypeVar("N", int, float)
DEFAULT_REPORT_DIR = "reports"
REPLAY_DIR = "replayed"  # where a replayed recording's reports go, beside a ticket's
HARNESS = Requirement("harness", "connector-checks ran to the end", "harness",
                      "Nothing: this item only appears when the harness itself broke.",
                      "Report the error with the JSON report attached.", seed="connector-checks")


def plan_jobs(settings: Settings, environ: Mapping[str, str]) -> list[Job]:
    """Decide every job (a fleet's: one per target of this shard); ValueError with a
    one-line message for anything wrong."""
    if settings.fleet is not None:
        from checks.fleet import FleetError

        jobs = []
        for target in settings.fleet.targets:
            try:
                jobs.append(_fleet_job(settings, settings.fleet, target, environ))
            except FleetError:
                raise
            except (ValueError, SecretUnreadable) as error:
                raise FleetError(f"{settings.fleet.where(target)}: {error}") from None
        return jobs
    return [_job(settings, get_connector(name), environ) for name in settings.connectors]


def _job(settings: Settings, connector: Connector, environ: Mapping[str, str],
         name: str = "", folder: str = "") -> Job:
    scenario = load_scenario(connector, settings.scenario) if settings.offline else None
    profile = _profile(connector, settings, scenario)
    target = _target(connector, settings, scenario)
    org = _recorded(scenario, "org", settings.org)
    repo = _recorded(scenario, "repo", settings.repo)
    secrets = _secrets(connector, environ, scenario)
    env = _required_env(connector, environ, scenario)
    given = settings.connect_to or (scenario.connect_to if scenario else ())
    _check_scopes(connector, settings)
    return Job(
        connector, profile, target, org, scenario, secrets, _trust(settings, scenario), env, repo,
        routes={(c.host, c.port): c.route for c in given},
        public_resolvers=settings.public_resolvers or (
            scenario.public_resolvers if scenario else ()),
        require_scopes=settings.require_scopes or (
            scenario.require_scopes if scenario else ()),
        max_pages=_limit(scenario, "max_pages", settings.max_pages, 100),
        max_installations=_limit(scenario, "max_installations", settings.max_installations,
                                 MAX_INSTALLATIONS),
        run_timeout=_limit(scenario, "run_timeout", settings.run_timeout, RUN_TIMEOUT),
        options=_own_options(connector, settings, scenario), name=name, folder=folder,
        resolvers=settings.resolvers, given_trust=(settings.public_roots, settings.ca_bundle))


def _fleet_job(settings: Settings, fleet: Fleet, target: FleetTarget,
               environ: Mapping[str, str]) -> Job:
    """A fleet target's job: its options read as the command line's are, paths relative to
    the fleet file, its secrets from where the file says (a variable unset or a file missing
    is that target's auth.missing, as for a single run)."""
    from checks.connectors import load_profile
    from checks.settings import (
        load_pem_bundle,
        parse_connect_to,
        parse_max_installations,
        parse_max_pages,
        parse_nameserver,
        parse_org,
        parse_repo,
        parse_run_timeout,
        parse_scope,
    )

    given = target.options

    def path(text: str) -> str:
        return str(fleet.folder / Path(text).expanduser())

    def items(key: str) -> list[str]:
        value = given.get(key, [])
        return list(value) if isinstance(value, list) else [value]

    profile = None
    if target.profile is not None:
        name = target.profile
        connector, profile = load_profile(
            path(name) if name.endswith(".toml") or "/" in name else name)
        if target.connector not in (None, connector.name):
            raise ValueError(f"profile {profile.name} is for {connector.name}, not "
                             f"{target.connector}")
    else:
        assert target.connector is not None
        connector = get_connector(target.connector)
    own = {}
    for key, value in given.items():
        if not key.startswith(f"{connector.name}-"):
            if any(key.startswith(f"{other}-") for other in _connector_names()):
                raise ValueError(f"{key} is another connector's option, not {connector.name}'s")
            continue
        option = next((o for o in connector.options if o.flag == f"--{key}"), None)
        if option is None:
            raise ValueError(f"{key} is not an option of {connector.name} "
                             f"({', '.join(o.flag[2:] for o in connector.options) or 'none'})")
        values = [option.parse(str(v)) for v in (value if isinstance(value, list) else [value])]
        own[option.flag] = values if option.repeatable else values[-1]
    scenario = str(given.get("scenario", "healthy"))
    if scenario.endswith(".json") or "/" in scenario:
        scenario = path(scenario)
    per = replace(
        settings, connectors=(connector.name,), profiles=(profile,) if profile else (),
        target=parse_target(given["target"]) if "target" in given else None,
        org=parse_org(given["org"]) if "org" in given else None,
        repo=parse_repo(given["repo"]) if "repo" in given else None,
        scenario=scenario,
        resolvers=tuple(parse_nameserver(t) for t in items("resolver")),
        public_resolvers=tuple(parse_nameserver(t) for t in items("public-resolver")),
        connect_to=tuple(parse_connect_to(t) for t in items("connect-to")),
        require_scopes=tuple(parse_scope(t) for t in items("require-scope")),
        ca_bundle=load_pem_bundle(path(given["ca-bundle"])) if "ca-bundle" in given else None,
        public_roots=(load_pem_bundle(path(given["public-roots"])) if "public-roots" in given
                      else settings.public_roots),
        max_pages=parse_max_pages(str(given["max-pages"])) if "max-pages" in given
        else settings.max_pages,
        max_installations=(parse_max_installations(str(given["max-installations"]))
                           if "max-installations" in given else settings.max_installations),
        run_timeout=parse_run_timeout(str(given["run-timeout"])) if "run-timeout" in given
        else RUN_TIMEOUT,
        connector_options=own)
    job = _job(per, connector, _target_environ(fleet, target, connector, environ),
               name=target.name, folder=target.name)
    sources = {name: f"{source.describe()} (the fleet file's {name} for {target.name})"
               for name, source in target.secrets.items()}
    return replace(job, secret_sources=sources)


def _connector_names() -> tuple[str, ...]:
    from checks.connectors import connector_names

    return connector_names()


def _target_environ(fleet: Fleet, target: FleetTarget, connector: Connector,
                    environ: Mapping[str, str]) -> dict[str, str]:
    """The environment a fleet target's connector reads its secrets and settings from: the
    run's, with each secret the fleet file names taken from its variable or file."""
    names = [*connector.secrets.names(), *(name for name, _ in connector.required_env)]
    env = dict(environ)
    for name, source in target.secrets.items():
        if name not in names:
            raise ValueError(f"secrets: {name} is not one of {connector.name}'s "
                             f"({', '.join(names)})")
        env.pop(name, None)
        env.pop(f"{name}_FILE", None)
        if source.env is not None:
            env[name] = environ.get(source.env, "")
        elif source.file is not None:
            file = fleet.folder / source.file
            if file.is_file():  # a file that is not there: the secret is missing
                env[f"{name}_FILE"] = str(file)
        elif source.value is not None:
            env[name] = source.value
    return env


def _profile(connector: Connector, settings: Settings, scenario: Scenario | None) -> Profile:
    """The profile given for the connector, the one a scenario was recorded with, or its
    vendor's default; a replay with another profile than its recording's is a usage error."""
    given = next((p for p in settings.profiles if p.connector == connector.name), None)
    recorded = scenario.data.get("profile") if scenario is not None else None
    if isinstance(recorded, dict) and scenario is not None:
        if given is not None and given.name != recorded.get("name"):
            raise ValueError(f"scenario {scenario.name} was recorded with --profile "
                             f"{recorded.get('name')}, not {given.name}")
        if given is None:
            text = str(recorded.get("toml", ""))
            try:
                document = tomllib.loads(text)
            except tomllib.TOMLDecodeError as error:
                raise ValueError(f"scenario {scenario.name}: the profile it was recorded with is "
                                 f"not TOML ({error}): record the run again") from None
            return checked_profile(parse_profile(document, f"recorded in {scenario.name}",
                                                 text))[1]
    return given or default_profile(connector)


def _own_options(connector: Connector, settings: Settings, scenario: Scenario | None
                 ) -> dict[str, Any]:
    """The connector's own options: as given, or as the scenario was recorded with; giving
    another value than the recording's is a usage error, as for --org."""
    recorded = scenario.data.get("options", {}) if scenario is not None else {}
    found = {}
    for option in connector.options:
        given = settings.connector_options.get(option.flag)
        was = recorded.get(option.flag) if isinstance(recorded, dict) else None
        if was is not None and given not in (None, was):
            raise ValueError(f"scenario {scenario.name if scenario else ''} was recorded with "
                             f"{option.flag} {was}, not {given}")
        if given is not None or was is not None:
            found[option.flag] = given if given is not None else was
    return found


def _check_scopes(connector: Connector, settings: Settings) -> None:
    """--require-scope spelled as the connector's platform spells scopes."""
    for scope in settings.require_scopes:
        problem = connector.platform.check_scope(scope)
        if problem is not None:
            raise ValueError(f"--require-scope: {problem}")


def _recorded(scenario: Scenario | None, option: str, given: str | None) -> str | None:
    """An option a scenario was recorded with; giving another one is a usage error."""
    recorded = scenario.data.get(option) if scenario is not None else None
    if recorded and given not in (None, recorded):
        raise ValueError(f"scenario {scenario.name if scenario else ''} was recorded with "
                         f"--{option} {recorded}, not {given}")
    return given or recorded


def _limit(scenario: Scenario | None, name: str, given: N, default: N) -> N:
    """A limit as given, or, left at its default, as the scenario was recorded with."""
    recorded = scenario.data.get(name) if scenario is not None else None
    if given == default and isinstance(recorded, type(default)) and not isinstance(recorded, bool):
        return recorded
    return given


def _required_env(connector: Connector, environ: Mapping[str, str],
                  scenario: Scenario | None) -> dict[str, str]:
    recorded = scenario.data.get("env", {}) if scenario else {}
    found = {}
    for name, holds in connector.required_env:
        value = environ.get(name, "").strip() or recorded.get(name, "")
        if not value:
            raise ValueError(f"--connector {connector.name} needs {name}: {holds}")
        found[name] = value
    return found


def _target(connector: Connector, settings: Settings, scenario: Scenario | None) -> Target:
    if scenario is not None:
        recorded = parse_target(scenario.target)
        if settings.target is not None and settings.target != recorded:
            raise ValueError(f"scenario {scenario.name} was recorded for {recorded.url}, not "
                             f"{settings.target.url}: drop --target or pick another scenario")
        return recorded
    if settings.target is not None:
        return settings.target
    if connector.default_target:
        return parse_target(connector.default_target)
    raise ValueError(f"--connector {connector.name} needs --target: the server's web URL, "
                     f"e.g. --target https://git.example.com")


def _secrets(connector: Connector, environ: Mapping[str, str],
             scenario: Scenario | None) -> dict[str, Secret | None]:
    stand_ins = scenario.stand_in_secrets() if scenario else {}
    found: dict[str, Secret | None] = {}
    for name in connector.secrets.names():
        # A private key spans lines; every other credential is one line.
        found[name] = (secret_from_env(name, environ, single_line=name != connector.secrets
                                       .private_key) or stand_ins.get(name))
    return found


def _trust(settings: Settings, scenario: Scenario | None) -> Trust:
    public: PemBundle | None = settings.public_roots or (
        scenario.trust("public_roots") if scenario else None)
    public = public or certifi_roots()
    private = settings.ca_bundle or (scenario.trust("ca_bundle") if scenario else None)
    return Trust(public.certificates, public.label,
                 private.certificates if private else (), private.label if private else "")


def runner() -> str:
    """How the printed commands start: this environment's own interpreter running pytest, so
    the command runs the pytest (and plugin) that printed it, not whatever is first on PATH."""
    return f"{shlex.quote(sys.executable)} -m pytest"


def command_line(settings: Settings, jobs: list[Job]) -> str:
    """The command that repeats this run, runnable as printed, where it was printed; secrets
    stay in the environment. Every option is written --opt=value: a path given with a space
    is taken by pytest for a test path before the plugin reads it. Quoted for a POSIX shell
    where it needs it. Each job's own target, org and repo (a run of several connectors may
    check several servers: one command per job, joined by &&, when they differ). A replay of
    a recording writes its reports to a folder of its own, never over the reports that came
    with the recording (a ticket's)."""
    if settings.fleet is not None:
        return _fleet_command(settings)
    commands = [_job_options(settings, job) for job in jobs]
    if len({" ".join(options[1:]) for options in commands}) <= 1:
        together = [f"--connector={job.connector.name}" for job in jobs]
        together += [f"--profile={_profile_given(job)}" for job in jobs if _named(job)]
        return f"{runner()} " + " ".join(shlex.quote(arg) for arg in together + commands[0][1:])
    return f" && {runner()} ".join([""] + [" ".join(shlex.quote(arg) for arg in options)
                                           for options in commands]).removeprefix(" && ")


def _fleet_command(settings: Settings) -> str:
    """A fleet's run: its file, and the run's own options (each target's are in the file)."""
    assert settings.fleet is not None
    args = [f"--fleet={settings.fleet.label}"]
    args += ["--offline"] if settings.offline else []
    shard = settings.fleet.shard
    args += [f"--shard={shard[0]}/{shard[1]}"] if shard else []
    args += [f"--fleet-concurrency={settings.fleet_concurrency}"]
    args += [f"--fail-on={settings.fail_on}"] if settings.fail_on != "failed" else []
    args.append(f"--check-timeout={settings.timeout:g}")
    args += [f"--run-timeout={settings.run_timeout:g}"] if settings.run_timeout != RUN_TIMEOUT \
        else []
    folder = str(settings.report_dir)
    args += [f"--report-dir={folder}"] if folder != DEFAULT_REPORT_DIR else []
    return f"{runner()} " + " ".join(shlex.quote(arg) for arg in args)


def _named(job: Job) -> bool:
    """Whether the command names the job's profile: not its connector's default, nor the one
    its recording holds (a replay follows that again)."""
    recorded = job.scenario is not None and "profile" in job.scenario.data
    return job.profile.name != job.connector.default_profile and not recorded


def _profile_given(job: Job) -> str:
    return job.profile.name if job.profile.bundled else job.profile.source


def _job_options(settings: Settings, job: Job) -> list[str]:
    """One job's options; its --connector (or --profile) first."""
    args = [f"--profile={_profile_given(job)}" if _named(job)
            else f"--connector={job.connector.name}"]
    if job.scenario is not None:
        # A bundled scenario by its name, a file (a recording) by its path, as given.
        given = settings.scenario if _is_file(settings.scenario) else job.scenario.name
        args += ["--offline", f"--scenario={given}"]
    else:
        args.append(f"--target={job.target.url}")
        args += [f"--org={job.org}"] if job.org else []
        args += [f"--repo={job.repo}"] if job.repo else []
        args += [f"{flag}={value}" for flag, value in job.options.items()
                 for value in (value if isinstance(value, list) else [value])]
    args += [f"--require-scope={scope}" for scope in settings.require_scopes]
    args += [f"--resolver={r}" for r in settings.resolvers]
    args += [f"--public-resolver={r}" for r in settings.public_resolvers]
    args += [f"--connect-to={c.host}:{c.port}:{host_port(c.route.address, c.route.port)}"
             for c in settings.connect_to]
    args += [f"--public-roots={settings.public_roots.label}"] if settings.public_roots else []
    args += [f"--ca-bundle={settings.ca_bundle.label}"] if settings.ca_bundle else []
    args += [f"--fail-on={settings.fail_on}"] if settings.fail_on != "failed" else []
    args += ["--ping-webhooks"] if settings.ping_webhooks and job.scenario is None else []
    args.append(f"--check-timeout={settings.timeout:g}")
    folder = str(settings.report_dir)
    if job.scenario is not None and _is_file(settings.scenario) and \
            settings.report_dir == Path(DEFAULT_REPORT_DIR):
        folder = REPLAY_DIR  # a recording replayed beside the reports it came with
    args += [f"--report-dir={folder}"] if folder != DEFAULT_REPORT_DIR else []
    return args


def _is_file(scenario: str) -> bool:
    """A scenario given as a file (a recording), not a bundled scenario's name."""
    return scenario.endswith(".json") or "/" in scenario


def redactor(jobs: list[Job], environ: Mapping[str, str]) -> Redactor:
    """Every secret of the run: the jobs' credentials, and (a live run's) the proxy's; a proxy
    variable that cannot be used is a ValueError."""
    secrets = [s for job in jobs for s in job.secrets.values() if s is not None]
    live = any(job.scenario is None for job in jobs)
    return Redactor([*secrets, *(proxy_credentials(environ) if live else ())])


def context_of(job: Job, settings: Settings, facts: Facts, now: datetime,
               redact: Redactor) -> RunContext:
    return RunContext(
        target=job.target, facts=facts, trust=job.trust, now=now, secrets=dict(job.secrets),
        org=job.org, repo=job.repo, require_scopes=job.require_scopes, env=dict(job.env),
        redactor=redact, resolvers=job.resolvers, public_resolvers=job.public_resolvers,
        profile=job.profile, options=dict(job.options),
        routes=dict(job.routes), max_pages=job.max_pages,
        max_installations=job.max_installations,
        proxy_for=job.scenario.proxy_for if job.scenario is not None else proxy_url,
        ping_webhooks=pinged(job, settings))


def pinged(job: Job, settings: Settings) -> bool:
    """Whether the job's run sends (or its recording sent) the webhook pings."""
    if job.scenario is not None:
        return bool(job.scenario.data.get("ping_webhooks", False))
    return settings.ping_webhooks


def expected_checks(job: Job, settings: Settings) -> list[tuple[Requirement, str]]:
    """The checks a job lists before probing (what --collect-only shows); opens no socket."""
    context = context_of(job, settings, Facts(_NoProbes()), datetime.now(UTC), Redactor())
    plan = Plan(job.requirements)  # the connector's own declarations, cited by the profile
    return [(plan.requirement(r), parameter) for r, parameter in job.connector.expected(context)]


class _NoProbes:
    """The backend of a run that only lists its checks: nothing may be probed."""

    @property
    def http(self) -> HttpClient:
        raise RuntimeError("listing checks probes nothing")

    async def dns(self, name: str, servers: tuple[Nameserver, ...], public: bool) -> DnsLookup:
        raise RuntimeError("listing checks probes nothing")

    async def tcp(self, address: str, port: int) -> TcpConnect:
        raise RuntimeError("listing checks probes nothing")

    async def tls(self, host: str, port: int, address: str, connect_port: int) -> TlsHandshake:
        raise RuntimeError("listing checks probes nothing")

    async def proxy(self, proxy: str, address: str, port: int, host: str, target_port: int
                    ) -> ProxyTunnel:
        raise RuntimeError("listing checks probes nothing")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM while probing: the verdicts reached so far, every other check marked
    not run (:func:`interrupted`), travel with the interruption."""

    def __init__(self, results: list[Result]) -> None:
        super().__init__()
        self.results = results


class InterruptedVerdict(Verdict):
    """The verdict of a check the run was interrupted before deciding: reported as not run,
    naming the probes that were under way."""


def interrupted(in_flight: list[str]) -> Verdict:
    under_way = (f" while probing {'; '.join(in_flight)}" if in_flight
                 else " before this check was decided")
    return InterruptedVerdict(Outcome.SKIPPED, None,
                              f"not run: the run was interrupted (Ctrl-C or SIGTERM){under_way}")



async def _run_job(job: Job, facts: Facts, settings: Settings, now: datetime,
                   redact: Redactor, deadline: float, partial: dict[int, list[Check]]
                   ) -> list[Check]:
    """One connector's checks, by ``deadline`` (a monotonic time: its --run-timeout after the
    run, or a fleet's target, began): past it, every check not yet decided fails with
    harness.deadline, and what was decided stands."""
    context = context_of(job, settings, facts, now, redact)
    plan = Plan((*job.requirements, HARNESS), job.profile.vendor_codes)
    try:
        plan.expect_all(job.connector.expected(context))
        async with asyncio.timeout_at(deadline):
            await job.connector.run(context, plan)
        return _fleet_sources(job, plan.checks())
    except TimeoutError:
        return plan.settle_pending(reasons.HARNESS_DEADLINE(
            f"not decided within --run-timeout {job.run_timeout:g} s, the bound on the "
            f"whole run (every step also has its own --check-timeout)"))
    except asyncio.CancelledError:  # Ctrl-C or SIGTERM: what was decided travels with it
        partial[id(job)] = plan.settle_pending(interrupted(facts.interrupt()))
        raise
    except Exception as error:  # a bug: say so as one item; every verdict reached stands
        where = traceback.extract_tb(error.__traceback__)[-1]
        verdict = reasons.HARNESS_ERROR(
            f"{type(error).__name__}: {error} (at {where.filename}:{where.lineno})")
        return plan.abandon(plan.add(HARNESS, job.connector.name, verdict))


def _fleet_sources(job: Job, checks: list[Check]) -> list[Check]:
    """A fleet's target whose secret is missing: the message names where the fleet file says
    it comes from, not only the connector's own variable."""
    if not job.secret_sources:
        return checks
    for n, check in enumerate(checks):
        verdict = check.verdict
        if verdict.reason == "auth.missing" or (verdict.reason or "").endswith("key_missing"):
            named = [f"{name} comes from {source}" for name, source in job.secret_sources.items()
                     if name in verdict.message]
            if named:
                checks[n] = replace(check, verdict=replace(
                    verdict, message=f"{verdict.message}; here {'; '.join(named)}"))
    return checks


def _vantage(settings: Settings, job: Job, proxy: str,
             observed: tuple[Observed, ...]) -> Vantage:
    """Where the run looked from; a replay looked from where its recording was made."""
    recording = job.scenario.recording if job.scenario is not None else None
    if recording is not None:
        return Vantage.of(recording.get("vantage"))
    local = next((o.observation.local_address for o in observed
                  if isinstance(o.observation, TcpConnect) and o.observation.local_address), "")
    resolvers = (", ".join(map(str, job.resolvers)) or "system") if job.scenario is None \
        else "recorded answers"
    return Vantage(socket.gethostname(), settings.vantage, local, resolvers, proxy)


def _live_http(settings: Settings, routes: Mapping[tuple[str, int], Route],
               context: ssl.SSLContext) -> HttpClient:
    """An HTTP client: for jobs that trust the same CAs and route hosts alike, or for one
    target of a fleet (its own connections, its own pauses for its server's rate limit)."""

    def make(proxy: str | None) -> httpx.AsyncClient:
        # trust_env=False: HttpClient has decided the proxy; SSL_CERT_FILE has no say either.
        return httpx.AsyncClient(
            verify=context, proxy=proxy, trust_env=False, follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout),
            # Across the pools, as many connections stay alive as requests may be in flight,
            # so none is closed and handshaken again between requests.
            limits=httpx.Limits(max_connections=IN_FLIGHT // POOLS,
                                max_keepalive_connections=IN_FLIGHT // POOLS),
            headers={"User-Agent": f"connector-checks/{__version__}",
                     "Accept-Encoding": ACCEPTED})

    return HttpClient(make, dict(routes), timeout=settings.timeout,
                      max_wait_s=settings.max_wait)


def _contexts() -> Callable[[Job], ssl.SSLContext]:
    """The TLS context a job's HTTP client verifies with, made once per trust (loading a
    bundle of roots costs more than a handshake)."""
    made: dict[tuple[object, ...], ssl.SSLContext] = {}

    def of(job: Job) -> ssl.SSLContext:
        key = _trust_key(job)
        if key not in made:
            made[key] = verifying_context(
                PemBundle("", job.trust.public_roots + job.trust.private_cas).pem)
        return made[key]

    return of


@dataclass
class _Group:
    """Live jobs whose HTTP facts are the same, sent by one client: they trust the same CAs,
    and their routes (--connect-to) agree on every host and port either names."""

    trust: tuple[object, ...]
    routes: dict[tuple[str, int], Route]
    members: list[Job]

    def takes(self, job: Job) -> bool:
        own = {**job.routes}
        target = (job.target.host, job.target.port)
        return _trust_key(job) == self.trust and \
            all(self.routes.get(key, route) == route for key, route in own.items()) and \
            (target in own) == (target in self.routes)


def _trust_key(job: Job) -> tuple[object, ...]:
    return (job.trust.public_label, job.trust.private_label, len(job.trust.public_roots),
            len(job.trust.private_cas))


def _grouped(jobs: list[Job]) -> list[_Group]:
    groups: list[_Group] = []
    for job in jobs:
        if job.scenario is not None:
            continue
        group = next((g for g in groups if g.takes(job)), None)
        if group is None:
            groups.append(_Group(_trust_key(job), dict(job.routes), [job]))
        else:
            group.routes.update(job.routes)
            group.members.append(job)
    return groups


def run(settings: Settings, jobs: list[Job], redact: Redactor | None = None,
        progress: Progress | None = None) -> list[Result]:
    """run_jobs in a fresh event loop. Its results leave through a box, not as the main task's
    result: on Python 3.11, asyncio.run formats that task, result and all, when it restores
    the SIGINT handler (an 85 MB string for a thousand installations). Ctrl-C (and SIGTERM,
    which the session turns into it) cancels every probe at once; :class:`Interrupted` then
    carries what was decided."""
    box: list[list[Result]] = []

    async def main() -> None:
        await run_jobs(settings, jobs, redact, progress, box)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        raise Interrupted(box[0] if box else []) from None
    return box[0]


async def run_jobs(settings: Settings, jobs: list[Job], redact: Redactor | None = None,
                   progress: Progress | None = None, box: list[list[Result]] | None = None
                   ) -> list[Result]:
    """Run every job concurrently; live jobs share one set of facts. The results are also
    put in ``box``, and there too when the run is cancelled: each job's decided checks, the
    rest marked :func:`interrupted`."""
    redact = redact if redact is not None else redactor(jobs, os.environ)
    groups = _grouped(jobs)
    group_of = {id(job): n for n, group in enumerate(groups) for job in group.members}
    context_of_job = _contexts()
    fleet = settings.fleet is not None and len(jobs) > 1
    # One connector, or several at one target: one set of facts, as they are the same. A
    # fleet: each target its own facts (its reports, its recording) and HTTP client, sharing
    # the probes of targets whose facts are the same.
    shared_facts = {} if fleet else {
        n: Facts(LiveBackend(_live_http(settings, group.routes,
                                        context_of_job(group.members[0])), settings.timeout),
                 progress=progress) for n, group in enumerate(groups)}
    probes = {n: Shared() for n in range(len(groups))} if fleet else {}
    clients: list[HttpClient] = []
    began = time.monotonic()  # the run's deadline: its --run-timeout after this
    bound = asyncio.Semaphore(settings.fleet_concurrency if settings.fleet is not None
                              else max(1, len(jobs)))
    partial: dict[int, list[Check]] = {}
    begun: dict[int, tuple[datetime, float, Facts, datetime, str]] = {}

    def result(job: Job, checks: list[Check]) -> Result:
        started, clock, facts, now, proxy = begun[id(job)]
        if job.scenario is not None and facts.proxies:  # the proxy the recorded run went through
            proxy = f"{', '.join(sorted(set(facts.proxies.values())))} (recorded)"
        observed = tuple(facts.observed)
        recording = job.scenario.recording if job.scenario is not None else None
        return Result(job, checks, started, time.monotonic() - clock, proxy, list(facts.log),
                      observed, _vantage(settings, job, proxy, observed), recording, now,
                      tuple(facts.unanswered), dict(facts.proxies))

    def _target_facts(job: Job) -> Facts:
        http = _live_http(settings, job.routes, context_of_job(job))
        clients.append(http)
        return Facts(SharedBackend(probes[group_of[id(job)]], LiveBackend(http, settings.timeout)),
                     progress=progress)

    async def one(job: Job) -> Result:
        async with bound:
            started, clock = datetime.now(UTC), time.monotonic()
            if job.scenario is not None:
                facts = Facts(ScenarioBackend(job.scenario), resolver_label="recorded answers",
                              replay=True)
                now = job.scenario.recorded_at
                proxy = "none (offline)"
            else:
                key = group_of[id(job)]
                facts = shared_facts.get(key) or _target_facts(job)
                now, proxy = started, proxy_for(job.target.url)
            begun[id(job)] = (started, clock, facts, now, proxy)
            # Its own deadline from when it starts, within the whole run's.
            deadline = min(clock + job.run_timeout, began + settings.run_timeout) \
                if settings.fleet is not None else began + job.run_timeout
            checks = await _run_job(job, facts, settings, now, redact, deadline, partial)
            partial[id(job)] = checks
            if job.scenario is not None:
                await facts.backend.http.aclose()
            elif fleet and not facts.unanswered:
                # Every probe this target started was answered: its connections are closed
                # now, not held until the last target ends (a fleet of thousands).
                await facts.backend.http.aclose()
            return result(job, checks)

    try:
        results = list(await asyncio.gather(*map(one, jobs)))
    except asyncio.CancelledError:
        if box is not None:
            box.append([result(job, partial[id(job)]) for job in jobs if id(job) in partial])
        raise
    finally:
        for facts in shared_facts.values():
            await facts.backend.http.aclose()
        for client in clients:
            await client.aclose()
    if box is not None:
        box.append(results)
    return results

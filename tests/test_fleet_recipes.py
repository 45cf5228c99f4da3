"""The fleet recipes of docs/ci run the commands they say, as far as this machine allows: each
shard's command over the bundled fleet replayed offline, the merge job's over their reports,
the CronJob's into a textfile folder, and the alert rules over the metrics it wrote."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from checks.fleet import comparable_view

REPO = Path(__file__).resolve().parent.parent
CI = REPO / "docs" / "ci"
OFFLINE = {"FLEET": "demo", "CONNECTOR_CHECKS_ARGS": "--offline -p no:cacheprovider"}


def shell(command: str, cwd: Path, variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A recipe's command as its runner runs it, with this environment's Python and the
    connector-checks command it installed."""
    env = {**os.environ, **variables,
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        env.pop(name, None)
    command = re.sub(r"^python ", f"{sys.executable} ", command)
    command = command.replace("&& python ", f"&& {sys.executable} ")
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True)


def unsharded(tmp_path: Path) -> tuple[int, dict[str, Any]]:
    folder = tmp_path / "whole"
    folder.mkdir()
    done = shell("python -m pytest -p no:cacheprovider --fleet demo --offline", folder, {})
    return done.returncode, json.loads((folder / "reports" / "fleet.json").read_text())


def view(document: dict[str, Any]) -> dict[str, Any]:
    seen = comparable_view(document)
    for row in seen["targets"]:
        row.pop("reports")
    return seen


def test_the_github_actions_matrix_shards_the_fleet_and_its_last_job_merges_the_page(
    tmp_path: Path
) -> None:
    recipe = yaml.safe_load((CI / "fleet-github-actions.yml").read_text())
    shard_job, fleet_job = recipe["jobs"]["shard"], recipe["jobs"]["fleet"]
    assert fleet_job["needs"] == "shard" and fleet_job["if"] == "always()"
    step = next(s for s in shard_job["steps"] if "--fleet" in s.get("run", ""))
    variables = {k: v for k, v in step["env"].items() if not str(v).startswith("${{")}
    shards = shard_job["strategy"]["matrix"]["shard"]
    for k in shards:
        runner = tmp_path / f"runner-{k}"
        runner.mkdir()
        command = step["run"].replace("${{ matrix.shard }}", str(k))
        done = shell(command, runner, {**variables, **OFFLINE})
        assert done.returncode in (0, 1, 5), done.stdout[-2000:] + done.stderr[-2000:]
        # upload-artifact fleet-shard-K, download-artifact into shards/fleet-shard-K/
        shutil.copytree(runner / "reports", tmp_path / "shards" / f"fleet-shard-{k}")
    merge = next(s for s in fleet_job["steps"] if "merge" in s.get("run", ""))
    merged = shell(merge["run"], tmp_path, {})
    code, whole = unsharded(tmp_path)
    assert merged.returncode == code == 1, merged.stdout + merged.stderr
    joined = json.loads((tmp_path / "fleet-report" / "fleet.json").read_text())
    assert view(joined) == view(whole)
    assert sorted(s[0] for s in joined["shards"]) == shards
    for row in joined["targets"]:
        assert (tmp_path / "fleet-report" / row["reports"]["html"]).is_file()


def test_the_gitlab_parallel_jobs_shard_the_fleet_and_the_report_job_merges_them(
    tmp_path: Path
) -> None:
    recipe = yaml.safe_load((CI / "fleet-gitlab-ci.yml").read_text())
    shard_job, report_job = recipe["fleet-shard"], recipe["fleet-report"]
    total = shard_job["parallel"]
    command = next(line for line in shard_job["script"] if "--fleet" in line)
    for k in range(1, total + 1):
        done = shell(command, tmp_path, {**shard_job["variables"], **OFFLINE,
                                         "CI_NODE_INDEX": str(k), "CI_NODE_TOTAL": str(total)})
        assert done.returncode in (0, 1, 5), done.stdout[-2000:] + done.stderr[-2000:]
    for pattern in shard_job["artifacts"]["reports"]["junit"], "shards/*/fleet.json":
        assert len(list(tmp_path.glob(pattern))) == total
    merge = next(line for line in report_job["script"] if "merge" in line)
    merged = shell(merge, tmp_path, {})
    code, whole = unsharded(tmp_path)
    assert merged.returncode == code == 1, merged.stdout + merged.stderr
    assert view(json.loads((tmp_path / "fleet-report" / "fleet.json").read_text())) == \
        view(whole)


def test_the_cronjob_writes_metrics_the_alert_rules_fire_on(tmp_path: Path) -> None:
    cronjob = yaml.safe_load((CI / "fleet-cronjob.yaml").read_text())
    (container,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["sh", "-c"]
    (command,) = container["args"]
    variables = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    variables |= {**OFFLINE, "NODE_NAME": "node-1",
                  "REPORT_DIR": str(tmp_path / "reports"),
                  "TEXTFILE_DIR": str(tmp_path / "textfile")}
    (tmp_path / "textfile").mkdir()
    # What the image would install is installed here; the rest runs as written.
    command = command.replace("python -m pip install --quiet connector-checks && ", "")
    done = shell(command, tmp_path, variables)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]  # test $? -le 1
    prom = tmp_path / "textfile" / "connector_checks.prom"
    samples = [s for family in text_string_to_metric_families(prom.read_text())
               for s in family.samples]
    rules = yaml.safe_load((CI / "prometheus-alerts.yml").read_text())["groups"][0]["rules"]
    fired = {rule["alert"]: sorted(fires(rule["expr"], samples)) for rule in rules}
    assert fired == {"ConnectorNotReady": ["legacy-ghes"],
                     "ConnectorCertificateExpiresSoon": ["legacy-ghes"],
                     "ConnectorTokenExpiresSoon": ["platform-gitlab"],
                     "ConnectorChecksStale": []}


def fires(expr: str, samples: list[Any]) -> list[str]:
    """The targets a rule of the form METRIC OP NUMBER[ * NUMBER] (or time() - METRIC OP ...)
    fires for, evaluated on the metrics as Prometheus would at the time they were written."""
    import time

    match = re.fullmatch(r"(time\(\) - )?(\w+) (==|<|>) ([\d. *]+)", expr)
    assert match, expr
    bound = eval(match[4], {"__builtins__": {}})  # digits, spaces and * only
    found = []
    for sample in samples:
        if sample.name != match[2]:
            continue
        value = time.time() - sample.value if match[1] else sample.value
        if {"==": value == bound, "<": value < bound, ">": value > bound}[match[3]]:
            found.append(sample.labels["target"])
    return found

"""One pytest-html report per connector.

pytest-html writes one report per session, to --html. A run of several connectors writes one
report per connector, so this module builds pytest-html's own report object once per
connector, as ``pytest_html.plugin.pytest_configure`` does, and lets each keep only its
connector's items. It uses pytest-html's module-level helpers, not a documented API: this is
the one module that does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_html
from pytest_html.report_data import ReportData
from pytest_html.selfcontained_report import SelfContainedReport
from pytest_html.util import _process_css, _read_template


class ConnectorReport(SelfContainedReport):  # type: ignore[misc]
    """A self-contained pytest-html report of one connector's checks."""

    def __init__(self, connector: str, path: Path, config: pytest.Config) -> None:
        resources = Path(pytest_html.__file__).parent / "resources"
        super().__init__(path, config, ReportData(config), _read_template([resources]),
                         _process_css(resources / "style.css", []))
        self._prefix = f"{connector}::"

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.nodeid.startswith(self._prefix):
            super().pytest_runtest_logreport(report)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._report.collected_items = sum(1 for item in session.items
                                           if item.nodeid.startswith(self._prefix))


def register(config: pytest.Config, connectors: tuple[str, ...], report_dir: Path) -> list[Path]:
    paths = []
    for name in connectors:
        path = report_dir / f"{name}.html"
        config.pluginmanager.register(ConnectorReport(name, path, config),
                                      f"connector-checks-html-{name}")
        paths.append(path)
    return paths

"""connector-checks: setup requirements of code-host connectors as pytest checks.

The public API is small on purpose: the plugin lives in :mod:`checks.plugin`, and the
plain library (catalogue, evaluators, reports) works without pytest.
"""

from __future__ import annotations

from checks.catalogue import Check, Connector, Requirement, connector_names, get_connector
from checks.reasons import REASONS, Reason
from checks.secret import Secret
from checks.verdict import Outcome, Verdict

__version__ = "0.1.0"

__all__ = [
    "REASONS",
    "Check",
    "Connector",
    "Outcome",
    "Reason",
    "Requirement",
    "Secret",
    "Verdict",
    "__version__",
    "connector_names",
    "get_connector",
]

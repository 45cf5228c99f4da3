"""connector-checks: setup requirements of code-host connectors as pytest checks.

The public API is small on purpose: the plugin lives in :mod:`checks.plugin`, the shared
types in :mod:`checks.model`, and the plain library (connectors, evaluators, reports) works
without pytest.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

"""The gitlab connector's own options (read by pytest --help before any connector loads)."""

from __future__ import annotations

from checks.connectors.github_options import webhook_option

OPTIONS = (webhook_option("gitlab"),)

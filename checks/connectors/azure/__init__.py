"""Azure DevOps Services and Server: the ``azure-devops`` connector, written through
checks.api alone (docs/connectors.md); this package's own module imports nothing, so pytest
reads its options (options.py) fast."""

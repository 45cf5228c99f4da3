"""An example connector: an HTTPS service's health endpoint answers {"status": "ok"} to a
bearer token. Written through checks.api alone (docs/connectors.md)."""

"""Built-in connectors; importing this package registers each of them."""

from checks.connectors import ghes, github_app

__all__ = ["ghes", "github_app"]

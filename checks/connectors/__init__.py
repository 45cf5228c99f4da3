"""Built-in connectors; importing this package registers each of them."""

from checks.connectors import ghes, github, github_app, gitlab

__all__ = ["ghes", "github", "github_app", "gitlab"]

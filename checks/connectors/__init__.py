"""Built-in connectors; importing this package registers each of them."""

from checks.connectors import ghes

__all__ = ["ghes"]

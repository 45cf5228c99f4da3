"""Repository conftest: the test suite drives the plugin from outside with pytester."""

pytest_plugins = ["pytester"]

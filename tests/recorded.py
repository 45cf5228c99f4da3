"""Real GitHub and GitLab exchanges recorded by other projects (tests/recordings/, with their
sources and licences), as observations our evaluators read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checks.model.observations import HttpExchange

RECORDINGS = Path(__file__).parent / "recordings"


def recording(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDINGS / f"{name}.json").read_text())
    return data


def exchange(name: str) -> HttpExchange:
    """A recorded exchange as the HTTP probe would have observed it."""
    data = recording(name)
    response = data["response"]
    headers = {k.lower(): ", ".join(v) if isinstance(v, list) else v
               for k, v in response["headers"].items()}
    body = response["body"]
    request = data["request"]
    # A label for the exchange, as the recording's source had it; nothing connects to it.
    url = request.get("url") or f"https://api.github.com{request['path']}"
    return HttpExchange(request["method"], url, response["status"], headers,
                        body if isinstance(body, str) else json.dumps(body))

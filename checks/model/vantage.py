"""Where a run looked from: a support engineer reading a report needs to know."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Vantage:
    machine: str  # this machine's host name
    label: str = ""  # --vantage, e.g. "vendor side" or "office network"
    local_address: str = ""  # the address connections to the target left from
    resolvers: str = ""  # the DNS servers asked
    proxy: str = ""  # the HTTP proxy used, credentials hidden

    def as_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, data: Any) -> Vantage:
        fields = data if isinstance(data, dict) else {}
        return cls(**{name: str(fields.get(name, "")) for name in
                      ("machine", "label", "local_address", "resolvers", "proxy")})

    def __str__(self) -> str:
        where = f"{self.label} ({self.machine})" if self.label else self.machine
        return where + (f", from {self.local_address}" if self.local_address else "")

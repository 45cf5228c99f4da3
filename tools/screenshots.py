"""Screenshots of the HTML report as a person sees it (Chromium, JavaScript off), for three
bundled scenarios: python -m tools.screenshots writes reports/screenshots/ghes-NAME.png."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tools import browser

SCENARIOS = ("firewall-blocked", "private-ca", "missing-scopes")
FOLDER = Path("reports") / "screenshots"


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name in SCENARIOS:
        pages = FOLDER / name
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--connector", "ghes", "--offline", "--scenario", name,
                        "--report-dir", str(pages)], capture_output=True, check=False)
        png = browser.screenshot(pages / "ghes.html", FOLDER / f"ghes-{name}.png")
        print(f"wrote {png}")


if __name__ == "__main__":
    main()

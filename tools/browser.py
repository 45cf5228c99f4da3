"""A page seen as a person sees it: Debian's Chromium, headless, with JavaScript off (a
profile whose content settings block scripts) and no way off this machine (every request
goes to a closed loopback port as its proxy; no host name is resolved)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--disable-default-apps", "--no-pings",
         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND")


def chromium() -> str:
    for candidate in CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise FileNotFoundError("Chromium is not installed: apt-get install chromium (.ci/run "
                            "installs it when missing)")


def _run(page: Path, *extra: str, net_log: Path | None = None, script: bool = False) -> str:
    with tempfile.TemporaryDirectory() as profile:
        settings = Path(profile) / "Default"
        settings.mkdir()
        (settings / "Preferences").write_text(json.dumps(
            {"profile": {"default_content_setting_values": {"javascript": 1 if script else 2}}}))
        logging = (f"--log-net-log={net_log}",) if net_log else ()
        done = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *logging,
                               *extra, page.resolve().as_uri()], capture_output=True,
                              text=True, timeout=120, check=True)
    return done.stdout


def dom(page: Path, net_log: Path | None = None) -> str:
    """The page's DOM once loaded, with JavaScript off."""
    return _run(page, "--dump-dom", net_log=net_log)


def screenshot(page: Path, png: Path, width: int = 1100, height: int = 1800) -> Path:
    _run(page, f"--screenshot={png.resolve()}", f"--window-size={width},{height}")
    return png


# The test's own measuring script, added to a copy of the page (the page has none): the box
# Chromium lays out for every text of every drawing.
_MEASURE = """<script>
const boxes = [...document.querySelectorAll("svg")].flatMap((svg, n) =>
  [...svg.querySelectorAll("text")].map(text => {
    const r = text.getBoundingClientRect();
    return {svg: n, text: text.textContent, x: r.x, y: r.y, width: r.width, height: r.height};
  }));
const out = document.createElement("pre");
out.id = "measured-boxes";
out.textContent = JSON.stringify(boxes);
document.body.appendChild(out);
</script>"""


def text_boxes(page: Path, width: int = 1100) -> list[dict[str, object]]:
    """The layout box of every text in the page's drawings, as Chromium lays them out at
    ``width``: measured by a script of the test's own in a copy of the page."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / page.name
        copy.write_text(page.read_text().replace("</body>", _MEASURE + "</body>"))
        dumped = _run(copy, "--dump-dom", f"--window-size={width},2000", script=True)
    found = dumped.split('<pre id="measured-boxes">', 1)[1].split("</pre>", 1)[0]
    import html

    boxes: list[dict[str, object]] = json.loads(html.unescape(found))
    return boxes


def overlaps(boxes: list[dict[str, object]]) -> list[tuple[str, str]]:
    """Pairs of texts of one drawing whose boxes overlap (by more than a pixel each way)."""
    found = []
    for n, one in enumerate(boxes):
        for other in boxes[n + 1:]:
            if one["svg"] != other["svg"]:
                continue
            a = {k: float(one[k]) for k in ("x", "y", "width", "height")}  # type: ignore[arg-type]
            b = {k: float(other[k]) for k in ("x", "y", "width", "height")}  # type: ignore[arg-type]
            wide = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
            tall = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
            if wide > 1 and tall > 1:
                found.append((str(one["text"]), str(other["text"])))
    return found


def page_requests(net_log: Path) -> list[str]:
    """URLs the page asked for. Chromium's own services ask with no origin; whatever the
    page's HTML asks for carries the page's origin."""
    log = json.loads(net_log.read_text())
    names = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    started = [event.get("params", {}) for event in log["events"]
               if names.get(event["type"]) == "URL_REQUEST_START_JOB"]
    return [params["url"] for params in started
            if "url" in params and params.get("initiator") != "not an origin"]


class _Visible(HTMLParser):
    """The text a reader sees without opening anything: not inside a closed <details> (but
    its <summary>), not <style>, <script> or <title>."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title") or (tag == "details" and not any(
                name == "open" for name, _ in attrs)):
            self._hidden.append(tag)
        elif tag == "summary" and self._hidden and self._hidden[-1] == "details":
            self._hidden.append("summary")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden and self._hidden[-1] == tag:
            self._hidden.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden or self._hidden[-1] == "summary":
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())

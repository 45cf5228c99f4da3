#!/usr/bin/env bash
# The whole test suite: installs what it needs (Debian's Chromium, for the report page seen
# with JavaScript off, when it is missing; the Python packages into .venv), then ruff,
# mypy --strict and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/lib/chromium/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "tools/test.sh: installing Debian's chromium (the report page is checked in it)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null
    else
        echo "tools/test.sh: Chromium is missing: run 'sudo apt-get install chromium fonts-dejavu-core' first" >&2
        exit 4
    fi
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/pytest tests "$@"

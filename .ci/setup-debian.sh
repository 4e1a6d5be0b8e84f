#!/usr/bin/env bash
# Install everything Chartfile needs on a fresh Debian machine: Debian packages
# (tesseract with English + orientation data, Chromium for browser tests, fonts),
# then a virtual environment in .venv with Chartfile and its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends \
    tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd \
    chromium fonts-dejavu-core python3-venv >/dev/null

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,bench]'
echo "setup complete: $(.venv/bin/python --version), $(tesseract --version 2>&1 | head -1)"

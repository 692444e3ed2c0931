#!/usr/bin/env bash
# The project's two entry points on a fresh Debian machine with the Swift toolchain:
#   Tools/strongroom.sh serve [strongroom serve options]   build (release) and run the OP
#   Tools/strongroom.sh test                               build and run the whole test suite
# Each installs the system libraries it needs (liblz4-dev, libsqlite3-dev) when they are missing.
# Nothing here prompts: CI runs it with no standard input.
set -euo pipefail
cd "$(dirname "$0")/.."

need_packages() {
  local missing=()
  for pkg in liblz4-dev libsqlite3-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing ${missing[*]} (apt-get)" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" </dev/null
}

# The interop tests drive the OP with an independent client (requests-oauth2client from PyPI),
# installed into a local venv (.build-venv, ignored by git).
need_python_venv() {
  if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
    echo "installing python3-venv (apt-get)" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv </dev/null
  fi
  if ! .build-venv/bin/python3 -c "import requests_oauth2client, cryptography, selenium" >/dev/null 2>&1; then
    python3 -m venv .build-venv
    .build-venv/bin/pip install --quiet --disable-pip-version-check \
      "requests-oauth2client==1.8.0" "selenium==4.51.0" </dev/null
  fi
}

# The HTML pages (account page, audit reports) are checked in a real headless browser: Debian's
# chromium, driven through chromedriver by selenium (Tests/interop/browser.py), JavaScript disabled.
need_browser() {
  local missing=()
  for pkg in chromium chromium-driver; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing ${missing[*]} (apt-get)" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

case "${1:-}" in
  serve)
    shift
    need_packages
    swift build -c release --product strongroom
    exec .build/release/strongroom serve "$@"
    ;;
  test)
    shift
    need_packages
    need_python_venv
    need_browser
    swift build --build-tests
    swift test --skip-build "$@"
    ;;
  *)
    echo "usage: $0 serve [options] | test" >&2
    exit 2
    ;;
esac

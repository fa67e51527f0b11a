#!/usr/bin/env bash
# The explorer's real-browser test: installs Debian's chromium when it is
# missing, builds cmd/explore, and runs cmd/explore/internal/browsercheck,
# which starts the explorer on a free loopback port, loads its page in
# headless Chromium and checks the rendered tokens, next-token top and
# attention heatmaps against the JSON API. Prints the screenshot's path.
#
#   bash scripts/browser-test.sh [screenshot.png]     (or: make browser-test)
set -euo pipefail
cd "$(dirname "$0")/.."
shot=${1:-${TMPDIR:-/tmp}/explore-browser-test.png}

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "chromium is missing: installing Debian's chromium"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium > /dev/null
  chromium=$(command -v chromium)
fi
echo "browser: $("$chromium" --version 2>/dev/null || echo "$chromium")"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/explore" ./cmd/explore
go run ./cmd/explore/internal/browsercheck -explore "$bin/explore" -chromium "$chromium" -screenshot "$shot"

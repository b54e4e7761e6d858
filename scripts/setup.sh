#!/usr/bin/env bash
# Everything the tests need beyond npm packages, installed idempotently:
# Debian packages (patchelf for the test Pythons, chromium for HTML checks, tmux for the
# end-to-end test of the live view) and the test Pythons themselves (scripts/install-test-pythons.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

missing=()
command -v patchelf >/dev/null 2>&1 || missing+=(patchelf)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing ${missing[*]}" >&2
  as_root apt-get update -qq >/dev/null 2>&1 || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
    || echo "[setup] could not install ${missing[*]}; tests that need them will be skipped" >&2
fi

bash "$root/scripts/install-test-pythons.sh"

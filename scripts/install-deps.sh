#!/usr/bin/env bash
# Installs the Debian packages the proxy's tests and local runs use, when any of their binaries is missing.
# Usage: scripts/install-deps.sh [extra-package ...]
set -euo pipefail

packages=()
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || packages+=(redis-sentinel)
command -v redis-cli >/dev/null 2>&1 || packages+=(redis-tools)
command -v redis-benchmark >/dev/null 2>&1 || packages+=(redis-tools)
for extra in "$@"; do
  case "$extra" in
    nutcracker) command -v nutcracker >/dev/null 2>&1 || packages+=(nutcracker) ;;
    *) packages+=("$extra") ;;
  esac
done

if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

echo "Installing: ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

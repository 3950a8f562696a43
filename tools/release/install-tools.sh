#!/usr/bin/env bash
# Installs what the Windows release needs on a Debian/Ubuntu build machine, when missing:
#   makensis (Debian's nsis) for the installer, zip for the portable archive, wine (64-bit) for the smoke tests.
# Usage: tools/release/install-tools.sh [--wine]   (without --wine: only the build tools)
set -euo pipefail
want_wine=0
[ "${1:-}" = "--wine" ] && want_wine=1
pkgs=()
command -v makensis >/dev/null 2>&1 || pkgs+=(nsis)
command -v zip >/dev/null 2>&1 || pkgs+=(zip)
if [ "$want_wine" = 1 ] && ! { command -v wine >/dev/null 2>&1 && [ -x /usr/lib/wine/wine64 ]; }; then pkgs+=(wine wine64); fi
if [ "${#pkgs[@]}" = 0 ]; then echo "release tools present: $(makensis -VERSION 2>/dev/null) ${want_wine:+$(command -v wine >/dev/null && wine --version 2>/dev/null)}"; exit 0; fi
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
echo "installing ${pkgs[*]} (apt-get; wine takes a few minutes)"
t0=$(date +%s)
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
echo "installed ${pkgs[*]} in $(( $(date +%s) - t0 )) s"

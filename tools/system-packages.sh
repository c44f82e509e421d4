#!/usr/bin/env bash
# What `make run` and `make test` need from the system besides Python: Java (DynamoDB
# Local), npm (installs it) and, for the tests, Debian's chromium (the browser tests drive
# it with Playwright; never `playwright install`). Installs what is missing with apt-get
# when it can (as root, or with password-less sudo); otherwise says what to install.
#   tools/system-packages.sh run|test
set -euo pipefail
needs=(java:openjdk-17-jre-headless npm:npm)
[ "${1:-run}" = test ] && needs+=(/usr/bin/chromium:chromium)

missing=()
for need in "${needs[@]}"; do
    command -v "${need%%:*}" >/dev/null || missing+=("${need#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else
    echo "Missing: ${missing[*]}. Install them (Debian/Ubuntu: apt-get install ${missing[*]}) and run again." >&2
    exit 1
fi
echo "Installing ${missing[*]} with apt-get (once)..."
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}"

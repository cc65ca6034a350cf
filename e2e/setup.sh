#!/usr/bin/env bash
# Installs what the browser suite needs; safe to run again and again.
#  - Debian's chromium, when /usr/bin/chromium is missing (no test tool
#    downloads a browser build of its own);
#  - the npm packages of e2e/package-lock.json (sockjs-client, playwright-core),
#    when node_modules does not already match the lock file.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
	echo "e2e/setup.sh: installing Debian's chromium"
	if [ "$(id -u)" -ne 0 ]; then
		echo "e2e/setup.sh: /usr/bin/chromium is missing; run as root or: sudo apt-get install chromium" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq chromium >/dev/null
fi

bash ../scripts/npm-ci.sh .

#!/usr/bin/env bash
# npm-ci.sh DIR...: installs the npm packages of each DIR's package-lock.json,
# skipping a directory whose node_modules already is the tree its lock file
# describes (npm ci starts from scratch every time). No install script runs
# and no browser is downloaded.
set -euo pipefail
for dir in "$@"; do
	if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.copy" 2>/dev/null; then
		(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
		cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.copy"
	fi
done

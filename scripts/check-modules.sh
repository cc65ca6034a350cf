#!/usr/bin/env bash
# check-modules.sh: the modules of this repository state one Go floor, the
# go line of go.work, and carry no replace directive (go.work holds the
# development-time replacements, so that users who go get a nested module
# get the released versions it requires).
set -euo pipefail
cd "$(dirname "$0")/.."
floor=$(sed -n 's/^go \([0-9.]*\)$/\1/p' go.work)
status=0
for mod in $(git ls-files '*go.mod'); do
	v=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$mod")
	if [ "$v" != "$floor" ]; then
		echo "$mod: go $v; go.work states the floor, go $floor" >&2
		status=1
	fi
	if grep -q '^replace' "$mod"; then
		echo "$mod: a replace directive; put it in go.work" >&2
		status=1
	fi
done
exit $status

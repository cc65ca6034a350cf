#!/usr/bin/env bash
# The cluster tests: the pubsub packages (unit tests, with the race
# detector; the Redis Streams broker against real redis-server processes:
# one server killed and restarted, a 3-master Redis Cluster, a master with
# a replica and a Sentinel that fails over), then the integration tests of
# examples/cluster: redis-server and three chat nodes behind nginx
# (examples/cluster/nginx.conf) and behind HAProxy (haproxy.cfg), on
# loopback ports, with Go SockJS clients over every transport (websocket,
# xhr-streaming, xhr-polling, eventsource, htmlfile, jsonp-polling); a
# node is killed and comes back, and Redis restarts, while they talk.
#
#   scripts/cluster-test.sh           the tests
#   scripts/cluster-test.sh -bench    the fan-out benchmark, 3 nodes vs 1
#
# Installs nginx-light, haproxy and redis-server from Debian when they are
# missing (as root, or with sudo). Ends with "N passed, M failed" and exits
# non-zero on failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# nginx and haproxy live in /usr/sbin, which is not on every user's PATH.
export PATH="$PATH:/usr/sbin:/sbin"
need=()
command -v nginx >/dev/null || need+=(nginx)
command -v haproxy >/dev/null || need+=(haproxy)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
	echo "cluster-test: installing ${need[*]} from the distribution"
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq || true
	pkgs=()
	for p in "${need[@]}"; do
		# Debian's smallest nginx is nginx-light; Ubuntu 24.04 has only nginx.
		if [ "$p" = nginx ] && apt-cache show nginx-light >/dev/null 2>&1; then p=nginx-light; fi
		pkgs+=("$p")
	done
	${sudo:+$sudo -E} apt-get install -y -qq "${pkgs[@]}" >/dev/null || {
		echo "cluster-test: could not install ${pkgs[*]}" >&2
		exit 1
	}
	# The distribution may start the services it installs; the tests start
	# their own on free loopback ports and use none of them.
fi

if [ "${1:-}" = "-bench" ]; then
	shift
	cd examples/cluster/clustertest &&
		CLUSTER_TEST_REQUIRE=1 go test -count=1 -v -run '^TestFanout$' -timeout 10m . -fanout "$@"
	exit
fi

passed=0
failed=0
failures=()
step() {
	local name=$1
	shift
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$name")
	fi
}

step "pubsub (unit, race)" go test -race -count=1 ./pubsub/...
step "pubsub/redis (vet)" bash -c 'cd pubsub/redis && go vet ./...'
step "pubsub/redis (race; redis-server, Redis Cluster, Sentinel)" bash -c 'cd pubsub/redis && SOCKJS_REQUIRE_REDIS=1 go test -race -count=1 -timeout 5m ./...'
step "examples/cluster (vet)" bash -c 'cd examples/cluster && go vet ./...'
step "cluster: 3 nodes behind nginx, then HAProxy" bash -c 'cd examples/cluster/clustertest && CLUSTER_TEST_REQUIRE=1 go test -race -count=1 -timeout 5m -v -run "^Test(Cluster|HAProxy)$" .'

echo
if [ $failed -gt 0 ]; then
	printf 'failed: %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

#!/usr/bin/env bash
# Starts the chat cluster for a person to try: redis-server, three chat
# nodes and nginx in front of them (nginx.conf), or HAProxy (haproxy.cfg),
# all on loopback ports, all in the foreground of this script. Open the
# printed address in two browser tabs; kill a node (its pid is printed) to
# watch its users move to the others, or reload a tab: no line is lost,
# none comes twice. Ctrl-C stops everything.
#
#   examples/cluster/start.sh                     nginx on 127.0.0.1:8100
#   PORT=9000 examples/cluster/start.sh
#   BALANCER=haproxy examples/cluster/start.sh    HAProxy, nodes with -cookie
#
# Environment: PORT (the balancer, default 8100), NODE_PORTS (default
# "8101 8102 8103"), REDIS_PORT (default 6390), SOCKJS_URL (default: the
# sockjs-client of e2e/node_modules if installed, else the public CDN).
# Redis keeps its data in an append-only file (appendfsync always), so that
# a restart loses nothing. Needs go, nginx (or haproxy) and redis-server
# (Debian: apt-get install nginx-light haproxy redis-server).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${PORT:-8100}
node_ports=${NODE_PORTS:-"8101 8102 8103"}
redis_port=${REDIS_PORT:-6390}
balancer=${BALANCER:-nginx}
export PATH="$PATH:/usr/sbin"

for cmd in go "$balancer" redis-server; do
	if ! command -v "$cmd" >/dev/null; then
		echo "start.sh: $cmd not found (Debian: apt-get install nginx-light haproxy redis-server)" >&2
		exit 1
	fi
done
node_args=()
[ "$balancer" = haproxy ] && node_args=(-cookie)

work=$(mktemp -d -t sockjs-cluster.XXXXXX)
pids=()
cleanup() {
	trap - EXIT INT TERM
	echo
	echo "stopping..."
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "building the node into $work"
(cd "$here" && go build -o "$work/node" .)

sockjs_args=()
if [ -n "${SOCKJS_URL:-}" ]; then
	sockjs_args=(-sockjs-url "$SOCKJS_URL")
elif [ -f "$root/e2e/node_modules/sockjs-client/dist/sockjs.min.js" ]; then
	sockjs_args=(-sockjs-file "$root/e2e/node_modules/sockjs-client/dist/sockjs.min.js")
fi

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
	--dir "$work" --loglevel warning >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
	sleep 0.1
done
echo "redis-server on 127.0.0.1:$redis_port (pid ${pids[-1]})"

upstreams=""
i=0
for p in $node_ports; do
	i=$((i + 1))
	"$work/node" -addr "127.0.0.1:$p" -node "n$i" -redis "127.0.0.1:$redis_port" "${sockjs_args[@]}" "${node_args[@]}" \
		>"$work/n$i.log" 2>&1 &
	pids+=($!)
	upstreams+="server 127.0.0.1:$p max_fails=1 fail_timeout=5s; "
	echo "node n$i on http://127.0.0.1:$p/ (pid ${pids[-1]}, log $work/n$i.log)"
done

if [ "$balancer" = haproxy ]; then
	set -- $node_ports
	SOCKJS_FRONT="127.0.0.1:$port" SOCKJS_NODE1="127.0.0.1:$1" SOCKJS_NODE2="127.0.0.1:$2" SOCKJS_NODE3="127.0.0.1:$3" \
		haproxy -db -f "$here/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
	pids+=($!)
	sleep 0.5
	echo "haproxy on 127.0.0.1:$port (pid ${pids[-1]}, log $work/haproxy.log)"
else
	mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
	sed -e "s|@LISTEN@|127.0.0.1:$port|" -e "s|@UPSTREAMS@|$upstreams|" "$here/nginx.conf" >"$work/nginx/nginx.conf"
	nginx -p "$work/nginx" -e "$work/nginx/logs/error.log" -c "$work/nginx/nginx.conf" \
		-g "daemon off; pid $work/nginx/nginx.pid;" &
	pids+=($!)
	sleep 0.5
	echo "nginx on 127.0.0.1:$port (pid ${pids[-1]}, errors in $work/nginx/logs/error.log)"
fi
echo
echo "  open http://127.0.0.1:$port/ in two browser tabs; Ctrl-C stops everything"
echo "  (kill a node's pid to see its users reconnect to the others)"
echo

# Run until Ctrl-C, reporting processes that exit (such as a node killed
# to try the failover). Without the balancer or Redis there is nothing to try.
names=(redis-server)
for p in $node_ports; do names+=("node on port $p"); done
names+=("$balancer")
alive=("${pids[@]}")
while :; do
	for i in "${!alive[@]}"; do
		if [ -n "${alive[$i]}" ] && ! kill -0 "${alive[$i]}" 2>/dev/null; then
			echo "$(date +%T) ${names[$i]} (pid ${alive[$i]}) exited"
			alive[$i]=""
		fi
	done
	if [ -z "${alive[0]}" ] || [ -z "${alive[-1]}" ]; then
		echo "redis-server or $balancer is gone; stopping"
		exit 1
	fi
	sleep 1
done

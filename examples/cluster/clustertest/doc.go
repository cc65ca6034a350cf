// Package clustertest holds the integration tests of the cluster deployment:
// redis-server, three nodes of examples/cluster behind nginx (the shipped
// nginx.conf) or HAProxy (the shipped haproxy.cfg), and SockJS clients
// written in Go that speak the wire protocol over websocket, xhr-streaming,
// xhr-polling, eventsource, htmlfile and jsonp-polling. It also holds the
// fan-out benchmark, three nodes against one.
//
// Run it with scripts/cluster-test.sh from the repository root, which
// installs nginx, haproxy and redis-server when they are missing, or here:
//
//	go test -v -count=1 .                       the integration tests
//	go test -v -count=1 -run Fanout . -fanout   the benchmark
//
// Without nginx, haproxy or redis-server the tests skip, unless
// CLUSTER_TEST_REQUIRE is set.
package clustertest

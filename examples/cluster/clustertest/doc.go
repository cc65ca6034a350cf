// Package clustertest holds the integration test of the cluster deployment:
// redis-server, three nodes of examples/cluster behind nginx (with the
// shipped nginx.conf), and SockJS clients written in Go that speak the wire
// protocol over websocket, xhr-streaming and xhr-polling. It also holds the
// fan-out benchmark, three nodes against one.
//
// Run it with scripts/cluster-test.sh from the repository root, which
// installs nginx and redis-server when they are missing, or here:
//
//	go test -v -count=1 .                    the integration test
//	go test -v -count=1 -run Fanout . -fanout   the benchmark
//
// Without nginx or redis-server the tests skip, unless CLUSTER_TEST_REQUIRE
// is set.
package clustertest

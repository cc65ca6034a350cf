package redis_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosockjs/sockjs/pubsub"
	"github.com/gosockjs/sockjs/pubsub/pubsubtest"
	"github.com/gosockjs/sockjs/pubsub/redis"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newClusterClient(t *testing.T, nodes []*server) *goredis.ClusterClient {
	var addrs []string
	for _, s := range nodes {
		addrs = append(addrs, s.addr())
	}
	c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs, DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// A Redis Cluster of 3 masters: the broker keeps its contract, its shards
// spread over the masters, and messages published while a master restarts
// reach every node once.
func TestRedisCluster(t *testing.T) {
	masters := startCluster(t, 3)
	rdb := newClusterClient(t, masters)
	i := 0
	pubsubtest.TestBroker(t, func(t *testing.T, maxLen int) pubsub.Broker {
		i++
		b := redis.New(rdb, redis.Options{Prefix: fmt.Sprintf("t%d:", i), MaxLen: int64(maxLen)})
		t.Cleanup(func() { b.Close() })
		return b
	})

	chs := channels(16)
	var nodes []*node
	for i := range 3 {
		n := newNode(t, fmt.Sprint("n", i), newClusterClient(t, masters), fast)
		n.subscribe(t, chs...)
		nodes = append(nodes, n)
	}
	tr := startTraffic(t, nodes, chs, 3*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	masters[1].kill() // well within the cluster's node timeout: the cluster stays up
	time.Sleep(300 * time.Millisecond)
	masters[1].start()
	time.Sleep(300 * time.Millisecond)
	checkDelivery(t, nodes, tr.end())

	// Every master holds some of the streams.
	for _, s := range masters {
		keys, err := newClient(t, s.addr()).Keys(context.Background(), redis.DefaultPrefix+"*c:room-*").Result()
		require.NoError(t, err)
		assert.NotEmpty(t, keys, "master %d has no stream", s.port)
	}
}

// startSentinel starts a master, a replica and a Sentinel monitoring them
// as "m", and returns them once the Sentinel knows the replica.
func startSentinel(t *testing.T) (master, replica, sentinel *server) {
	master = startServer(t)
	replica = startServer(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf(
		"sentinel monitor m 127.0.0.1 %d 1\nsentinel down-after-milliseconds m 1000\nsentinel failover-timeout m 5000\n",
		master.port)), 0o644))
	sentinel = &server{t: t, port: freePort(t), dir: t.TempDir()}
	sentinel.args = []string{conf, "--sentinel", "--port", strconv.Itoa(sentinel.port), "--bind", "127.0.0.1",
		"--dir", sentinel.dir, "--logfile", filepath.Join(sentinel.dir, "redis.log")}
	sentinel.start()
	t.Cleanup(func() { sentinel.kill() })
	eventually(t, "the Sentinel to know the replica", func() bool {
		return strings.Contains(cli(t, "-p", strconv.Itoa(sentinel.port), "sentinel", "replicas", "m"), strconv.Itoa(replica.port))
	})
	return master, replica, sentinel
}

// Through Sentinel: a failover from the master to its replica moves the
// readers and the publishers over, and nothing replicated is lost.
func TestSentinelFailover(t *testing.T) {
	master, replica, sentinel := startSentinel(t)
	client := func() goredis.UniversalClient {
		c := goredis.NewUniversalClient(&goredis.UniversalOptions{
			Addrs: []string{sentinel.addr()}, MasterName: "m", DialTimeout: time.Second,
		})
		t.Cleanup(func() { c.Close() })
		return c
	}
	var nodes []*node
	for i := range 2 {
		n := newNode(t, fmt.Sprint("n", i), client(), fast)
		n.subscribe(t, "room")
		nodes = append(nodes, n)
	}
	sent := map[string][]string{}
	say := func(from, to int) {
		for k := from; k < to; k++ {
			for _, n := range nodes {
				m := fmt.Sprintf("%s:%d", n.name, k)
				require.NoError(t, n.r.Publish("room", m))
				sent["room"] = append(sent["room"], m)
			}
		}
		for _, n := range nodes {
			n.recs["room"].WaitFor(t, len(sent["room"]))
		}
	}
	say(0, 20)
	// Let the replica catch up, so that the failover loses nothing.
	require.NoError(t, newClient(t, master.addr()).Do(context.Background(), "WAIT", 1, 5000).Err())
	eventually(t, "SENTINEL FAILOVER to be accepted", func() bool {
		return !strings.Contains(cli(t, "-p", strconv.Itoa(sentinel.port), "sentinel", "failover", "m"), "ERR")
	})
	eventually(t, "the failover", func() bool {
		return strings.Contains(cli(t, "-p", strconv.Itoa(sentinel.port), "sentinel", "get-master-addr-by-name", "m"), strconv.Itoa(replica.port))
	})
	say(20, 40)
	checkDelivery(t, nodes, sent)
	role := cli(t, "-p", strconv.Itoa(replica.port), "role")
	assert.True(t, strings.HasPrefix(role, "master"), "the replica is the master now: %s", role)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package clustertest

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var transports = []string{"websocket", "xhr_streaming", "xhr"}

// connect opens clients through nginx, cycling through the transports,
// until every node of c has at least min of them (and there are at least
// total), and returns them once they are all in room of the chat, or, with
// no room, connected to the broadcast service.
func connect(t *testing.T, c *cluster, room string, total, min int, onlyWS bool) []*client {
	base := c.url("/chat")
	if room == "" {
		base = c.url("/broadcast")
	}
	t.Helper()
	var clients []*client
	perNode := map[string]int{}
	for i := 0; ; i++ {
		tr := transports[i%len(transports)]
		if onlyWS {
			tr = "websocket"
		}
		cl := newClient(i, base, tr, room)
		clients = append(clients, cl)
		t.Cleanup(cl.close)
		eventually(t, 10*time.Second, fmt.Sprintf("client %d (%s) to join", i, tr), cl.ready)
		if room != "" {
			node, _, _, _ := cl.snapshot()
			perNode[node]++
		} else {
			// The broadcast service does not tell its node: ask the nodes.
			clear(perNode)
			for n := range c.nodePorts {
				st, err := c.stats(n)
				if err != nil {
					t.Fatal(err)
				}
				if st.Broadcast.Sessions > 0 {
					perNode[st.Node] = st.Broadcast.Sessions
				}
			}
		}
		enough := len(clients) >= total && len(perNode) == len(c.nodePorts)
		for _, n := range perNode {
			enough = enough && n >= min
		}
		if enough {
			return clients
		}
		if len(clients) >= 4*total {
			t.Fatalf("clients spread badly over the nodes: %v", perNode)
		}
	}
}

// sayAll makes every client say n messages, the clients in parallel, and
// returns the first k of every client's batch.
func sayAll(t *testing.T, clients []*client, n int, gap time.Duration) map[*client]int {
	t.Helper()
	first := map[*client]int{}
	for _, cl := range clients {
		cl.mu.Lock()
		first[cl] = cl.nextK
		cl.mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Go(func() {
			for range n {
				if err := cl.say(); err != nil {
					t.Errorf("client %d: say: %v", cl.idx, err)
					return
				}
				if gap > 0 {
					time.Sleep(gap)
				}
			}
		})
	}
	wg.Wait()
	return first
}

// expectAll waits until every receiver has messages [first, first+n) of
// every sender.
func expectAll(t *testing.T, what string, receivers, senders []*client, first map[*client]int, n int) {
	t.Helper()
	missing := func() string {
		for _, r := range receivers {
			for _, s := range senders {
				for k := first[s]; k < first[s]+n; k++ {
					if !r.has(s.idx, k) {
						return fmt.Sprintf("client %d misses %d:%d", r.idx, s.idx, k)
					}
				}
			}
		}
		return ""
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := missing()
		if m == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkOrder fails the test if any client got a message twice or out of
// order.
func checkOrder(t *testing.T, clients []*client) {
	t.Helper()
	for _, cl := range clients {
		if _, _, _, v := cl.snapshot(); len(v) > 0 {
			t.Errorf("client %d (%s): %d violations, first: %s", cl.idx, cl.transport, len(v), v[0])
		}
	}
}

// describe tells how many clients of each transport each node has.
func describe(clients []*client) string {
	m := map[string]map[string]int{}
	for _, cl := range clients {
		node, _, _, _ := cl.snapshot()
		if m[node] == nil {
			m[node] = map[string]int{}
		}
		m[node][cl.transport]++
	}
	var parts []string
	for node, trs := range m {
		var ts []string
		for tr, n := range trs {
			ts = append(ts, fmt.Sprintf("%d %s", n, tr))
		}
		sort.Strings(ts)
		parts = append(parts, fmt.Sprintf("%s: %s", node, strings.Join(ts, ", ")))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// TestCluster runs the chat on three nodes behind nginx and checks that
// every message reaches every client of the room once and in order per
// sender; that a killed node closes only its own sessions, which come back
// through nginx on the other nodes while the other clients lose nothing;
// and that a Redis restart is survived, with what it cost reported.
func TestCluster(t *testing.T) {
	c := startCluster(t, 3)
	clients := connect(t, c, "t", 15, 3, false)
	t.Logf("%d clients: %s", len(clients), describe(clients))
	const m = 20
	testBroadcast(t, c)

	t.Log("phase 1: every client says 10 messages")
	first := sayAll(t, clients, m, 0)
	expectAll(t, "phase 1", clients, clients, first, m)
	checkOrder(t, clients)
	if t.Failed() {
		return
	}

	// Kill the node with the most kinds of transport among its clients.
	kinds := map[string]map[string]bool{}
	count := map[string]int{}
	for _, cl := range clients {
		node, _, _, _ := cl.snapshot()
		if kinds[node] == nil {
			kinds[node] = map[string]bool{}
		}
		kinds[node][cl.transport] = true
		count[node]++
	}
	dead := ""
	for _, node := range []string{"n1", "n2", "n3"} {
		if dead == "" || len(kinds[node]) > len(kinds[dead]) || len(kinds[node]) == len(kinds[dead]) && count[node] > count[dead] {
			dead = node
		}
	}
	deadIdx := int(dead[1] - '1')
	var live []int
	for i := range c.nodePorts {
		if i != deadIdx {
			live = append(live, i)
		}
	}

	t.Logf("phase 2: node %s is killed while the others talk", dead)
	var victims, survivors []*client
	for _, cl := range clients {
		if node, _, _, _ := cl.snapshot(); node == dead {
			victims = append(victims, cl)
		} else {
			survivors = append(survivors, cl)
		}
	}
	var talk map[*client]int
	talked := make(chan struct{})
	go func() {
		defer close(talked)
		talk = sayAll(t, survivors, m, 30*time.Millisecond)
	}()
	time.Sleep(60 * time.Millisecond)
	c.killNode(deadIdx)
	<-talked
	expectAll(t, "survivors while "+dead+" died", survivors, survivors, talk, m)
	eventually(t, 20*time.Second, "the clients of "+dead+" to come back on other nodes", func() bool {
		for _, cl := range victims {
			node, sessions, _, _ := cl.snapshot()
			if !cl.ready() || node == dead || sessions < 2 {
				return false
			}
		}
		return true
	})
	for _, cl := range survivors {
		if _, sessions, _, _ := cl.snapshot(); sessions != 1 {
			cl.mu.Lock()
			t.Errorf("client %d on a live node lost its session: %v", cl.idx, cl.lostErrs)
			cl.mu.Unlock()
		}
	}
	for _, cl := range victims {
		cl.mu.Lock()
		t.Logf("client %d (%s) moved %v after: %s", cl.idx, cl.transport, cl.nodes, strings.Join(cl.lostErrs, "; "))
		cl.mu.Unlock()
	}
	t.Logf("after the kill: %s", describe(clients))
	first = sayAll(t, clients, m, 0)
	expectAll(t, "phase 2, after the kill", clients, clients, first, m)
	checkOrder(t, clients)
	if t.Failed() {
		return
	}

	t.Log("phase 3: Redis restarts")
	c.killRedis()
	eventually(t, 10*time.Second, "the nodes to notice", func() bool {
		for _, i := range live {
			if st, err := c.stats(i); err != nil || st.Relay.Connected {
				return false
			}
		}
		return true
	})
	const r = 5
	outage := sayAll(t, clients, r, 20*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	c.startRedis()
	eventually(t, 20*time.Second, "the nodes to resubscribe and publish their backlog", func() bool {
		for _, i := range live {
			st, err := c.stats(i)
			if err != nil || !st.Relay.Connected || st.Relay.Pending != 0 {
				return false
			}
		}
		return true
	})
	first = sayAll(t, clients, m, 0)
	expectAll(t, "phase 3, after the restart", clients, clients, first, m)
	checkOrder(t, clients)

	// Messages said during the outage: the clients of the sender's node
	// got them at once; the others got them when the sender's node
	// published its backlog, unless their node had not resubscribed yet.
	// Those are the ones its relay reported lost.
	byNode := map[string][]*client{}
	for _, cl := range clients {
		node, _, _, _ := cl.snapshot()
		byNode[node] = append(byNode[node], cl)
	}
	for _, i := range live {
		st, err := c.stats(i)
		if err != nil {
			t.Fatal(err)
		}
		missed := map[string]bool{} // sender:k missed by some client of the node
		for _, rc := range byNode[st.Node] {
			for _, s := range clients {
				sn, _, _, _ := s.snapshot()
				for k := outage[s]; k < outage[s]+r; k++ {
					if !rc.has(s.idx, k) {
						if sn == st.Node {
							t.Errorf("client %d missed %d:%d from its own node", rc.idx, s.idx, k)
						}
						missed[fmt.Sprintf("%d:%d", s.idx, k)] = true
					}
				}
			}
		}
		t.Logf("%s: outages %d, publish errors %d, messages lost and reported %d, missed by its clients %d, duplicates dropped %d",
			st.Node, st.Relay.Outages, st.Relay.PublishErrors, st.Relay.Lost, len(missed), st.Relay.Duplicates)
		if st.Relay.Outages < 1 {
			t.Errorf("%s did not report the outage", st.Node)
		}
		if uint64(len(missed)) > st.Relay.Lost {
			t.Errorf("%s: its clients missed %d messages but it reported %d lost", st.Node, len(missed), st.Relay.Lost)
		}
		if st.Relay.Dropped != 0 || st.Relay.Malformed != 0 {
			t.Errorf("%s: relay stats %+v", st.Node, st.Relay)
		}
	}
	total := 0
	for _, cl := range clients {
		_, _, d, _ := cl.snapshot()
		total += d
	}
	t.Logf("%d clients received %d chat messages in all", len(clients), total)
}

// testBroadcast checks the /broadcast service, whose relay targets the
// *sockjs.Handler itself: every message reaches every client once, in
// order per sender, across nodes and transports.
func testBroadcast(t *testing.T, c *cluster) {
	t.Helper()
	clients := connect(t, c, "", 9, 2, false)
	var per []string
	for n := range c.nodePorts {
		st, _ := c.stats(n)
		per = append(per, fmt.Sprintf("%s: %d", st.Node, st.Broadcast.Sessions))
	}
	t.Logf("/broadcast: %d clients (%s)", len(clients), strings.Join(per, ", "))
	first := sayAll(t, clients, 20, 0)
	expectAll(t, "/broadcast", clients, clients, first, 20)
	checkOrder(t, clients)
	for _, cl := range clients {
		cl.close()
	}
}

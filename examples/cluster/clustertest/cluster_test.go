package clustertest

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/gosockjs/sockjs/examples/chat/chat"
)

// room is the clients of a chat room (or of the /broadcast service, with
// name "") and the messages they said that their node took.
type room struct {
	t       *testing.T
	c       *cluster
	name    string
	cookies bool

	mu      sync.Mutex
	clients []*client
	since   map[*client]int // len(sent) when the client joined
	sent    []string
}

func newRoom(t *testing.T, c *cluster, name string, cookies bool) *room {
	return &room{t: t, c: c, name: name, cookies: cookies, since: map[*client]int{}}
}

// add opens clients through the balancer, cycling through the transports,
// until there are n more and every node has at least min clients, and
// returns them once they are all in the room.
func (r *room) add(n, min int, trs []string) []*client {
	r.t.Helper()
	base := r.c.url("/chat")
	if r.name == "" {
		base = r.c.url("/broadcast")
	}
	var added []*client
	perNode := map[string]int{}
	for i := 0; ; i++ {
		r.mu.Lock()
		idx := len(r.clients)
		r.mu.Unlock()
		tr := trs[i%len(trs)]
		cl := newClient(idx, base, tr, r.name, r.cookies)
		r.t.Cleanup(cl.close)
		eventually(r.t, 20*time.Second, fmt.Sprintf("client %d (%s) to join", idx, tr), cl.ready)
		r.mu.Lock()
		r.clients = append(r.clients, cl)
		r.since[cl] = len(r.sent)
		r.mu.Unlock()
		added = append(added, cl)
		if r.name != "" {
			node, _, _, _ := cl.snapshot()
			perNode[node]++
		} else { // the broadcast service does not tell its node: ask the nodes
			clear(perNode)
			for i := range r.c.nodePorts {
				if st, err := r.c.stats(i); err == nil && st.Broadcast > 0 {
					perNode[st.Node] = st.Broadcast
				}
			}
		}
		enough := len(added) >= n && (min == 0 || len(perNode) == len(r.c.nodePorts))
		for _, k := range perNode {
			enough = enough && k >= min
		}
		if enough {
			return added
		}
		if len(added) >= 4*n {
			r.t.Fatalf("clients spread badly over the nodes: %v", perNode)
		}
	}
}

// talk makes each speaker say n messages, the speakers in parallel, with
// a pause after each message, and records those their node took.
func (r *room) talk(speakers []*client, n int, pause time.Duration) {
	var wg sync.WaitGroup
	for _, cl := range speakers {
		wg.Go(func() {
			for range n {
				text, err := cl.say()
				if err == nil {
					r.mu.Lock()
					r.sent = append(r.sent, text)
					r.mu.Unlock()
				}
				time.Sleep(pause)
			}
		})
	}
	wg.Wait()
}

// check waits until every message said reached every client that was in
// the room then, each once, and fails the test if one did not, or if a
// client got a message twice, an event out of order, a gap or a loss
// notice. It counts what the clients received against what was said: no
// figure the nodes report about themselves. A message its sender never
// got back was refused by the chat (see client.refused): it must have
// reached no one, and its sender must have had as many refusals.
func (r *room) check(what string) {
	r.t.Helper()
	r.mu.Lock()
	clients := append([]*client(nil), r.clients...)
	sent := append([]string(nil), r.sent...)
	since := maps.Clone(r.since)
	r.mu.Unlock()
	byIdx := map[string]*client{}
	for _, cl := range clients {
		byIdx[strconv.Itoa(cl.idx)] = cl
	}
	sender := func(m string) *client { s, _, _ := strings.Cut(m, ":"); return byIdx[s] }
	// problem returns what is still wrong: a message some clients lack,
	// or more messages missing at their sender than it had refusals.
	problem := func() string {
		refusedBy := map[*client]int{}
		for i, m := range sent {
			s := sender(m)
			if !s.has(m) {
				refusedBy[s]++
				continue
			}
			for _, cl := range clients {
				if since[cl] <= i && !cl.has(m) {
					return fmt.Sprintf("client %d (%s, on %v) misses %s", cl.idx, cl.transport, cl.nodes, m)
				}
			}
		}
		for s, n := range refusedBy {
			s.mu.Lock()
			refused := s.refused
			s.mu.Unlock()
			if n > refused {
				return fmt.Sprintf("%d messages of client %d (%s) reached no one, and it had %d refusals", n, s.idx, s.transport, refused)
			}
		}
		return ""
	}
	deadline := time.Now().Add(30 * time.Second)
	for p := problem(); p != ""; p = problem() {
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: %s", what, p)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // for duplicates still on their way
	refused := 0
	for i, m := range sent {
		if !sender(m).has(m) {
			refused++
			for _, cl := range clients {
				if since[cl] <= i && cl.has(m) {
					r.t.Errorf("%s: %s, refused, reached client %d", what, m, cl.idx)
				}
			}
		}
	}
	for _, cl := range clients {
		if _, _, _, v := cl.snapshot(); len(v) > 0 {
			r.t.Errorf("%s: client %d (%s): %d violations, first: %s", what, cl.idx, cl.transport, len(v), v[0])
		}
	}
	if r.t.Failed() {
		r.t.FailNow()
	}
	r.t.Logf("%s: %d messages said (%d refused by the chat), every client got each once", what, len(sent), refused)
}

// on returns the clients of r on node, and the others.
func (r *room) on(node string) (on, others []*client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, cl := range r.clients {
		if n, _, _, _ := cl.snapshot(); n == node {
			on = append(on, cl)
		} else {
			others = append(others, cl)
		}
	}
	return on, others
}

// everyone returns the clients of r.
func (r *room) everyone() []*client {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*client(nil), r.clients...)
}

// settled waits until every client of r is in the room, on a node other
// than avoid.
func (r *room) settled(what, avoid string) {
	r.t.Helper()
	eventually(r.t, 30*time.Second, what, func() bool {
		for _, cl := range r.everyone() {
			if node, _, _, _ := cl.snapshot(); !cl.ready() || node == avoid {
				return false
			}
		}
		return true
	})
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

// rawNode opens a raw websocket session of the chat (/chat/websocket)
// through the balancer and returns the node that welcomes it.
func (c *cluster) rawNode() (string, error) {
	ws, _, err := websocket.DefaultDialer.Dial(fmt.Sprintf("ws://127.0.0.1:%d/chat/websocket", c.frontPort), nil)
	if err != nil {
		return "", err
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ev chat.Event
	if _, b, err := ws.ReadMessage(); err != nil || json.Unmarshal(b, &ev) != nil || ev.Type != "welcome" {
		return "", fmt.Errorf("no welcome: %v", err)
	}
	return ev.Node, nil
}

// rawNodes opens n raw websocket sessions and counts them by node.
func (c *cluster) rawNodes(t *testing.T, n int) map[string]int {
	t.Helper()
	nodes := map[string]int{}
	for range n {
		node, err := c.rawNode()
		if err != nil {
			t.Fatal(err)
		}
		nodes[node]++
	}
	return nodes
}

// TestCluster runs the chat on three nodes behind nginx, with clients over
// every transport, and checks that every client gets every message once,
// through a node's death and return and a Redis restart. Clients that lose
// their session join again after the last offset they saw, as the page
// does, and get what they missed from the room's history.
func TestCluster(t *testing.T) {
	c := startCluster(t, 3, "nginx")

	// Raw websocket clients carry no session id: nginx spreads them.
	raw := c.rawNodes(t, 12)
	t.Logf("12 raw websocket clients: %v", raw)
	if len(raw) < 2 {
		t.Errorf("raw websocket clients all on one node: %v", raw)
	}

	testBroadcast(t, c)

	r := newRoom(t, c, "t", false)
	r.add(18, 3, transports)
	t.Logf("%d clients: %s", len(r.everyone()), describe(r.everyone()))
	r.talk(r.everyone(), 20, 0)
	r.check("phase 1")

	// Kill the node with the most kinds of transport among its clients.
	kinds := map[string]map[string]bool{}
	for _, cl := range r.everyone() {
		node, _, _, _ := cl.snapshot()
		if kinds[node] == nil {
			kinds[node] = map[string]bool{}
		}
		kinds[node][cl.transport] = true
	}
	dead := "n1"
	for _, node := range []string{"n2", "n3"} {
		if len(kinds[node]) > len(kinds[dead]) {
			dead = node
		}
	}
	deadIdx := int(dead[1] - '1')
	victims, survivors := r.on(dead)

	t.Logf("phase 2: %s is killed while the others talk", dead)
	talked := make(chan struct{})
	go func() {
		defer close(talked)
		r.talk(survivors, 20, 20*time.Millisecond)
	}()
	time.Sleep(60 * time.Millisecond)
	c.killNode(deadIdx)
	<-talked
	r.settled("the clients of "+dead+" to come back on other nodes", dead)
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
	r.check("phase 2, the victims got what was said while they moved")
	// Sessions opened while the node is down: a third of them hash to it,
	// and nginx sends them to the next node on the ring.
	r.add(12, 0, transports[1:])
	r.talk(r.everyone(), 10, 0)
	r.check("phase 2, after the kill")
	before := map[*client]int{}
	for _, cl := range r.everyone() {
		_, before[cl], _, _ = cl.snapshot()
	}

	t.Logf("phase 3: %s comes back while everyone talks", dead)
	stop := make(chan struct{})
	talking := make(chan struct{})
	go func() {
		defer close(talking)
		for {
			select {
			case <-stop:
				return
			default:
			}
			r.talk(r.everyone(), 1, 50*time.Millisecond)
		}
	}()
	c.startNode(deadIdx)
	eventually(t, 20*time.Second, "nginx to use "+dead+" again", func() bool {
		node, err := c.rawNode()
		return err == nil && node == dead
	})
	time.Sleep(time.Second) // sessions that hash to it meet it again
	close(stop)
	<-talking
	r.settled("the clients to be back in the room", "")
	broke := 0
	for _, cl := range r.everyone() {
		if _, s, _, _ := cl.snapshot(); s > before[cl] {
			broke++
		}
	}
	t.Logf("after the return: %s; %d sessions broke and their clients resumed", describe(r.everyone()), broke)
	r.check("phase 3, " + dead + " is back")
	newcomers := r.add(6, 0, transports)
	t.Logf("newcomers: %s", describe(newcomers))

	t.Log("phase 4: Redis restarts while everyone talks")
	c.killRedis()
	for i := range c.nodePorts {
		if code := c.status(i, "/healthz"); code != 200 {
			t.Errorf("node %d: /healthz %d while Redis is down", i+1, code)
		}
		if code := c.status(i, "/readyz"); code != 200 {
			t.Errorf("node %d: /readyz %d while Redis is down", i+1, code)
		}
	}
	down := c.rawNodes(t, 6)
	t.Logf("new sessions through nginx while Redis is down: %v", down)
	r.talk(r.everyone(), 5, 20*time.Millisecond)
	time.Sleep(2 * time.Second) // longer than go-redis retries by itself: the relays hold their backlog
	c.startRedis()
	r.talk(r.everyone(), 5, 0)
	r.check("phase 4, after the restart")

	total := 0
	for _, cl := range r.everyone() {
		_, _, d, _ := cl.snapshot()
		total += d
	}
	t.Logf("%d clients received %d chat messages in all", len(r.everyone()), total)
}

// testBroadcast checks the /broadcast service, whose relay subscription
// hands every message to the *sockjs.Handler itself: every message reaches
// every client once, across nodes and transports.
func testBroadcast(t *testing.T, c *cluster) {
	t.Helper()
	r := newRoom(t, c, "", false)
	r.add(12, 2, transports)
	r.talk(r.everyone(), 20, 0)
	r.check("/broadcast")
	for _, cl := range r.everyone() {
		cl.close()
	}
}

// TestHAProxy runs three nodes with cookie affinity behind HAProxy and the
// shipped haproxy.cfg: sessions opened while their node is down move to
// another node and stay there when it returns, and a Redis outage takes no
// node out of HAProxy.
func TestHAProxy(t *testing.T) {
	c := startCluster(t, 3, "haproxy", "-cookie")
	raw := c.rawNodes(t, 6)
	t.Logf("6 raw websocket clients: %v", raw)
	if len(raw) != 3 {
		t.Errorf("raw websocket clients not spread: %v", raw)
	}
	r := newRoom(t, c, "h", true)
	r.add(12, 2, transports)
	t.Logf("%d clients: %s", len(r.everyone()), describe(r.everyone()))
	r.talk(r.everyone(), 10, 0)
	r.check("phase 1")

	t.Log("phase 2: n1 dies, its clients open sessions elsewhere, n1 comes back")
	movers, _ := r.on("n1")
	c.killNode(0)
	r.settled("n1's clients to move", "n1")
	sessions := map[*client]int{}
	for _, cl := range r.everyone() {
		_, sessions[cl], _, _ = cl.snapshot()
	}
	c.startNode(0)
	eventually(t, 20*time.Second, "HAProxy to use n1 again", func() bool {
		node, err := c.rawNode()
		return err == nil && node == "n1"
	})
	r.talk(r.everyone(), 10, 10*time.Millisecond)
	r.check("phase 2, n1 is back")
	for _, cl := range r.everyone() {
		node, s, _, _ := cl.snapshot()
		if s != sessions[cl] || node == "n1" {
			cl.mu.Lock()
			t.Errorf("client %d (%s) on %v: its session broke when n1 came back: %v", cl.idx, cl.transport, cl.nodes, cl.lostErrs)
			cl.mu.Unlock()
		}
	}
	t.Logf("%d clients moved off n1 and stayed: %s", len(movers), describe(movers))

	t.Log("phase 3: Redis is down longer than HAProxy takes to fail a check")
	c.killRedis()
	time.Sleep(3 * time.Second) // fall 2 × inter 1s in haproxy.cfg, and some
	if got := c.rawNodes(t, 6); len(got) != 3 {
		t.Errorf("HAProxy took nodes out while Redis is down: new sessions went to %v", got)
	}
	r.talk(r.everyone(), 5, 10*time.Millisecond)
	c.startRedis()
	r.check("phase 3, after Redis came back")
}

package clustertest

import (
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	fanout         = flag.Bool("fanout", false, "run the fan-out benchmark (TestFanout)")
	fanoutClients  = flag.Int("fanout-clients", 60, "clients in the room, for -fanout")
	fanoutSenders  = flag.Int("fanout-senders", 6, "clients that send, for -fanout")
	fanoutWindow   = flag.Int("fanout-window", 32, "messages each sender may have in flight, for -fanout")
	fanoutDuration = flag.Duration("fanout-duration", 5*time.Second, "measuring time per cluster size, for -fanout")
	fanoutService  = flag.String("fanout-service", "broadcast", "service to measure, broadcast or chat, for -fanout")
)

// TestFanout measures fan-out deliveries per second (messages received,
// summed over all clients) of the /broadcast service (or, with
// -fanout-service chat, of a chat room), with the clients spread over
// three nodes behind nginx, and with one node behind nginx, and reports the
// ratio. On one machine the nodes, nginx, Redis and the clients share the
// same cores, so the ratio shows the cost of the Redis hop more than the
// gain of spreading the sessions; on separate machines the nodes' work
// (framing and writing to each session) divides by the number of nodes.
// Senders keep a bounded number of messages in flight (sent but not
// yet received back by themselves), so that the measure is the rate the
// cluster sustains, not the rate queues grow. Run it with -fanout.
func TestFanout(t *testing.T) {
	if !*fanout {
		t.Skip("run with -fanout")
	}
	one := measureFanout(t, 1)
	three := measureFanout(t, 3)
	ratio := three / one
	fmt.Printf("fan-out (/%s): 1 node %.0f deliveries/s, 3 nodes %.0f deliveries/s, ratio 3/1 = %.2f (%d clients, %d senders, %v each)\n",
		*fanoutService, one, three, ratio, *fanoutClients, *fanoutSenders, *fanoutDuration)
}

func measureFanout(t *testing.T, nodes int) float64 {
	c := startCluster(t, nodes)
	min := *fanoutClients / nodes / 3
	room := "bench"
	if *fanoutService == "broadcast" {
		room = ""
	}
	clients := connect(t, c, room, *fanoutClients, min, true)
	t.Logf("%d nodes, %d clients: %s", nodes, len(clients), describe(clients))
	senders := clients[:*fanoutSenders]

	delivered := func() int {
		n := 0
		for _, cl := range clients {
			_, _, d, _ := cl.snapshot()
			n += d
		}
		return n
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Go(func() {
			for !stop.Load() {
				s.mu.Lock()
				inFlight := s.nextK - 1 - s.lastK[s.idx]
				if _, ok := s.lastK[s.idx]; !ok {
					inFlight = s.nextK
				}
				s.mu.Unlock()
				if inFlight >= *fanoutWindow {
					time.Sleep(200 * time.Microsecond)
					continue
				}
				if err := s.say(); err != nil {
					t.Errorf("client %d: %v", s.idx, err)
					return
				}
			}
		})
	}
	time.Sleep(time.Second) // warm up
	start, d0 := time.Now(), delivered()
	time.Sleep(*fanoutDuration)
	rate := float64(delivered()-d0) / time.Since(start).Seconds()
	stop.Store(true)
	wg.Wait()
	checkOrder(t, clients)
	t.Logf("%d node(s): %.0f deliveries/s", nodes, rate)
	for _, cl := range clients {
		cl.close()
	}
	c.stop()
	return rate
}

package clustertest

import (
	"flag"
	"fmt"
	"slices"
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
	fanoutProbes   = flag.Int("fanout-probes", 30, "messages timed to their last delivery, for -fanout")
	fanoutService  = flag.String("fanout-service", "broadcast", "service to measure, broadcast or chat, for -fanout")
)

// fanoutResult is what one cluster size measured.
type fanoutResult struct {
	rate      float64       // deliveries per second
	last, p90 time.Duration // time from a send to its last delivery: median, 90th percentile
}

// TestFanout measures, with the clients spread over three nodes behind
// nginx and then with one node: the fan-out throughput (messages received,
// summed over all clients, per second, while senders keep a bounded
// number of messages in flight), and the time from a message's send to its
// delivery to the last client of the room, one message at a time. It
// reports both and their ratios, 3 nodes over 1, measured in one run. On
// one machine the nodes, nginx, Redis and the clients share the same
// cores, so the ratio shows the cost of the Redis hop more than the gain
// of spreading the sessions; on separate machines the nodes' work (framing
// and writing to each session) divides by the number of nodes. Run it with
// -fanout (scripts/cluster-test.sh -bench).
func TestFanout(t *testing.T) {
	if !*fanout {
		t.Skip("run with -fanout")
	}
	one := measureFanout(t, 1)
	three := measureFanout(t, 3)
	fmt.Printf("fan-out (/%s, %d websocket clients, %d senders, %v each, %d probes):\n", *fanoutService, *fanoutClients, *fanoutSenders, *fanoutDuration, *fanoutProbes)
	fmt.Printf("  1 node:  %8.0f deliveries/s, time to last delivery %v (p90 %v)\n", one.rate, one.last, one.p90)
	fmt.Printf("  3 nodes: %8.0f deliveries/s, time to last delivery %v (p90 %v)\n", three.rate, three.last, three.p90)
	fmt.Printf("  ratio 3/1: throughput %.2f, time to last delivery %.2f\n", three.rate/one.rate, float64(three.last)/float64(one.last))
}

func measureFanout(t *testing.T, nodes int) fanoutResult {
	c := startCluster(t, nodes, "nginx")
	name := "bench"
	if *fanoutService == "broadcast" {
		name = ""
	}
	r := newRoom(t, c, name, false)
	clients := r.add(*fanoutClients, *fanoutClients/nodes/3, []string{"websocket"})
	t.Logf("%d node(s), %d clients: %s", nodes, len(clients), describe(clients))
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
				inFlight := s.nextK - s.own
				s.mu.Unlock()
				if inFlight >= *fanoutWindow {
					time.Sleep(200 * time.Microsecond)
					continue
				}
				if _, err := s.say(); err != nil {
					t.Errorf("client %d: %v", s.idx, err)
					return
				}
			}
		})
	}
	time.Sleep(time.Second) // warm up
	start, d0 := time.Now(), delivered()
	time.Sleep(*fanoutDuration)
	res := fanoutResult{rate: float64(delivered()-d0) / time.Since(start).Seconds()}
	stop.Store(true)
	wg.Wait()

	// Time to the last delivery, one probe at a time in a quiet room.
	eventually(t, 30*time.Second, "the senders' messages to arrive", func() bool {
		for _, s := range senders {
			s.mu.Lock()
			done := s.own == s.nextK
			s.mu.Unlock()
			if !done {
				return false
			}
		}
		return true
	})
	var lasts []time.Duration
	for i := range *fanoutProbes {
		text := fmt.Sprintf("p:%d", i)
		sent := time.Now()
		if err := senders[i%len(senders)].sayText(text); err != nil {
			t.Fatal(err)
		}
		var last time.Time
		eventually(t, 10*time.Second, "probe "+text, func() bool {
			last = time.Time{}
			for _, cl := range clients {
				cl.mu.Lock()
				at, ok := cl.probes[text]
				cl.mu.Unlock()
				if !ok {
					return false
				}
				if at.After(last) {
					last = at
				}
			}
			return true
		})
		lasts = append(lasts, last.Sub(sent))
	}
	slices.Sort(lasts)
	res.last, res.p90 = lasts[len(lasts)/2].Round(10*time.Microsecond), lasts[len(lasts)*9/10].Round(10*time.Microsecond)

	for _, cl := range clients {
		if _, _, _, v := cl.snapshot(); len(v) > 0 {
			t.Errorf("client %d: %s", cl.idx, v[0])
		}
	}
	t.Logf("%d node(s): %.0f deliveries/s, time to last delivery %v (p90 %v)", nodes, res.rate, res.last, res.p90)
	for _, cl := range clients {
		cl.close()
	}
	c.stop()
	return res
}

package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

var epoch = time.Now()

func nowNs() int64 { return int64(time.Since(epoch)) }

// gen runs the scenarios of one configuration.
type gen struct {
	cfg *config
	op  *opener
}

// errTally counts errors and keeps the first one.
type errTally struct {
	n     atomic.Int64
	mu    sync.Mutex
	first error
}

func (t *errTally) add(err error) {
	if t.n.Add(1) == 1 {
		t.mu.Lock()
		t.first = err
		t.mu.Unlock()
	}
}

func (t *errTally) firstErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.first
}

// openAll opens n sessions, cfg.Conc at a time. It fails when more than 1%
// (or, below 100 sessions, any) of them fail. The sessions it returns are
// in order, with nil for those that failed.
func (g *gen) openAll(n int, open func(i int) (*session, error)) ([]*session, error) {
	sess := make([]*session, n)
	var tally errTally
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range min(g.cfg.Conc, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				s, err := open(i)
				if err != nil {
					tally.add(err)
					continue
				}
				sess[i] = s
			}
		})
	}
	wg.Wait()
	failed := tally.n.Load()
	if failed > 0 && (n < 100 || failed*100 > int64(n)) {
		g.closeAll(sess)
		return nil, fmt.Errorf("%d of %d sessions failed to open; first: %v", failed, n, tally.firstErr())
	}
	if g.cfg.Deflate {
		if got := g.op.wire.deflate.Load(); got != int64(n-int(failed)) {
			g.closeAll(sess)
			return nil, fmt.Errorf("-deflate: the server accepted permessage-deflate on %d of %d sessions", got, n-int(failed))
		}
	}
	return sess, nil
}

// closeAll closes the sessions, cfg.Conc at a time: a websocket's Close
// waits for the server's close frame.
func (g *gen) closeAll(sess []*session) {
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range min(g.cfg.Conc, len(sess)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(sess) {
					return
				}
				if sess[i] != nil {
					sess[i].Close()
				}
			}
		})
	}
	wg.Wait()
}

// dead counts the sessions that have ended, and returns the first reason.
func dead(sess []*session) (int, error) {
	n := 0
	var first error
	for _, s := range sess {
		if s == nil {
			continue
		}
		if err := s.Err(); err != nil {
			n++
			if first == nil {
				first = err
			}
		}
	}
	return n, first
}

func opened(sess []*session) int {
	n := 0
	for _, s := range sess {
		if s != nil {
			n++
		}
	}
	return n
}

func percentile(sorted []int64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / 1e6
}

// wireMark is the byte counts of a wire at one moment.
type wireMark struct{ in, out int64 }

func (w *wire) mark() wireMark { return wireMark{w.in.Load(), w.out.Load()} }

// recordPerMsg adds the figures per message of a measurement window that
// carried count messages: server and load generator CPU, and bytes on the
// wire in each direction (out: client to server).
func recordPerMsg(res *result, cw *cpuWindow, w0, w1 wireMark, count int64, unit string) {
	if count == 0 {
		return
	}
	n := float64(count)
	res.Metrics["cpu_us_per_"+unit] = float64(cw.cpu.Microseconds()) / n
	res.Metrics["load_cpu_us_per_"+unit] = float64(cw.self.Microseconds()) / n
	res.Metrics["wire_out_bytes_per_"+unit] = float64(w1.out-w0.out) / n
	res.Metrics["wire_in_bytes_per_"+unit] = float64(w1.in-w0.in) / n
}

// ---------------------------------------------------------------- echo

// echo: every session keeps cfg.Inflight messages outstanding on cfg.Path
// and sends the next one when a reply arrives. Counts replies and their
// latencies inside the measurement window.
func (g *gen) echo(res *result) error {
	cfg := g.cfg
	pl, err := newPayloads(cfg.PayloadKind, cfg.PayloadSize)
	if err != nil {
		return err
	}
	var phase atomic.Int32
	var replies atomic.Int64
	var tally errTally
	stop := make(chan struct{})
	n := cfg.Sessions
	lats := make([][]int64, n)
	tokens := make([]chan struct{}, n)
	sess, err := g.openAll(n, func(i int) (*session, error) {
		tokens[i] = make(chan struct{}, cfg.Inflight)
		return g.op.open(cfg.Path, func(msg string) {
			t, ok := sentAt(msg)
			if !ok {
				tally.add(fmt.Errorf("unexpected echo payload %.80q", msg))
				return
			}
			if phase.Load() == phaseMeasure {
				lats[i] = append(lats[i], nowNs()-t)
				replies.Add(1)
			}
			select {
			case tokens[i] <- struct{}{}:
			default:
				tally.add(errors.New("more replies than messages sent"))
			}
		})
	})
	if err != nil {
		return err
	}
	defer g.closeAll(sess)
	var wg sync.WaitGroup
	for i, s := range sess {
		if s == nil {
			continue
		}
		tok := tokens[i]
		for range cfg.Inflight {
			tok <- struct{}{}
		}
		wg.Go(func() {
			for seq := i; ; seq += n {
				select {
				case <-stop:
					return
				case <-tok:
				}
				if err := s.Send(pl.make(nowNs(), seq)); err != nil {
					if phase.Load() != phaseStop {
						tally.add(err)
					}
					return
				}
			}
		})
	}
	time.Sleep(cfg.Warmup)
	cw := &cpuWindow{pid: cfg.PID}
	w0 := g.op.wire.mark()
	cw.start()
	phase.Store(phaseMeasure)
	time.Sleep(cfg.Duration)
	phase.Store(phaseStop)
	cw.stop()
	w1 := g.op.wire.mark()
	died, why := dead(sess)
	close(stop)
	g.closeAll(sess)
	wg.Wait()

	var all []int64
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	count := replies.Load()
	res.Errors = tally.n.Load() + int64(died)
	res.Metrics["sessions"] = float64(opened(sess))
	res.Metrics["msgs_per_s"] = float64(count) / cw.wall.Seconds()
	res.Metrics["p50_ms"] = percentile(all, 50)
	res.Metrics["p99_ms"] = percentile(all, 99)
	res.Metrics["payload_bytes"] = float64(len(pl.make(nowNs(), 0)))
	if cfg.Deflate {
		res.Metrics["deflate_sessions"] = float64(g.op.wire.deflate.Load())
	}
	cw.record(res)
	recordPerMsg(res, cw, w0, w1, count, "msg")
	if cw.failed != nil {
		return cw.failed
	}
	if why != nil {
		tally.add(fmt.Errorf("%d sessions ended during the run; first: %w", died, why))
	}
	if count == 0 {
		if e := tally.firstErr(); e != nil {
			return fmt.Errorf("no echo replies; first error: %v", e)
		}
		return errors.New("no echo replies in the measurement window")
	}
	if e := tally.firstErr(); e != nil {
		res.Notes = append(res.Notes, "first error: "+e.Error())
	}
	return nil
}

// pollEcho: every session loops send then waits for the echo, which comes
// back on the poll the client keeps outstanding; one round trip = one
// xhr_send + the poll that returns it.
func (g *gen) pollEcho(res *result) error {
	cfg := g.cfg
	pl, err := newPayloads(cfg.PayloadKind, cfg.PayloadSize)
	if err != nil {
		return err
	}
	var phase atomic.Int32
	var rts atomic.Int64
	var tally errTally
	stop := make(chan struct{})
	n := cfg.Sessions
	lats := make([][]int64, n)
	got := make([]chan string, n)
	sess, err := g.openAll(n, func(i int) (*session, error) {
		got[i] = make(chan string, 4)
		return g.op.open(cfg.Path, func(m string) {
			select {
			case got[i] <- m:
			default:
				tally.add(errors.New("more replies than messages sent"))
			}
		})
	})
	if err != nil {
		return err
	}
	defer g.closeAll(sess)
	var wg sync.WaitGroup
	for i, s := range sess {
		if s == nil {
			continue
		}
		wg.Go(func() {
			for seq := i; phase.Load() != phaseStop; seq += n {
				t0 := nowNs()
				msg := pl.make(t0, seq)
				if err := s.Send(msg); err != nil {
					if phase.Load() != phaseStop {
						tally.add(err)
					}
					return
				}
				var m string
				select {
				case <-stop:
					return
				case m = <-got[i]:
				}
				if m != msg {
					tally.add(fmt.Errorf("echo %.80q, want %.80q", m, msg))
					return
				}
				if phase.Load() == phaseMeasure {
					lats[i] = append(lats[i], nowNs()-t0)
					rts.Add(1)
				}
			}
		})
	}
	time.Sleep(cfg.Warmup)
	cw := &cpuWindow{pid: cfg.PID}
	w0 := g.op.wire.mark()
	cw.start()
	phase.Store(phaseMeasure)
	time.Sleep(cfg.Duration)
	phase.Store(phaseStop)
	cw.stop()
	w1 := g.op.wire.mark()
	died, why := dead(sess)
	close(stop)
	g.closeAll(sess) // aborts the requests in flight
	wg.Wait()

	var all []int64
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	count := rts.Load()
	res.Errors = tally.n.Load() + int64(died)
	res.Metrics["sessions"] = float64(opened(sess))
	res.Metrics["rt_per_s"] = float64(count) / cw.wall.Seconds()
	res.Metrics["p50_ms"] = percentile(all, 50)
	res.Metrics["p99_ms"] = percentile(all, 99)
	cw.record(res)
	recordPerMsg(res, cw, w0, w1, count, "rt")
	if cw.failed != nil {
		return cw.failed
	}
	if why != nil {
		tally.add(fmt.Errorf("%d sessions ended during the run; first: %w", died, why))
	}
	if count == 0 {
		if e := tally.firstErr(); e != nil {
			return fmt.Errorf("no polling round trips; first error: %v", e)
		}
		return errors.New("no polling round trips in the measurement window")
	}
	if e := tally.firstErr(); e != nil {
		res.Notes = append(res.Notes, "first error: "+e.Error())
	}
	return nil
}

// ---------------------------------------------------------------- broadcast

const maxSeq = 1 << 20

func (g *gen) trigger(c *http.Client, seq int) error {
	body := strconv.Itoa(seq) + "-"
	if n := g.cfg.PayloadSize - len(body); n > 0 {
		body += strings.Repeat("x", n)
	}
	resp, err := c.Post(g.cfg.URL+"/trigger", "text/plain", strings.NewReader(body))
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST /trigger: HTTP %d", resp.StatusCode)
	}
	return nil
}

// broadcast: cfg.Sessions subscribers on /broadcast. Phase 1 times
// cfg.Rounds isolated triggers from POST to the last delivery; phase 2
// keeps cfg.Window triggers outstanding for cfg.Duration and counts
// deliveries.
func (g *gen) broadcast(res *result) error {
	cfg := g.cfg
	counts := make([]atomic.Int32, maxSeq)
	doneAt := make([]atomic.Int64, maxSeq)
	doneCh := make(chan struct{}, 1)
	var stray atomic.Int64
	var want atomic.Int32
	sess, err := g.openAll(cfg.Sessions, func(int) (*session, error) {
		return g.op.open("/broadcast", func(msg string) {
			i := strings.IndexByte(msg, '-')
			if i < 0 {
				i = len(msg)
			}
			seq, err := strconv.Atoi(msg[:i])
			if err != nil || seq < 0 || seq >= maxSeq || len(msg) < cfg.PayloadSize {
				stray.Add(1)
				return
			}
			if counts[seq].Add(1) == want.Load() {
				doneAt[seq].Store(nowNs())
				select {
				case doneCh <- struct{}{}:
				default:
				}
			}
		})
	})
	if err != nil {
		return err
	}
	defer g.closeAll(sess)
	want.Store(int32(opened(sess)))
	waitDone := func(seq int, d time.Duration) error {
		deadline := time.NewTimer(d)
		defer deadline.Stop()
		for doneAt[seq].Load() == 0 {
			select {
			case <-doneCh:
			case <-deadline.C:
				died, why := dead(sess)
				return fmt.Errorf("broadcast %d reached %d of %d sessions within %v (%d sessions ended; first: %v)",
					seq, counts[seq].Load(), want.Load(), d, died, why)
			case <-time.After(5 * time.Millisecond):
			}
		}
		return nil
	}
	tc := &http.Client{Timeout: 15 * time.Second}
	// Phase 1: isolated triggers.
	var ttl []int64
	seq := 1
	for range cfg.Rounds {
		t0 := nowNs()
		if err := g.trigger(tc, seq); err != nil {
			return err
		}
		if err := waitDone(seq, 15*time.Second); err != nil {
			return err
		}
		ttl = append(ttl, doneAt[seq].Load()-t0)
		seq++
		time.Sleep(20 * time.Millisecond)
	}
	slices.Sort(ttl)
	// Phase 2: throughput with a window of outstanding triggers.
	first := seq
	cw := &cpuWindow{pid: cfg.PID}
	start := nowNs()
	w0 := g.op.wire.mark()
	cw.start()
	end := time.Now().Add(cfg.Duration)
	for time.Now().Before(end) && seq < maxSeq {
		if seq-cfg.Window >= first {
			if err := waitDone(seq-cfg.Window, 15*time.Second); err != nil {
				return err
			}
		}
		if err := g.trigger(tc, seq); err != nil {
			return err
		}
		seq++
	}
	for s := max(first, seq-cfg.Window); s < seq; s++ {
		if err := waitDone(s, 15*time.Second); err != nil {
			return err
		}
	}
	cw.stop()
	w1 := g.op.wire.mark()
	died, why := dead(sess)
	var last int64
	for s := first; s < seq; s++ {
		last = max(last, doneAt[s].Load())
	}
	deliveries := int64(seq-first) * int64(want.Load())
	res.Errors = int64(died) + stray.Load()
	res.Metrics["sessions"] = float64(want.Load())
	res.Metrics["broadcasts"] = float64(seq - first)
	res.Metrics["deliveries_per_s"] = float64(deliveries) / (float64(last-start) / 1e9)
	res.Metrics["ttl_p50_ms"] = percentile(ttl, 50)
	res.Metrics["ttl_max_ms"] = percentile(ttl, 100)
	recordPerMsg(res, cw, w0, w1, deliveries, "delivery")
	cw.record(res)
	if cfg.Transport == "xhr-streaming" {
		res.Metrics["xhr_streaming_requests"] = float64(g.op.wire.streams.Load())
	}
	if stray.Load() > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d unexpected messages", stray.Load()))
	}
	if why != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("%d sessions ended during the run; first: %v", died, why))
	}
	return cw.failed
}

// ---------------------------------------------------------------- idle

// idle opens cfg.Sessions idle sessions on /echo and reports the server's
// RSS and goroutine growth per session.
func (g *gen) idle(res *result) error {
	cfg := g.cfg
	rss0, err := rssKiB(cfg.PID)
	if err != nil {
		return err
	}
	g0 := goroutines(cfg.URL, cfg.Goroutines)
	sess, err := g.openAll(cfg.Sessions, func(int) (*session, error) {
		return g.op.open("/echo", func(string) {})
	})
	if err != nil {
		return err
	}
	defer g.closeAll(sess)
	time.Sleep(cfg.Settle)
	rss1, err := rssKiB(cfg.PID)
	if err != nil {
		return err
	}
	g1 := goroutines(cfg.URL, cfg.Goroutines)
	died, why := dead(sess)
	n := float64(opened(sess))
	res.Errors = int64(died)
	res.Metrics["sessions"] = n
	res.Metrics["rss_base_kib"] = float64(rss0)
	res.Metrics["rss_kib"] = float64(rss1)
	res.Metrics["rss_kib_per_session"] = float64(rss1-rss0) / n
	if g0 >= 0 && g1 >= 0 {
		res.Metrics["goroutines_per_session"] = float64(g1-g0) / n
	}
	if why != nil {
		return fmt.Errorf("%d sessions dropped while idle; first: %v", died, why)
	}
	return nil
}

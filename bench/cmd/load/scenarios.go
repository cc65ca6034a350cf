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

// payload carries its send time: "<ns>-xxxx" padded to *payloadSize bytes.
func payload(ns int64) string {
	s := strconv.FormatInt(ns, 10) + "-"
	if n := *payloadSize - len(s); n > 0 {
		s += strings.Repeat("x", n)
	}
	return s
}

func sentAt(msg string) (int64, bool) {
	i := strings.IndexByte(msg, '-')
	if i <= 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(msg[:i], 10, 64)
	return v, err == nil
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

// openAll opens n sessions, conc at a time. It fails when more than 1% (or,
// below 100 sessions, any) of them fail.
func openAll(n int, open func(i int) (session, error)) ([]session, error) {
	sess := make([]session, n)
	var tally errTally
	var wg sync.WaitGroup
	next := atomic.Int64{}
	conc := min(*connConc, n)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
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
		}()
	}
	wg.Wait()
	failed := tally.n.Load()
	if failed > 0 && (n < 100 || failed*100 > int64(n)) {
		closeAll(sess)
		return nil, fmt.Errorf("%d of %d sessions failed to open; first: %v", failed, n, tally.firstErr())
	}
	var ok []session
	for _, s := range sess {
		if s != nil {
			ok = append(ok, s)
		}
	}
	return ok, nil
}

func closeAll(sess []session) {
	for _, s := range sess {
		if s != nil {
			s.Close()
		}
	}
}

func percentile(sorted []int64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / 1e6
}

func openFor(path string, onMsg onMsgFunc, onErr func(error)) (session, error) {
	switch {
	case *kind == "raw" && *transport == "websocket":
		return openWS(*baseURL, path, false, onMsg, onErr)
	case *kind == "raw":
		return nil, fmt.Errorf("raw server has no %s transport", *transport)
	case *transport == "websocket":
		return openWS(*baseURL, path, true, onMsg, onErr)
	case *transport == "xhr-streaming":
		return openXHRStreaming(*baseURL, path, onMsg, onErr)
	}
	return nil, fmt.Errorf("transport %q not supported here", *transport)
}

// ---------------------------------------------------------------- echo

// runEcho: every session keeps *inflight messages outstanding on /echo and
// sends the next one when a reply arrives. Counts replies and their
// latencies inside the measurement window.
func runEcho(res *result) error {
	var phase atomic.Int32
	var replies atomic.Int64
	var tally errTally
	stop := make(chan struct{})
	n := *sessions
	lats := make([][]int64, n)
	tokens := make([]chan struct{}, n)
	sess, err := openAll(n, func(i int) (session, error) {
		tokens[i] = make(chan struct{}, *inflight)
		return openFor("/echo", func(msg string) {
			t, ok := sentAt(msg)
			if !ok {
				tally.add(fmt.Errorf("unexpected echo payload %q", msg))
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
		}, func(err error) {
			if phase.Load() != phaseStop {
				tally.add(err)
			}
		})
	})
	if err != nil {
		return err
	}
	defer closeAll(sess)
	var wg sync.WaitGroup
	for i, s := range sess {
		tok := tokens[i]
		if s == nil {
			continue
		}
		for k := 0; k < *inflight; k++ {
			tok <- struct{}{}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-tok:
				}
				if err := s.Send(payload(nowNs())); err != nil {
					if phase.Load() != phaseStop {
						tally.add(err)
					}
					return
				}
			}
		}()
	}
	time.Sleep(*warmup)
	cw := &cpuWindow{pid: *pid}
	cw.start()
	phase.Store(phaseMeasure)
	time.Sleep(*duration)
	phase.Store(phaseStop)
	cw.stop()
	close(stop)
	closeAll(sess)
	wg.Wait()

	var all []int64
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	count := replies.Load()
	res.Errors = tally.n.Load()
	res.Metrics["sessions"] = float64(len(sess))
	res.Metrics["msgs_per_s"] = float64(count) / cw.wall.Seconds()
	res.Metrics["p50_ms"] = percentile(all, 50)
	res.Metrics["p99_ms"] = percentile(all, 99)
	cw.record(res)
	if count > 0 {
		res.Metrics["cpu_us_per_msg"] = float64(cw.cpu.Microseconds()) / float64(count)
	}
	if cw.failed != nil {
		return cw.failed
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

// runPollEcho: every session loops xhr_send then xhr polls until the echo
// comes back; one round trip = one send + the polls that return it.
func runPollEcho(res *result) error {
	if *kind == "raw" {
		return errors.New("raw server has no xhr-polling transport")
	}
	var phase atomic.Int32
	var rts atomic.Int64
	var tally errTally
	n := *sessions
	lats := make([][]int64, n)
	polls := make([]*xhrPoller, n)
	ss, err := openAll(n, func(i int) (session, error) {
		p, err := openXHRPolling(*baseURL, "/echo")
		polls[i] = p
		if err != nil {
			return nil, err
		}
		return p, nil
	})
	if err != nil {
		return err
	}
	defer closeAll(ss)
	var wg sync.WaitGroup
	for i, p := range polls {
		if p == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for phase.Load() != phaseStop {
				t0 := nowNs()
				msg := payload(t0)
				if err := p.Send(msg); err != nil {
					if phase.Load() != phaseStop {
						tally.add(err)
					}
					return
				}
				got := false
				for !got {
					err := p.Poll(func(m string) {
						if m == msg {
							got = true
						}
					}, false)
					if err != nil {
						if phase.Load() != phaseStop {
							tally.add(err)
						}
						return
					}
				}
				if phase.Load() == phaseMeasure {
					lats[i] = append(lats[i], nowNs()-t0)
					rts.Add(1)
				}
			}
		}()
	}
	time.Sleep(*warmup)
	cw := &cpuWindow{pid: *pid}
	cw.start()
	phase.Store(phaseMeasure)
	time.Sleep(*duration)
	phase.Store(phaseStop)
	cw.stop()
	closeAll(ss) // cancels the requests in flight
	wg.Wait()

	var all []int64
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	count := rts.Load()
	res.Errors = tally.n.Load()
	res.Metrics["sessions"] = float64(len(ss))
	res.Metrics["rt_per_s"] = float64(count) / cw.wall.Seconds()
	res.Metrics["p50_ms"] = percentile(all, 50)
	res.Metrics["p99_ms"] = percentile(all, 99)
	cw.record(res)
	if count > 0 {
		res.Metrics["cpu_us_per_rt"] = float64(cw.cpu.Microseconds()) / float64(count)
	}
	if cw.failed != nil {
		return cw.failed
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

var triggerClient = &http.Client{Timeout: 15 * time.Second}

func trigger(seq int) error {
	body := strconv.Itoa(seq) + "-"
	if n := *payloadSize - len(body); n > 0 {
		body += strings.Repeat("x", n)
	}
	resp, err := triggerClient.Post(*baseURL+"/trigger", "text/plain", strings.NewReader(body))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST /trigger: HTTP %d", resp.StatusCode)
	}
	return nil
}

// runBroadcast: -sessions subscribers on /broadcast. Phase 1 times
// -rounds isolated triggers from POST to the last delivery; phase 2 keeps
// -window triggers outstanding for -duration and counts deliveries.
func runBroadcast(res *result) error {
	counts := make([]atomic.Int32, maxSeq)
	doneAt := make([]atomic.Int64, maxSeq)
	doneCh := make(chan struct{}, 1)
	var tally errTally
	var stray atomic.Int64
	var stopping atomic.Bool
	var want int32
	sess, err := openAll(*sessions, func(i int) (session, error) {
		return openFor("/broadcast", func(msg string) {
			i := strings.IndexByte(msg, '-')
			if i < 0 {
				i = len(msg)
			}
			seq, err := strconv.Atoi(msg[:i])
			if err != nil || seq < 0 || seq >= maxSeq || len(msg) < *payloadSize {
				stray.Add(1)
				return
			}
			if counts[seq].Add(1) == atomic.LoadInt32(&want) {
				doneAt[seq].Store(nowNs())
				select {
				case doneCh <- struct{}{}:
				default:
				}
			}
		}, func(err error) {
			if !stopping.Load() {
				tally.add(err)
			}
		})
	})
	if err != nil {
		return err
	}
	defer closeAll(sess)
	atomic.StoreInt32(&want, int32(len(sess)))
	waitDone := func(seq int, d time.Duration) error {
		deadline := time.NewTimer(d)
		defer deadline.Stop()
		for doneAt[seq].Load() == 0 {
			select {
			case <-doneCh:
			case <-deadline.C:
				return fmt.Errorf("broadcast %d reached %d of %d sessions within %v", seq, counts[seq].Load(), len(sess), d)
			case <-time.After(5 * time.Millisecond):
			}
		}
		return nil
	}
	// Phase 1: isolated triggers.
	var ttl []int64
	seq := 1
	for r := 0; r < *rounds; r++ {
		t0 := nowNs()
		if err := trigger(seq); err != nil {
			return err
		}
		if err := waitDone(seq, 15*time.Second); err != nil {
			return fmt.Errorf("%v (first session error: %v)", err, tally.firstErr())
		}
		ttl = append(ttl, doneAt[seq].Load()-t0)
		seq++
		time.Sleep(20 * time.Millisecond)
	}
	slices.Sort(ttl)
	// Phase 2: throughput with a window of outstanding triggers.
	first := seq
	cw := &cpuWindow{pid: *pid}
	start := nowNs()
	cw.start()
	end := time.Now().Add(*duration)
	for time.Now().Before(end) && seq < maxSeq {
		if seq-*window >= first {
			if err := waitDone(seq-*window, 15*time.Second); err != nil {
				return fmt.Errorf("%v (first session error: %v)", err, tally.firstErr())
			}
		}
		if err := trigger(seq); err != nil {
			return err
		}
		seq++
	}
	for s := max(first, seq-*window); s < seq; s++ {
		if err := waitDone(s, 15*time.Second); err != nil {
			return fmt.Errorf("%v (first session error: %v)", err, tally.firstErr())
		}
	}
	cw.stop()
	stopping.Store(true)
	var last int64
	for s := first; s < seq; s++ {
		last = max(last, doneAt[s].Load())
	}
	deliveries := int64(seq-first) * int64(len(sess))
	res.Errors = tally.n.Load() + stray.Load()
	res.Metrics["sessions"] = float64(len(sess))
	res.Metrics["broadcasts"] = float64(seq - first)
	res.Metrics["deliveries_per_s"] = float64(deliveries) / (float64(last-start) / 1e9)
	res.Metrics["ttl_p50_ms"] = percentile(ttl, 50)
	res.Metrics["ttl_max_ms"] = percentile(ttl, 100)
	res.Metrics["cpu_us_per_delivery"] = float64(cw.cpu.Microseconds()) / float64(deliveries)
	cw.record(res)
	if *transport == "xhr-streaming" {
		res.Metrics["xhr_streaming_requests"] = float64(streamRequests.Load())
	}
	if stray.Load() > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d unexpected messages", stray.Load()))
	}
	return cw.failed
}

// ---------------------------------------------------------------- idle

// runIdle opens -sessions idle sessions on /echo and reports the server's
// RSS and goroutine growth per session.
func runIdle(res *result) error {
	var tally errTally
	var opened atomic.Bool
	rss0, err := rssKiB(*pid)
	if err != nil {
		return err
	}
	g0 := goroutines(*baseURL)
	sess, err := openAll(*sessions, func(i int) (session, error) {
		return openFor("/echo", func(string) {}, func(err error) {
			if opened.Load() {
				tally.add(err)
			}
		})
	})
	if err != nil {
		return err
	}
	opened.Store(true)
	defer closeAll(sess)
	time.Sleep(*settle)
	rss1, err := rssKiB(*pid)
	if err != nil {
		return err
	}
	g1 := goroutines(*baseURL)
	n := float64(len(sess))
	res.Errors = tally.n.Load()
	res.Metrics["sessions"] = n
	res.Metrics["rss_base_kib"] = float64(rss0)
	res.Metrics["rss_kib"] = float64(rss1)
	res.Metrics["rss_kib_per_session"] = float64(rss1-rss0) / n
	if g0 >= 0 && g1 >= 0 {
		res.Metrics["goroutines_per_session"] = float64(g1-g0) / n
	}
	if e := tally.firstErr(); e != nil {
		return fmt.Errorf("%d sessions dropped while idle; first: %v", tally.n.Load(), e)
	}
	return nil
}

// Command load is the benchmark load generator. It opens its sessions with
// package client (github.com/gosockjs/sockjs/client), forced to one
// transport (websocket, xhr-streaming, xhr-polling; websocket-raw for the
// gorilla baseline), runs one bounded scenario against one server, samples
// that server's CPU time (/proc/PID/stat), RSS (/proc/PID/status) and
// goroutine count (/debug/goroutines-count), counts the bytes its
// connections carry, and appends one JSON line with the figures to -out.
//
// Scenarios:
//
//	echo       closed-loop (or -inflight N pipelined) echo on -path over -transport websocket|xhr-polling
//	broadcast  -sessions subscribers on /broadcast over websocket|xhr-streaming; POST /trigger fans out
//	idle       -sessions idle sessions on /echo over websocket|xhr-streaming; RSS and goroutines per session
//
// With -deflate the WebSockets offer permessage-deflate, and the run fails
// unless the server accepted it on every session.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"sync"
	"time"
)

// config is what one run does, from the command line.
type config struct {
	URL         string // server base URL, http://HOST:PORT
	Kind        string // sockjs | raw
	Scenario    string
	Transport   string
	Path        string // echo: the service path
	Deflate     bool
	Sessions    int
	Inflight    int
	Warmup      time.Duration
	Duration    time.Duration
	Rounds      int
	Window      int
	Settle      time.Duration
	PayloadSize int
	PayloadKind string
	Conc        int
	PID         int
	Goroutines  bool
}

type result struct {
	Server   string             `json:"server"`
	Scenario string             `json:"scenario"`
	Metrics  map[string]float64 `json:"metrics"`
	Errors   int64              `json:"errors"`
	Error    string             `json:"error,omitempty"`
	Notes    []string           `json:"notes,omitempty"`
}

// emitter writes the result once; the watchdog and main may race for it.
type emitter struct {
	mu  sync.Mutex
	out string
}

func (e *emitter) emit(r *result) {
	e.mu.Lock() // held until exit: a second caller never writes
	for k, v := range r.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) { // no figure (no message, say): JSON has no NaN
			delete(r.Metrics, k)
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		log.Fatal(err)
	}
	if e.out == "" {
		fmt.Println(string(b))
		return
	}
	f, err := os.OpenFile(e.out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(append(b, '\n')); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, string(b))
}

func main() {
	var cfg config
	flag.StringVar(&cfg.URL, "url", "", "server base URL, http://HOST:PORT")
	flag.StringVar(&cfg.Kind, "kind", "sockjs", "sockjs, or raw (plain websocket at <path>/websocket, no framing)")
	flag.StringVar(&cfg.Scenario, "scenario", "echo", "echo | broadcast | idle")
	flag.StringVar(&cfg.Transport, "transport", "websocket", "websocket | xhr-streaming | xhr-polling")
	flag.StringVar(&cfg.Path, "path", "/echo", "echo: service path")
	flag.BoolVar(&cfg.Deflate, "deflate", false, "offer permessage-deflate on the WebSockets; fail unless the server accepts it")
	flag.IntVar(&cfg.Sessions, "sessions", 1, "number of sessions")
	flag.IntVar(&cfg.Inflight, "inflight", 1, "echo: messages in flight per session")
	flag.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "warm-up before measuring")
	flag.DurationVar(&cfg.Duration, "duration", 5*time.Second, "measurement window")
	flag.IntVar(&cfg.Rounds, "rounds", 10, "broadcast: isolated triggers timed for time-to-last-delivery")
	flag.IntVar(&cfg.Window, "window", 16, "broadcast: triggers outstanding in the throughput phase")
	flag.DurationVar(&cfg.Settle, "settle", 2*time.Second, "idle: wait after the last session opened")
	flag.IntVar(&cfg.PayloadSize, "payload", 32, "payload bytes of broadcast messages, and of echo messages of -payload-kind x")
	flag.StringVar(&cfg.PayloadKind, "payload-kind", "x", "echo payload: x (<ns>-xxx… of -payload bytes) | small (~64 B JSON) | chat (~200 B JSON) | doc (~4 KB JSON)")
	flag.IntVar(&cfg.Conc, "conc", 64, "sessions opened concurrently")
	flag.IntVar(&cfg.PID, "pid", 0, "server PID, for CPU time and RSS")
	flag.BoolVar(&cfg.Goroutines, "goroutines", true, "server has /debug/goroutines-count")
	serverName := flag.String("server", "", "server label for the result")
	name := flag.String("name", "", "scenario label for the result")
	out := flag.String("out", "", "append the JSON result line here (default stdout)")
	limit := flag.Duration("limit", 0, "hard time limit of the whole run (default warmup+duration+90s)")
	flag.Parse()
	if cfg.URL == "" || cfg.PID == 0 {
		log.Fatal("-url and -pid are required")
	}
	res := &result{Server: *serverName, Scenario: *name, Metrics: map[string]float64{}}
	if res.Scenario == "" {
		res.Scenario = fmt.Sprintf("%s-%s-%d", cfg.Scenario, cfg.Transport, cfg.Sessions)
	}
	em := &emitter{out: *out}
	lim := *limit
	if lim == 0 {
		lim = cfg.Warmup + cfg.Duration + 90*time.Second
	}
	// Watchdog: whatever happens, the run ends within lim.
	go func() {
		time.Sleep(lim)
		res.Error = fmt.Sprintf("run exceeded its %v limit", lim)
		em.emit(res)
		os.Exit(3)
	}()
	err := run(&cfg, res)
	if err != nil {
		res.Error = err.Error()
	}
	em.emit(res)
	if err != nil {
		os.Exit(1)
	}
}

// run runs the scenario of cfg and puts its figures in res.
func run(cfg *config, res *result) error {
	op, err := newOpener(cfg)
	if err != nil {
		return err
	}
	g := &gen{cfg: cfg, op: op}
	switch cfg.Scenario {
	case "echo":
		if cfg.Transport == "xhr-polling" {
			return g.pollEcho(res)
		}
		return g.echo(res)
	case "broadcast":
		return g.broadcast(res)
	case "idle":
		return g.idle(res)
	}
	return fmt.Errorf("unknown scenario %q", cfg.Scenario)
}

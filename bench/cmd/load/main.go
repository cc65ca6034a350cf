// Command load is the benchmark load generator. It speaks the SockJS wire
// protocol as a client (websocket, xhr-streaming, xhr-polling + xhr_send),
// or plain websocket for the gorilla baseline, runs one bounded scenario
// against one server, samples that server's CPU time (/proc/PID/stat), RSS
// (/proc/PID/status) and goroutine count (/debug/goroutines-count), and
// appends one JSON line with the figures to -out.
//
// Scenarios:
//
//	echo       closed-loop (or -inflight N pipelined) echo on /echo over -transport websocket|xhr-polling
//	broadcast  -sessions subscribers on /broadcast over websocket|xhr-streaming; POST /trigger fans out
//	idle       -sessions idle sessions on /echo over websocket|xhr-streaming; RSS and goroutines per session
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sync"
	"time"
)

var (
	baseURL           = flag.String("url", "", "server base URL, http://HOST:PORT")
	kind              = flag.String("kind", "sockjs", "sockjs, or raw (plain websocket, no framing)")
	scenario          = flag.String("scenario", "echo", "echo | broadcast | idle")
	transport         = flag.String("transport", "websocket", "websocket | xhr-streaming | xhr-polling")
	sessions          = flag.Int("sessions", 1, "number of sessions")
	inflight          = flag.Int("inflight", 1, "echo: messages in flight per session")
	warmup            = flag.Duration("warmup", 2*time.Second, "warm-up before measuring")
	duration          = flag.Duration("duration", 5*time.Second, "measurement window")
	rounds            = flag.Int("rounds", 10, "broadcast: isolated triggers timed for time-to-last-delivery")
	window            = flag.Int("window", 16, "broadcast: triggers outstanding in the throughput phase")
	settle            = flag.Duration("settle", 2*time.Second, "idle: wait after the last session opened")
	payloadSize       = flag.Int("payload", 32, "payload bytes of echo and broadcast messages")
	connConc          = flag.Int("conc", 64, "sessions opened concurrently")
	pid               = flag.Int("pid", 0, "server PID, for CPU time and RSS")
	goroutineEndpoint = flag.Bool("goroutines", true, "server has /debug/goroutines-count")
	serverName        = flag.String("server", "", "server label for the result")
	name              = flag.String("name", "", "scenario label for the result")
	out               = flag.String("out", "", "append the JSON result line here (default stdout)")
	limit             = flag.Duration("limit", 0, "hard time limit of the whole run (default warmup+duration+90s)")
)

type result struct {
	Server   string             `json:"server"`
	Scenario string             `json:"scenario"`
	Metrics  map[string]float64 `json:"metrics"`
	Errors   int64              `json:"errors"`
	Error    string             `json:"error,omitempty"`
	Notes    []string           `json:"notes,omitempty"`
}

var emitMu sync.Mutex

// emit writes the result once; the watchdog and main may race for it.
func emit(r *result) {
	emitMu.Lock() // held until exit: a second caller never writes
	b, _ := json.Marshal(r)
	if *out == "" {
		fmt.Println(string(b))
		return
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	f.Write(append(b, '\n'))
	fmt.Fprintln(os.Stderr, string(b))
}

func main() {
	flag.Parse()
	if *baseURL == "" || *pid == 0 {
		log.Fatal("-url and -pid are required")
	}
	res := &result{Server: *serverName, Scenario: *name, Metrics: map[string]float64{}}
	if res.Scenario == "" {
		res.Scenario = fmt.Sprintf("%s-%s-%d", *scenario, *transport, *sessions)
	}
	lim := *limit
	if lim == 0 {
		lim = *warmup + *duration + 90*time.Second
	}
	// Watchdog: whatever happens, the run ends within lim.
	go func() {
		time.Sleep(lim)
		res.Error = fmt.Sprintf("run exceeded its %v limit", lim)
		emit(res)
		os.Exit(3)
	}()
	var err error
	switch *scenario {
	case "echo":
		if *transport == "xhr-polling" {
			err = runPollEcho(res)
		} else {
			err = runEcho(res)
		}
	case "broadcast":
		err = runBroadcast(res)
	case "idle":
		err = runIdle(res)
	default:
		err = fmt.Errorf("unknown scenario %q", *scenario)
	}
	if err != nil {
		res.Error = err.Error()
	}
	emit(res)
	if err != nil {
		os.Exit(1)
	}
}

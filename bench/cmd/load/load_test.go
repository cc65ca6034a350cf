package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gosockjs/sockjs"
)

// The tests run the scenarios of the load generator against real servers
// in the test process: a SockJS one built on this repository's library, as
// servers/ours is, and a plain gorilla/websocket one, as servers/raw is.

type none struct{}

// testServer serves /echo, /echo-deflate (with Options.Compression),
// /broadcast, POST /trigger, and the broken services /garble (echoes
// something else) and /hangup (closes every session on its third
// message); /raw/websocket is a plain WebSocket echo.
func testServer(t *testing.T) string {
	t.Helper()
	opts := sockjs.Options{ResponseLimit: 4096} // xhr-streaming reopens often
	echo := func(c *sockjs.Conn, ev sockjs.Event, st none) none {
		if ev.Type == sockjs.EventRecv {
			c.Send(ev.Data)
		}
		return st
	}
	garble := func(c *sockjs.Conn, ev sockjs.Event, st none) none {
		if ev.Type == sockjs.EventRecv {
			c.Send("garbled " + ev.Data)
		}
		return st
	}
	hangup := func(c *sockjs.Conn, ev sockjs.Event, n int) int {
		if ev.Type == sockjs.EventRecv {
			if n++; n == 3 {
				c.Close(3000, "enough")
				return n
			}
			c.Send(ev.Data)
		}
		return n
	}
	dopts := opts
	dopts.Compression = true
	mux := http.NewServeMux()
	handle := func(prefix string, h http.Handler) {
		mux.Handle(prefix, h)
		mux.Handle(prefix+"/", h)
	}
	handle("/echo", sockjs.NewHandler("/echo", echo, none{}, opts))
	handle("/echo-deflate", sockjs.NewHandler("/echo-deflate", echo, none{}, dopts))
	handle("/garble", sockjs.NewHandler("/garble", garble, none{}, opts))
	handle("/hangup", sockjs.NewHandler("/hangup", hangup, 0, opts))
	bh := sockjs.NewHandler("/broadcast", func(c *sockjs.Conn, ev sockjs.Event, st none) none { return st }, none{}, opts)
	handle("/broadcast", bh)
	mux.HandleFunc("POST /trigger", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		bh.Broadcast(string(b))
		w.WriteHeader(http.StatusNoContent)
	})
	up := websocket.Upgrader{}
	mux.HandleFunc("/raw/websocket", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, m, err := c.ReadMessage()
			if err != nil || c.WriteMessage(mt, m) != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// testConfig is a short run of scenario over transport against base.
func testConfig(base, scenario, transport string) config {
	return config{
		URL: base, Kind: "sockjs", Scenario: scenario, Transport: transport, Path: "/echo",
		Sessions: 8, Inflight: 1, Warmup: 100 * time.Millisecond, Duration: 300 * time.Millisecond,
		Rounds: 3, Window: 4, Settle: 50 * time.Millisecond, PayloadSize: 32, PayloadKind: "x",
		Conc: 4, PID: os.Getpid(), Goroutines: false,
	}
}

func TestScenarios(t *testing.T) {
	base := testServer(t)
	tests := []struct {
		name      string
		edit      func(*config)
		scenario  string
		transport string
		want      []string // metrics that must be > 0
		check     func(t *testing.T, m map[string]float64)
	}{
		{name: "ws echo", scenario: "echo", transport: "websocket",
			want: []string{"msgs_per_s", "p50_ms", "wire_in_bytes_per_msg", "wire_out_bytes_per_msg"},
			check: func(t *testing.T, m map[string]float64) {
				// a["<32 bytes>"] in an unmasked frame; ["<32 bytes>"]
				// in a masked one.
				if in := m["wire_in_bytes_per_msg"]; in < 32+6 {
					t.Errorf("wire in %.1f bytes/msg, less than the frame", in)
				}
				if out := m["wire_out_bytes_per_msg"]; out < 32+10 {
					t.Errorf("wire out %.1f bytes/msg, less than the frame", out)
				}
			}},
		{name: "ws pipelined", scenario: "echo", transport: "websocket",
			edit: func(c *config) { c.Inflight = 8 }, want: []string{"msgs_per_s"}},
		{name: "xhr-polling echo", scenario: "echo", transport: "xhr-polling",
			edit: func(c *config) { c.PayloadKind = "chat" }, want: []string{"rt_per_s", "p99_ms", "wire_in_bytes_per_rt"}},
		{name: "raw ws echo", scenario: "echo", transport: "websocket",
			edit: func(c *config) { c.Kind, c.Path = "raw", "/raw" }, want: []string{"msgs_per_s"}},
		{name: "broadcast ws", scenario: "broadcast", transport: "websocket",
			want: []string{"deliveries_per_s", "ttl_p50_ms", "broadcasts"}},
		{name: "broadcast xhr-streaming", scenario: "broadcast", transport: "xhr-streaming",
			want: []string{"deliveries_per_s", "xhr_streaming_requests"},
			check: func(t *testing.T, m map[string]float64) {
				// ResponseLimit 4096: the sessions must have reopened
				// their streams to get every broadcast.
				if m["xhr_streaming_requests"] <= m["sessions"] {
					t.Errorf("%v xhr_streaming requests for %v sessions: no stream was reopened", m["xhr_streaming_requests"], m["sessions"])
				}
			}},
		{name: "idle ws", scenario: "idle", transport: "websocket", want: []string{"sessions"}},
		{name: "idle xhr-streaming", scenario: "idle", transport: "xhr-streaming", want: []string{"sessions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(base, tt.scenario, tt.transport)
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			res := &result{Metrics: map[string]float64{}}
			if err := run(&cfg, res); err != nil {
				t.Fatalf("run: %v (notes %v)", err, res.Notes)
			}
			if res.Errors != 0 || len(res.Notes) != 0 {
				t.Errorf("%d errors, notes %v", res.Errors, res.Notes)
			}
			if s := res.Metrics["sessions"]; s != float64(cfg.Sessions) {
				t.Errorf("%v sessions, want %d", s, cfg.Sessions)
			}
			for _, k := range tt.want {
				if !(res.Metrics[k] > 0) {
					t.Errorf("metric %s = %v, want > 0 (metrics %v)", k, res.Metrics[k], res.Metrics)
				}
			}
			if tt.check != nil {
				tt.check(t, res.Metrics)
			}
		})
	}
}

// TestDeflate checks that -deflate compresses what goes on the wire, and
// that a run whose server refuses permessage-deflate fails.
func TestDeflate(t *testing.T) {
	base := testServer(t)
	wire := map[bool]float64{}
	for _, on := range []bool{false, true} {
		cfg := testConfig(base, "echo", "websocket")
		cfg.PayloadKind = "doc"
		if on {
			cfg.Path, cfg.Deflate = "/echo-deflate", true
		}
		res := &result{Metrics: map[string]float64{}}
		if err := run(&cfg, res); err != nil {
			t.Fatalf("deflate %v: %v", on, err)
		}
		if on && res.Metrics["deflate_sessions"] != float64(cfg.Sessions) {
			t.Errorf("deflate_sessions %v, want %d", res.Metrics["deflate_sessions"], cfg.Sessions)
		}
		wire[on] = res.Metrics["wire_in_bytes_per_msg"]
	}
	// The 4 KB document is the same keys over and over.
	if !(wire[false] > 4000) || !(wire[true] < wire[false]/3) {
		t.Errorf("wire in per message: %.0f bytes without deflate, %.0f with", wire[false], wire[true])
	}
	cfg := testConfig(base, "echo", "websocket")
	cfg.Deflate = true // /echo has no Compression
	err := run(&cfg, &result{Metrics: map[string]float64{}})
	if err == nil || !strings.Contains(err.Error(), "accepted permessage-deflate on 0 of 8") {
		t.Errorf("deflate refused: err %v", err)
	}
}

// TestBrokenServers checks that the scenarios report what a broken server
// does instead of counting it.
func TestBrokenServers(t *testing.T) {
	base := testServer(t)
	tests := []struct {
		name, path, transport, want string
	}{
		{"ws echo of something else", "/garble", "websocket", "unexpected echo payload"},
		{"xhr-polling echo of something else", "/garble", "xhr-polling", "want"},
		{"ws sessions closed", "/hangup", "websocket", "3000"},
		{"xhr-polling sessions closed", "/hangup", "xhr-polling", "3000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(base, "echo", tt.transport)
			cfg.Path = tt.path
			res := &result{Metrics: map[string]float64{}}
			err := run(&cfg, res)
			got := strings.Join(res.Notes, "; ")
			if err != nil {
				got = err.Error()
			}
			if res.Errors == 0 || !strings.Contains(got, tt.want) {
				t.Errorf("%d errors, error/notes %q; want errors and %q", res.Errors, got, tt.want)
			}
		})
	}
}

func TestPayloads(t *testing.T) {
	tests := []struct {
		kind     string
		min, max int
	}{
		{"x", 32, 32},
		{"small", 50, 70},
		{"chat", 190, 230},
		{"doc", 3900, 4200},
	}
	for _, tt := range tests {
		p, err := newPayloads(tt.kind, 32)
		if err != nil {
			t.Fatal(err)
		}
		for seq := range 50 {
			ns := int64(1_700_000_000_000 + seq)
			m := p.make(ns, seq)

			if len(m) < tt.min || len(m) > tt.max {
				t.Errorf("%s #%d: %d bytes, want %d-%d", tt.kind, seq, len(m), tt.min, tt.max)
			}
			if got, ok := sentAt(m); !ok || got != ns {
				t.Errorf("%s #%d: sentAt = %d, %v; want %d", tt.kind, seq, got, ok, ns)
			}

		}
	}
	for _, bad := range []string{"", "-", "abc-1", `{"ts":}`, "123", "garbled 123-x"} {
		if _, ok := sentAt(bad); ok {
			t.Errorf("sentAt(%q) ok", bad)
		}
	}
	if _, err := newPayloads("huge", 0); err == nil {
		t.Error("unknown kind accepted")
	}
}

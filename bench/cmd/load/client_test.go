package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/gosockjs/sockjs/client"
)

// The benchmarks of this file compare the load generator's hand-written
// SockJS client (transport.go) with package client, on the client's side
// of the wire alone: a flood server writes prebuilt frames as fast as the
// client reads them, a sink server reads and drops what the client sends.

// benchMsg is a 32-byte payload, as the load scenarios send by default.
const benchMsg = "1234567890123456789-xxxxxxxxxxxx"

// floodServer serves /flood/<server>/<session>/websocket and
// .../xhr_streaming, which open the session and then send benchMsg in a
// loop until the client goes away; under /sink, they open the session and
// then send nothing. It drops what clients send, on xhr_send and on the
// websockets.
func floodServer(b *testing.B) string {
	frame := []byte(`a["` + benchMsg + `"]`)
	lines := []byte(strings.Repeat(string(frame)+"\n", 64))
	// 64 text messages as they go on the wire (unmasked, len(frame) < 126),
	// written in one go: the server's share of the work stays small.
	var wsFrames []byte
	for range 64 {
		wsFrames = append(append(wsFrames, 0x81, byte(len(frame))), frame...)
	}
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/info"):
			io.WriteString(w, `{"websocket":true}`)
		case strings.HasSuffix(r.URL.Path, "/websocket"):
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			go func() { // drop what the client sends
				for {
					if _, _, err := c.NextReader(); err != nil {
						c.Close()
						return
					}
				}
			}()
			if c.WriteMessage(websocket.TextMessage, []byte("o")) != nil {
				return
			}
			for strings.HasPrefix(r.URL.Path, "/flood/") {
				if _, err := c.NetConn().Write(wsFrames); err != nil {
					return
				}
			}
			<-r.Context().Done()
		case strings.HasSuffix(r.URL.Path, "/xhr_streaming"):
			io.WriteString(w, strings.Repeat("h", 2048)+"\no\n")
			rc := http.NewResponseController(w)
			for rc.Flush() == nil && strings.HasPrefix(r.URL.Path, "/flood/") {
				if _, err := w.Write(lines); err != nil {
					return
				}
			}
			<-r.Context().Done()
		case strings.HasSuffix(r.URL.Path, "/xhr_send"):
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

var benchTransports = []string{"websocket", "xhr-streaming"}

// cpuTimer reports the CPU time of the process per op as cpu-ns/op, a
// figure that other processes on the machine disturb less than ns/op.
func cpuTimer(b *testing.B) func() {
	start := cpuNow()
	return func() { b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuNow() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkReceive measures one received message.
func BenchmarkReceive(b *testing.B) {
	base := floodServer(b)
	for _, tr := range benchTransports {
		b.Run(tr+"/loadgen", func(b *testing.B) {
			var n atomic.Int64
			done := make(chan struct{})
			onMsg := func(string) {
				if n.Add(1) == int64(b.N) {
					close(done)
				}
			}
			b.ReportAllocs()
			s, err := openLoadgen(tr, base, "/flood", onMsg)
			if err != nil {
				b.Fatal(err)
			}
			stop := cpuTimer(b)
			<-done
			stop()
			b.StopTimer()
			s.Close()
		})
		b.Run(tr+"/client", func(b *testing.B) {
			b.ReportAllocs()
			c := dialBench(b, tr, base+"/flood", nil)
			ctx := context.Background()
			stop := cpuTimer(b)
			for range b.N {
				if _, err := c.Recv(ctx); err != nil {
					b.Fatal(err)
				}
			}
			stop()
			b.StopTimer()
			c.Close(1000, "")
		})
		b.Run(tr+"/client-onmessage", func(b *testing.B) {
			var n atomic.Int64
			done := make(chan struct{})
			b.ReportAllocs()
			c := dialBench(b, tr, base+"/flood", func(string) {
				if n.Add(1) == int64(b.N) {
					close(done)
				}
			})
			stop := cpuTimer(b)
			<-done
			stop()
			b.StopTimer()
			c.Close(1000, "")
		})
	}
}

// BenchmarkSend measures one sent message.
func BenchmarkSend(b *testing.B) {
	base := floodServer(b)
	for _, tr := range benchTransports {
		b.Run(tr+"/loadgen", func(b *testing.B) {
			s, err := openLoadgen(tr, base, "/sink", func(string) {})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			stop := cpuTimer(b)
			for b.Loop() {
				if err := s.Send(benchMsg); err != nil {
					b.Fatal(err)
				}
			}
			stop()
		})
		b.Run(tr+"/client", func(b *testing.B) {
			c := dialBench(b, tr, base+"/sink", nil)
			defer c.Close(1000, "")
			ctx := context.Background()
			b.ReportAllocs()
			stop := cpuTimer(b)
			for b.Loop() {
				if err := c.Send(ctx, benchMsg); err != nil {
					b.Fatal(err)
				}
			}
			stop()
		})
	}
}

// BenchmarkIdle opens b.N idle websocket sessions and reports the heap and
// goroutines each costs the client.
func BenchmarkIdle(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/info") {
			io.WriteString(w, `{"websocket":true}`)
			return
		}
		up := websocket.Upgrader{ReadBufferSize: 64, WriteBufferSize: 64}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte("o"))
		c.NextReader()
	}))
	defer srv.Close()
	for _, impl := range []string{"loadgen", "client"} {
		b.Run(impl, func(b *testing.B) {
			var closers []func()
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			g0 := runtime.NumGoroutine()
			for range b.N {
				if impl == "loadgen" {
					s, err := openWS(srv.URL, "/idle", true, func(string) {}, func(error) {})
					if err != nil {
						b.Fatal(err)
					}
					closers = append(closers, s.Close)
					continue
				}
				c := dialBench(b, "websocket", srv.URL+"/idle", nil)
				closers = append(closers, func() { c.Close(1000, "") })
			}
			b.StopTimer()
			runtime.GC()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse)/float64(b.N), "client-bytes/session")
			b.ReportMetric(float64(runtime.NumGoroutine()-g0)/float64(b.N), "goroutines/session")
			for _, c := range closers {
				c()
			}
		})
	}
}

// openLoadgen opens a session of path with the load generator's client.
func openLoadgen(tr, base, path string, onMsg onMsgFunc) (session, error) {
	if tr == "websocket" {
		return openWS(base, path, true, onMsg, func(error) {})
	}
	return openXHRStreaming(base, path, onMsg, func(error) {})
}

// dialBench opens a session of url with package client, with the load
// generator's shared HTTP client and WebSocket dialer.
func dialBench(b *testing.B, tr, url string, onMessage func(string)) *client.Conn {
	d := client.Dialer{
		OnMessage:       onMessage,
		Jar:             noJar{},
		Transports:      []client.Transport{client.Transport(tr)},
		HTTPClient:      httpClient,
		WebsocketDialer: dialer,
		IdleTimeout:     -1,
	}
	c, err := d.Dial(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

type noJar struct{}

func (noJar) SetCookies(*url.URL, []*http.Cookie) {}
func (noJar) Cookies(*url.URL) []*http.Cookie     { return nil }

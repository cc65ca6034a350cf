package sockjs

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func benchHandler() *Handler {
	return NewHandler("/echo", func(c *Conn, ev Event, s int) int {
		if ev.Type == EventRecv {
			c.Send(ev.Data)
		}
		return s
	}, 0, Options{})
}

// BenchmarkRoute measures parsing a session URL down to its transport, on a
// path that ends in 405 so that no session work is included.
func BenchmarkRoute(b *testing.B) {
	h := benchHandler()
	req := httptest.NewRequest(http.MethodPut, "/echo/123/abcdefgh/xhr_send", nil)
	w := discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
		clear(w.h)
	}
}

// BenchmarkSessionSendNext measures queueing a message on a session and
// taking it out as a frame: the work of Conn.Send and of a receiver.
func BenchmarkSessionSendNext(b *testing.B) {
	h := benchHandler()
	s := h.newSession("bench", TransportXHRPolling, httptest.NewRequest(http.MethodPost, "/echo/1/bench/xhr", nil), false, nil)
	s.out = outFlowing
	buf := make([]byte, 0, 4096)
	msg := strings.Repeat("hello, world ", 8)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		s.send(msg, nil, false)
		s.mu.Lock()
		buf, _ = s.nextLocked(buf[:0])
		s.mu.Unlock()
	}
}

// BenchmarkWebsocketEcho measures a websocket echo round trip through the
// handler, against the same round trip through a bare gorilla/websocket
// echo handler in the same run (sub-benchmark "raw"): the ratio of the two is
// the cost of SockJS.
func BenchmarkWebsocketEcho(b *testing.B) {
	raw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{WriteBufferPool: nil}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			t, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if c.WriteMessage(t, p) != nil {
				return
			}
		}
	})
	for _, bc := range []struct {
		name    string
		handler http.Handler
		path    string
		msg     string
		want    string
		open    bool
	}{
		{"raw", raw, "/", "hello", "hello", false},
		{"sockjs", benchHandler(), "/echo/0/bench/websocket", `["hello"]`, `a["hello"]`, true},
		{"sockjs-raw", benchHandler(), "/echo/websocket", "hello", "hello", false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.handler)
			defer srv.Close()
			c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+bc.path, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(time.Minute))
			if bc.open {
				if _, p, err := c.ReadMessage(); err != nil || string(p) != "o" {
					b.Fatalf("open: %q %v", p, err)
				}
			}
			msg := []byte(bc.msg)
			b.ReportAllocs()
			for b.Loop() {
				if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
					b.Fatal(err)
				}
				_, p, err := c.ReadMessage()
				if err != nil || string(p) != bc.want {
					b.Fatalf("echo: %q %v", p, err)
				}
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header         { return w.h }
func (w discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w discardWriter) WriteHeader(int)             {}

// BenchmarkXHRPollingRoundTrip measures one xhr_send and one xhr poll that
// returns the echo, over keep-alive loopback connections.
func BenchmarkXHRPollingRoundTrip(b *testing.B) {
	srv := httptest.NewServer(benchHandler())
	defer srv.Close()
	client := srv.Client()
	url := srv.URL + "/echo/000/bench/"
	post := func(path, body string) string {
		resp, err := client.Post(url+path, "text/plain", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		p, _ := io.ReadAll(resp.Body)
		return string(p)
	}
	if got := post("xhr", ""); got != "o\n" {
		b.Fatalf("open: %q", got)
	}
	b.ReportAllocs()
	for b.Loop() {
		post("xhr_send", `["hello"]`)
		if got := post("xhr", ""); got != "a[\"hello\"]\n" {
			b.Fatalf("poll: %q", got)
		}
	}
}

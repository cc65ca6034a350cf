package sockjs_test

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// recorder is a callback that records every event and can echo.
type recorder struct {
	mu     sync.Mutex
	events []sockjs.Event
	conns  []*sockjs.Conn
	echo   bool
	onInit func(c *sockjs.Conn)
	notify chan sockjs.Event
}

func newRecorder(echo bool) *recorder {
	return &recorder{echo: echo, notify: make(chan sockjs.Event, 1024)}
}

func (r *recorder) callback(c *sockjs.Conn, ev sockjs.Event, n int) int {
	r.mu.Lock()
	r.events = append(r.events, ev)
	if ev.Type == sockjs.EventInit {
		r.conns = append(r.conns, c)
	}
	onInit := r.onInit
	r.mu.Unlock()
	switch ev.Type {
	case sockjs.EventInit:
		if onInit != nil {
			onInit(c)
		}
	case sockjs.EventRecv:
		if r.echo {
			c.Send(ev.Data)
		}
	}
	select {
	case r.notify <- ev:
	default:
	}
	return n + 1
}

// wait returns the next event of the given type, failing after a timeout.
func (r *recorder) wait(t *testing.T, typ sockjs.EventType) sockjs.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-r.notify:
			if ev.Type == typ {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %v event within 5s", typ)
		}
	}
}

// conn returns the i-th connection that got EventInit.
func (r *recorder) conn(t *testing.T, i int) *sockjs.Conn {
	t.Helper()
	require.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.conns) > i
	}, 5*time.Second, time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns[i]
}

// count returns how many events of type typ were recorded.
func (r *recorder) count(typ sockjs.EventType) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// newServer serves a handler for prefix "/echo" with callback rec and opts
// on a loopback httptest.Server, closed when the test ends.
func newServer(t *testing.T, rec *recorder, opts sockjs.Options) (*httptest.Server, *sockjs.Handler) {
	t.Helper()
	h := sockjs.NewHandler("/echo", rec.callback, 0, opts)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv, h
}

// do sends a request and returns the response with its body read.
func do(t *testing.T, method, url, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// stream is an open streaming response read chunk by chunk... or line by
// line: frames of the xhr transports end with "\n".
type stream struct {
	resp *http.Response
	r    *bufio.Reader
}

// openStream sends a request and returns its response unread.
func openStream(t *testing.T, method, url string, header map[string]string) *stream {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return &stream{resp: resp, r: bufio.NewReaderSize(resp.Body, 64<<10)}
}

// readUntil reads up to and including delim, failing after a timeout.
func (s *stream) readUntil(t *testing.T, delim string) string {
	t.Helper()
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		var sb strings.Builder
		for !strings.HasSuffix(sb.String(), delim) {
			b, err := s.r.ReadByte()
			if err != nil {
				done <- result{sb.String(), err}
				return
			}
			sb.WriteByte(b)
		}
		done <- result{sb.String(), nil}
	}()
	select {
	case res := <-done:
		require.NoError(t, res.err, "read so far: %q", res.s)
		return res.s
	case <-time.After(5 * time.Second):
		s.resp.Body.Close()
		t.Fatalf("nothing ending in %q within 5s", delim)
		return ""
	}
}

// eof asserts that the response ends.
func (s *stream) eof(t *testing.T) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := s.r.ReadByte()
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, io.EOF)
	case <-time.After(5 * time.Second):
		s.resp.Body.Close()
		t.Fatal("response did not end within 5s")
	}
}

// discardLogger drops the logs of tests that provoke errors on purpose.
var discardLogger = slog.New(slog.DiscardHandler)

package sockjs_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// recorder is the event recorder of logging_test.go, which has yet to move
// to the eventLog of harness_test.go; delete it then.

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

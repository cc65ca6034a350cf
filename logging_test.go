package sockjs_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/sockjstest"
)

// logCapture is a slog.Handler that keeps the records of one handler,
// picked by the "prefix" attribute that the library puts on them.
type logCapture struct {
	prefix string

	mu      sync.Mutex
	records []map[string]string // message and attributes, as text
}

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCapture) WithGroup(string) slog.Handler            { return c }

func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	rec := map[string]string{"msg": r.Message, "level": r.Level.String()}
	r.Attrs(func(a slog.Attr) bool {
		rec[a.Key] = a.Value.String()
		return true
	})
	if rec["prefix"] != c.prefix {
		return nil
	}
	c.mu.Lock()
	c.records = append(c.records, rec)
	c.mu.Unlock()
	return nil
}

// find returns the records with message msg.
func (c *logCapture) find(msg string) []map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var found []map[string]string
	for _, r := range c.records {
		if r["msg"] == msg {
			found = append(found, r)
		}
	}
	return found
}

// TestLoggerDefaultsToSlogDefault runs alone, as it sets the process's
// default logger: with no Logger, a panic is logged there with its stack.
func TestLoggerDefaultsToSlogDefault(t *testing.T) {
	capture := &logCapture{prefix: "/default-logger"}
	prev := slog.Default()
	slog.SetDefault(slog.New(capture))
	t.Cleanup(func() { slog.SetDefault(prev) })

	h := sockjs.NewHandler("/default-logger", func(c *sockjs.Conn, ev sockjs.Event, st int) int {
		if ev.Type == sockjs.EventRecv {
			panicInCallback()
		}
		return st
	}, 0, sockjs.Options{})
	srv := sockjstest.NewServer(h)
	t.Cleanup(func() { srv.Close() })
	c := srv.Connect(t, client.Websocket)
	sendMayClose(c, "x")
	c.ExpectClose(sockjs.CloseServerError, "Internal server error")
	require.Eventually(t, func() bool { return len(capture.find("sockjs: callback panicked")) == 1 },
		waitFor, time.Millisecond)
	r := capture.find("sockjs: callback panicked")[0]
	assert.Equal(t, "ERROR", r["level"])
	assert.Equal(t, "boom", r["panic"])
	assert.Contains(t, r["stack"], "panicInCallback", "the stack of the panic")
}

func panicInCallback() { panic("boom") }

func TestLogUpgradeFailureOnce(t *testing.T) {
	t.Parallel()
	capture := &logCapture{prefix: "/echo"}
	svc := startService(t, nil, sockjs.Options{Logger: slog.New(capture)})
	// Upgrade and Connection pass the handler's checks; the key is
	// missing, which gorilla refuses.
	status, _ := svc.request(t, http.MethodGet, "/000/"+newSID()+"/websocket", "",
		http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Version": {"13"}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Len(t, capture.find("sockjs: websocket upgrade failed"), 1)
}

func TestLogWriteTimeoutOnce(t *testing.T) {
	t.Parallel()
	capture := &logCapture{prefix: "/echo"}
	svc := startService(t, nil, sockjs.Options{WriteTimeout: 100 * time.Millisecond, ResponseLimit: 1 << 30,
		MaxQueuedBytes: 64 << 20, Logger: slog.New(capture)})
	// A client that asks for a stream and never reads it.
	c, err := net.Dial("tcp", svc.HTTP.Listener.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	fmt.Fprintf(c, "POST /echo/0/slow/xhr_streaming HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	conn := svc.log.nth(t, 0)
	msg := strings.Repeat("x", 64<<10)
	for i := 0; i < 512 && conn.Send(msg) == nil; i++ {
	}
	svc.log.closed(t, conn)
	assert.Len(t, capture.find("sockjs: write timed out, client too slow"), 1)
}

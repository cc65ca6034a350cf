package sockjstest_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/sockjstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func echo(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
	if ev.Type == sockjs.EventRecv {
		c.Send(ev.Data)
	}
	return st
}

func TestRun(t *testing.T) {
	srv := sockjstest.NewServer(sockjs.NewHandler("/echo", echo, struct{}{}, sockjs.Options{}))
	defer func() { assert.NoError(t, srv.Close()) }()
	srv.Transports = append(srv.Transports, client.WebsocketRaw)
	var ran []client.Transport
	srv.Run(t, func(t *testing.T, c *sockjstest.Conn) {
		ran = append(ran, c.Transport())
		assert.True(t, strings.HasSuffix(t.Name(), "/"+string(c.Transport())), "subtest %s", t.Name())
		c.Send("a", "b")
		assert.Equal(t, []string{"a", "b"}, c.RecvN(2))
	})
	assert.Equal(t, append(client.Transports(), client.HTMLFile, client.JSONPPolling, client.WebsocketRaw), ran)
}

func TestRunSkipsWebsocketTurnedOff(t *testing.T) {
	srv := sockjstest.NewServer(sockjs.NewHandler("/echo", echo, struct{}{}, sockjs.Options{DisableWebsocket: true}))
	defer srv.Close()
	srv.Transports = append(srv.Transports, client.WebsocketRaw)
	var ran []client.Transport
	srv.Run(t, func(t *testing.T, c *sockjstest.Conn) {
		ran = append(ran, c.Transport())
		c.Send("x")
		assert.Equal(t, "x", c.Recv())
	})
	assert.Equal(t, []client.Transport{client.XHRStreaming, client.EventSource, client.XHRPolling, client.HTMLFile, client.JSONPPolling}, ran)
}

// TestNewHandlerServer serves a mux that holds the handler, behind a
// middleware.
func TestNewHandlerServer(t *testing.T) {
	h := sockjs.NewHandler("/api/echo", echo, struct{}{}, sockjs.Options{})
	mux := http.NewServeMux()
	mux.Handle("/api/echo/", h)
	var mu sync.Mutex
	seen := 0
	srv := sockjstest.NewHandlerServer("/api/echo/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen++
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	assert.True(t, strings.HasSuffix(srv.URL, "/api/echo"), srv.URL)
	srv.Run(t, func(t *testing.T, c *sockjstest.Conn) {
		c.Send("through the mux")
		assert.Equal(t, "through the mux", c.Recv())
	})
	mu.Lock()
	assert.Positive(t, seen)
	mu.Unlock()
	require.NoError(t, h.Shutdown(t.Context()))
}

func TestExpectClose(t *testing.T) {
	srv := sockjstest.NewServer(sockjs.NewHandler("/close", func(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
		if ev.Type == sockjs.EventInit {
			c.Close(3000, "Go away!")
		}
		return st
	}, struct{}{}, sockjs.Options{}))
	defer srv.Close()
	srv.Run(t, func(t *testing.T, c *sockjstest.Conn) {
		c.ExpectClose(3000, "Go away!")
	})
}

// TestCloseShutsDown checks that Close ends every session of the handler.
func TestCloseShutsDown(t *testing.T) {
	srv := sockjstest.NewServer(sockjs.NewHandler("/echo", echo, struct{}{}, sockjs.Options{}))
	var conns []*sockjstest.Conn
	for _, tr := range srv.Transports {
		conns = append(conns, srv.Connect(t, tr))
	}
	require.NoError(t, srv.Close())
	for _, c := range conns {
		_, err := c.Client.Recv(t.Context())
		var ce *client.CloseError
		if assert.ErrorAs(t, err, &ce, "%s", c.Transport()) {
			assert.Equal(t, 1001, ce.Code, "%s", c.Transport())
		}
	}
}

// fakeT records the failure of a helper; Fatal ends the goroutine, as it
// does in a test.
type fakeT struct {
	testing.TB
	failed chan string
}

func (f *fakeT) Helper() {}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed <- fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestConnFailsTest checks that the helpers fail the test instead of
// waiting or going on.
func TestConnFailsTest(t *testing.T) {
	srv := sockjstest.NewServer(sockjs.NewHandler("/echo", echo, struct{}{}, sockjs.Options{}))
	defer srv.Close()
	cases := []struct {
		name string
		call func(c *sockjstest.Conn)
		want string
	}{
		{"Recv times out", func(c *sockjstest.Conn) { c.Recv() }, "context deadline exceeded"},
		{"ExpectClose gets a message", func(c *sockjstest.Conn) { c.Send("m"); c.ExpectClose(3000, "") }, `got message "m"`},
		{"Send after Close", func(c *sockjstest.Conn) { c.Client.Close(1000, ""); c.Send("x") }, "connection closed"},
		{"Close with a bad code", func(c *sockjstest.Conn) { c.Close(1, "") }, "close code 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := srv.Connect(t, client.XHRStreaming)
			ft := &fakeT{TB: t, failed: make(chan string, 1)}
			c.T, c.Timeout = ft, 100*time.Millisecond
			done := make(chan struct{})
			go func() {
				defer close(done)
				tc.call(c)
			}()
			<-done
			select {
			case msg := <-ft.failed:
				assert.Contains(t, msg, tc.want)
			default:
				t.Error("the test did not fail")
			}
		})
	}
}

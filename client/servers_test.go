package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/internal/refserver"
)

// waitFor bounds every wait of the tests: generous, for a loaded machine.
const waitFor = 20 * time.Second

// serverOptions are the options of a test server's services; zero fields
// keep the defaults, as those of refserver.Options do.
type serverOptions struct {
	heartbeat  time.Duration
	disconnect time.Duration
}

// A server starts the services of testdata/sockjs-node/server.js (/echo
// with a response limit of 4096 bytes, /close, /amplify, /broadcast,
// /disabled_websocket_echo, /cookie_needed_echo) and returns their base URL.
type server struct {
	name  string
	start func(t *testing.T, o serverOptions) string
}

// servers are the implementations every interoperability test runs against.
var servers = []server{
	{"go", func(t *testing.T, o serverOptions) string { return goServer(t, o, nil) }},
	{"sockjs-node", func(t *testing.T, o serverOptions) string {
		return refserver.Start(t, refserver.Options{HeartbeatDelay: o.heartbeat, DisconnectDelay: o.disconnect})
	}},
}

// goServer serves the test services with package sockjs on a loopback
// port. Observe, if set, sees every event of every service.
func goServer(t *testing.T, o serverOptions, observe func(prefix string, c *sockjs.Conn, ev sockjs.Event)) string {
	t.Helper()
	opts := sockjs.Options{HeartbeatDelay: o.heartbeat, DisconnectDelay: o.disconnect}
	var handlers []*sockjs.Handler
	add := func(prefix string, opts sockjs.Options, f func(c *sockjs.Conn, ev sockjs.Event)) *sockjs.Handler {
		h := sockjs.NewHandler(prefix, func(c *sockjs.Conn, ev sockjs.Event, st struct{}) struct{} {
			if observe != nil {
				observe(prefix, c, ev)
			}
			f(c, ev)
			return st
		}, struct{}{}, opts)
		handlers = append(handlers, h)
		return h
	}
	echo := func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventRecv {
			c.Send(ev.Data)
		}
	}
	limited, noWS, cookie := opts, opts, opts
	limited.ResponseLimit = 4096
	noWS.DisableWebsocket = true
	cookie.CookieNeeded = true
	add("/echo", limited, echo)
	add("/close", opts, func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventInit {
			c.Close(3000, "Go away!")
		}
	})
	add("/amplify", opts, func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventRecv {
			n, err := strconv.Atoi(ev.Data)
			if err != nil || n < 1 || n > 18 {
				n = 1
			}
			c.Send(strings.Repeat("x", 1<<n))
		}
	})
	var broadcast *sockjs.Handler
	broadcast = add("/broadcast", opts, func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventRecv {
			broadcast.Broadcast(ev.Data)
		}
	})
	add("/disabled_websocket_echo", noWS, echo)
	add("/cookie_needed_echo", cookie, echo)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range handlers {
			if p := h.Prefix(); r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") {
				h.ServeHTTP(w, r)
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		for _, h := range handlers {
			assert.NoError(t, h.Shutdown(ctx))
		}
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

// httpClient returns an HTTP client of the test's own, whose idle
// connections are closed when the test ends.
func httpClient(t testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// dialer returns a Dialer forced onto tr, patient enough for a loaded
// machine.
func dialer(t testing.TB, tr client.Transport) *client.Dialer {
	return &client.Dialer{Transports: []client.Transport{tr}, Timeout: waitFor / 2, HTTPClient: httpClient(t)}
}

// dial opens a session with d, closed when the test ends.
func dial(t testing.TB, d *client.Dialer, url string) *client.Conn {
	t.Helper()
	c, err := d.Dial(testContext(t), url)
	require.NoError(t, err, "dial %s over %v", url, d.Transports)
	t.Cleanup(func() { c.Close(1000, "") })
	return c
}

// testContext returns a context that ends after waitFor or with the test.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

// send sends msgs, which must succeed.
func send(t testing.TB, c *client.Conn, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		require.NoError(t, c.Send(testContext(t), m))
	}
}

// recv receives n messages, which must succeed.
func recv(t testing.TB, c *client.Conn, n int) []string {
	t.Helper()
	ctx := testContext(t)
	var got []string
	for len(got) < n {
		m, err := c.Recv(ctx)
		require.NoError(t, err, "after %d of %d messages", len(got), n)
		got = append(got, m)
	}
	return got
}

// recvEnd receives until the connection ends, and returns the messages and
// the error that ended it.
func recvEnd(t testing.TB, c *client.Conn) ([]string, error) {
	t.Helper()
	ctx := testContext(t)
	var got []string
	for {
		m, err := c.Recv(ctx)
		if err != nil {
			require.NoError(t, ctx.Err(), "the connection did not end")
			return got, err
		}
		got = append(got, m)
	}
}

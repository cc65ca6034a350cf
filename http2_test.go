package sockjs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/sockjstest"
)

// An h2Service is a handler for /echo served over TLS with HTTP/2, whose
// requests must all come over HTTP/2.
type h2Service struct {
	url   string
	hc    *http.Client
	h     *sockjs.Handler
	log   *eventLog
	http1 atomic.Int64 // requests that did not come over HTTP/2
}

// startHTTP2 starts an h2Service whose callback records every call and
// then runs hook.
func startHTTP2(t *testing.T, hook func(*sockjs.Conn, sockjs.Event), opts sockjs.Options) *h2Service {
	t.Helper()
	l := newEventLog(hook)
	s := &h2Service{h: sockjs.NewHandler("/echo", l.callback, 0, opts), log: l}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			s.http1.Add(1)
		}
		s.h.ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		assert.NoError(t, s.h.Shutdown(ctx))
		srv.CloseClientConnections()
		srv.Close()
		assert.Zero(t, s.http1.Load(), "requests not over HTTP/2")
	})
	s.url, s.hc = srv.URL+"/echo", srv.Client()
	return s
}

// open opens a session over tr with a Dialer that dial, if not nil, sets
// up further, and returns the client's and the server's ends.
func (s *h2Service) open(t *testing.T, tr client.Transport, dial func(d *client.Dialer)) (*sockjstest.Conn, *sockjs.Conn) {
	t.Helper()
	sid := newSID()
	d := &client.Dialer{Transports: []client.Transport{tr}, HTTPClient: s.hc, Timeout: waitFor,
		SessionID: func() string { return sid }}
	if dial != nil {
		dial(d)
	}
	c, err := dialURL(t, d, s.url)
	require.NoError(t, err, "dial over %v", tr)
	return &sockjstest.Conn{Client: c, T: t, Timeout: waitFor}, s.log.bySID(t, sid)
}

// TestHTTP2Transports runs sessions over HTTP/2, where the response writer
// frames and buffers output on its own: every frame must reach the client
// as soon as it is written.
func TestHTTP2Transports(t *testing.T) {
	t.Parallel()
	eachTransport(t, httpTransports, func(t *testing.T, tr client.Transport) {
		s := startHTTP2(t, echo, sockjs.Options{})
		c, _ := s.open(t, tr, nil)
		for _, m := range []string{"one", "two", "three"} {
			c.Send(m)
			assert.Equal(t, m, c.Recv()) // before the next message is sent
		}
	})
}

// TestHTTP2ResponseLimit checks that a streaming response over HTTP/2 ends
// at ResponseLimit, and the next one carries on with the same session.
func TestHTTP2ResponseLimit(t *testing.T) {
	t.Parallel()
	eachTransport(t, streamingTransports, func(t *testing.T, tr client.Transport) {
		s := startHTTP2(t, echo, sockjs.Options{ResponseLimit: 4096})
		var request atomic.Int64 // of the last message frame
		c, _ := s.open(t, tr, func(d *client.Dialer) {
			d.OnFrame = func(f client.Frame) {
				if f.Data[0] == 'a' {
					request.Store(int64(f.Request))
				}
			}
		})
		big := strings.Repeat("x", 5000)
		c.Send(big)
		require.Equal(t, big, c.Recv())
		c.Send("next")
		require.Equal(t, "next", c.Recv())
		assert.Equal(t, int64(1), request.Load(), "the response after the limit")
		assert.Equal(t, 1, s.log.count(nil, sockjs.EventInit))
	})
}

// TestHTTP2Abort checks that a client that resets its HTTP/2 stream
// closes the session, as a client that drops an HTTP/1.1 connection does.
// (A polling client may go between two polls, with no stream to reset.)
func TestHTTP2Abort(t *testing.T) {
	t.Parallel()
	eachTransport(t, streamingTransports, func(t *testing.T, tr client.Transport) {
		s := startHTTP2(t, nil, sockjs.Options{})
		c, sc := s.open(t, tr, nil)
		c.Close(1000, "")
		assert.Equal(t, 1002, s.log.closed(t, sc).Code)
		assert.Equal(t, uint64(1), s.h.Stats().ClosedByCode[1002])
	})
}

// TestHTTP2Shutdown checks that Handler.Shutdown ends the sessions of
// HTTP/2 clients with a close frame.
func TestHTTP2Shutdown(t *testing.T) {
	t.Parallel()
	eachTransport(t, httpTransports, func(t *testing.T, tr client.Transport) {
		s := startHTTP2(t, nil, sockjs.Options{})
		c, _ := s.open(t, tr, nil)
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		require.NoError(t, s.h.Shutdown(ctx))
		c.ExpectClose(1001, "Server shutting down")
	})
}

package sockjs_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// wsOpener opens a session of one transport on srv with the request
// headers header and returns the server's Conn of it. The session stays
// open (streaming and websocket receivers stay attached) until the test
// ends.
type wsOpener struct {
	transport sockjs.Transport
	path      func(sid string) string // request path of the session sid
	open      func(t *testing.T, srv *httptest.Server, l *wsLog, sid string, header http.Header) *sockjs.Conn
}

// wsOpeners covers every transport.
func wsOpeners() []wsOpener {
	ws := func(t *testing.T, srv *httptest.Server, l *wsLog, sid string, header http.Header) *sockjs.Conn {
		wsDial(t, wsSessionURL(srv, sid), header)
		return l.bySID(t, sid)
	}
	raw := func(t *testing.T, srv *httptest.Server, l *wsLog, sid string, header http.Header) *sockjs.Conn {
		wsDial(t, wsURL(srv, "/echo/websocket?"+sid), header)
		return l.find(t, func(c *sockjs.Conn) bool { return c.Transport() == sockjs.TransportWebsocketRaw })
	}
	// httpOpen opens a session with a request left running (a poll may
	// end at once with the open frame).
	httpOpen := func(method, transport, query string) func(*testing.T, *httptest.Server, *wsLog, string, http.Header) *sockjs.Conn {
		return func(t *testing.T, srv *httptest.Server, l *wsLog, sid string, header http.Header) *sockjs.Conn {
			wsStartRequest(t, wsClient(t), method, wsXHRURL(srv, sid, transport)+query, header)
			return l.bySID(t, sid)
		}
	}
	session := func(transport string) func(string) string {
		return func(sid string) string { return "/echo/000/" + sid + "/" + transport }
	}
	return []wsOpener{
		{sockjs.TransportWebsocket, session("websocket"), ws},
		{sockjs.TransportWebsocketRaw, func(string) string { return "/echo/websocket" }, raw},
		{sockjs.TransportXHRPolling, session("xhr"), httpOpen("POST", "xhr", "")},
		{sockjs.TransportXHRStreaming, session("xhr_streaming"), httpOpen("POST", "xhr_streaming", "")},
		{sockjs.TransportEventSource, session("eventsource"), httpOpen("GET", "eventsource", "")},
		{sockjs.TransportHTMLFile, session("htmlfile"), httpOpen("GET", "htmlfile", "?c=cb")},
		{sockjs.TransportJSONPPolling, session("jsonp"), httpOpen("GET", "jsonp", "?c=cb")},
	}
}

func TestConnDescribesSession(t *testing.T) {
	t.Parallel()
	for _, o := range wsOpeners() {
		t.Run(string(o.transport), func(t *testing.T) {
			t.Parallel()
			srv, _, l := wsStart(t, nil, sockjs.Options{})
			sid := wsSID()
			header := http.Header{
				"User-Agent":      {"sockjs-test/1.0"},
				"Origin":          {"http://app.example"},
				"X-Forwarded-For": {"203.0.113.7, 10.0.0.1"},
				"Accept-Language": {"fr"},
				"Cookie":          {"JSESSIONID=secret"},
				"Authorization":   {"Bearer secret"},
				"X-Custom":        {"not exposed"},
			}
			conn := o.open(t, srv, l, sid, header)

			assert.Equal(t, o.transport, conn.Transport())
			assert.Equal(t, o.path(sid), conn.Path())
			assert.True(t, wsIsLoopback(conn.RemoteAddr()), "RemoteAddr %q", conn.RemoteAddr())
			assert.Equal(t, srv.Listener.Addr().String(), conn.LocalAddr())

			h := conn.Header()
			assert.Equal(t, "sockjs-test/1.0", h.Get("User-Agent"))
			assert.Equal(t, "http://app.example", h.Get("Origin"))
			assert.Equal(t, "203.0.113.7, 10.0.0.1", h.Get("X-Forwarded-For"))
			assert.Equal(t, "fr", h.Get("Accept-Language"))
			assert.Equal(t, srv.Listener.Addr().String(), h.Get("Host"))
			for _, secret := range []string{"Cookie", "Authorization", "X-Custom"} {
				assert.Empty(t, h.Values(secret), "%s exposed", secret)
			}
			for k, vs := range h {
				for _, v := range vs {
					assert.NotContains(t, v, "secret", "header %s", k)
				}
			}
			h.Set("User-Agent", "changed")
			assert.Equal(t, "sockjs-test/1.0", conn.Header().Get("User-Agent"), "Header returns a copy")
		})
	}
}

func TestConnID(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, nil, sockjs.Options{})
	sid := wsSID()
	var conns []*sockjs.Conn
	for _, o := range wsOpeners() {
		conns = append(conns, o.open(t, srv, l, sid+"_"+string(o.transport), nil))
	}
	// Two websockets with the same session id are two sessions.
	wsOpen(t, srv, sid+"_websocket")
	require.Eventually(t, func() bool { return l.total(sockjs.EventInit) == len(conns)+1 }, wsTimeout, time.Millisecond)
	conns = append(conns, l.nth(t, len(conns)))

	seen := map[string]bool{}
	for _, c := range conns {
		id := c.ID()
		assert.NotEmpty(t, id)
		assert.Equal(t, id, c.ID(), "ID is stable")
		assert.False(t, seen[id], "ID %q of %s not unique", id, c.Transport())
		seen[id] = true
		assert.NotContains(t, id, sid, "ID reveals the session id")
		assert.NotContains(t, c.Path(), id)
	}
}

func TestConnContext(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		end  func(t *testing.T, ws interface{ Close() error }, conn *sockjs.Conn)
	}{
		{"Conn.Close", func(t *testing.T, _ interface{ Close() error }, conn *sockjs.Conn) {
			require.NoError(t, conn.Close(3001, "bye"))
		}},
		{"client goes away", func(t *testing.T, ws interface{ Close() error }, _ *sockjs.Conn) {
			require.NoError(t, ws.Close())
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, _, l := wsStart(t, nil, sockjs.Options{})
			sid := wsSID()
			ws := wsOpen(t, srv, sid)
			conn := l.bySID(t, sid)
			ctx := conn.Context()
			require.NoError(t, ctx.Err(), "context of an open session")
			tc.end(t, ws, conn)
			select {
			case <-ctx.Done():
			case <-time.After(wsTimeout):
				t.Fatal("context not cancelled after the session closed")
			}
			l.waitClosed(t, conn)
			assert.Error(t, conn.Context().Err(), "context asked for after close")
		})
	}
}

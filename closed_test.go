package sockjs_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// closedEvent waits for c's EventClosed and returns it.
func (l *wsLog) closedEvent(t *testing.T, c *sockjs.Conn) sockjs.Event {
	t.Helper()
	l.waitClosed(t, c)
	for _, e := range l.entries(c) {
		if e.ev.Type == sockjs.EventClosed {
			return e.ev
		}
	}
	panic("unreachable")
}

// TestEventClosedTellsWhy ends a session in every way there is and checks
// the code and reason that EventClosed carries, and that the client got
// the same where it gets a close at all.
func TestEventClosedTellsWhy(t *testing.T) {
	t.Parallel()
	sendOnRecv := func(n int) func(*sockjs.Conn, sockjs.Event) {
		return func(c *sockjs.Conn, ev sockjs.Event) {
			if ev.Type == sockjs.EventRecv {
				c.Send(strings.Repeat("x", n))
			}
		}
	}
	cases := []struct {
		name   string
		opts   sockjs.Options
		hook   func(*sockjs.Conn, sockjs.Event)
		end    func(t *testing.T, srv *httptest.Server, h *sockjs.Handler, l *wsLog) *sockjs.Conn
		code   int
		reason string
	}{
		{name: "application", hook: func(c *sockjs.Conn, ev sockjs.Event) {
			if ev.Type == sockjs.EventRecv {
				c.Close(4000, "bye "+ev.Data)
			}
		}, end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
			c := wsOpen(t, srv, wsSID())
			wsWrite(t, c, `["now"]`)
			assert.Equal(t, `c[4000,"bye now"]`, wsRead(t, c))
			assert.Equal(t, 4000, wsReadClose(t, c).Code)
			return l.nth(t, 0)
		}, code: 4000, reason: "bye now"},
		{name: "application default", end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
			client, sid := wsClient(t), wsSID()
			require.Equal(t, "o", wsPoll(t, client, srv, sid))
			conn := l.nth(t, 0)
			require.NoError(t, conn.Close(0, ""))
			assert.Equal(t, `c[3000,"Go away!"]`, wsPoll(t, client, srv, sid))
			return conn
		}, code: sockjs.CloseGoAway, reason: "Go away!"},
		{name: "websocket client close frame", end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
			c := wsOpen(t, srv, wsSID())
			require.NoError(t, c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "client bye"), time.Now().Add(wsTimeout)))
			return l.nth(t, 0)
		}, code: 4001, reason: "client bye"},
		{name: "websocket client close without code", end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
			c := wsOpen(t, srv, wsSID())
			require.NoError(t, c.WriteControl(websocket.CloseMessage, nil, time.Now().Add(wsTimeout)))
			return l.nth(t, 0)
		}, code: sockjs.CloseNormal, reason: "Normal closure"},
		{name: "hixie-76 closing frame", end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
			c := utf8Endpoint{hixie: true}.open(t, srv)
			_, err := c.nc.Write([]byte{0xff, 0x00})
			require.NoError(t, err)
			return l.nth(t, 0)
		}, code: sockjs.CloseNormal, reason: "Normal closure"},
		{name: "websocket dropped", end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
			wsOpen(t, srv, wsSID()).Close()
			return l.nth(t, 0)
		}, code: sockjs.CloseInterrupted, reason: "Connection interrupted"},
		{name: "poll aborted", end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
			client, sid := wsClient(t), wsSID()
			require.Equal(t, "o", wsPoll(t, client, srv, sid))
			wsAttachedPoll(t, client, srv, sid).cancel()
			return l.nth(t, 0)
		}, code: sockjs.CloseInterrupted, reason: "Connection interrupted"},
		{name: "disconnect timer", opts: sockjs.Options{DisconnectDelay: 50 * time.Millisecond},
			end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
				require.Equal(t, "o", wsPoll(t, wsClient(t), srv, wsSID()))
				return l.nth(t, 0)
			}, code: sockjs.CloseInterrupted, reason: "Session timed out"},
		{name: "queue full", opts: sockjs.Options{MaxQueuedBytes: 1000, Logger: discardLogger}, hook: sendOnRecv(2000),
			end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
				client, sid := wsClient(t), wsSID()
				require.Equal(t, "o", wsPoll(t, client, srv, sid))
				wsXHRSend(t, client, srv, sid, `["go"]`)
				assert.Equal(t, `c[1013,"Outbound queue full"]`, wsPoll(t, client, srv, sid))
				return l.nth(t, 0)
			}, code: sockjs.CloseQueueFull, reason: "Outbound queue full"},
		{name: "message too big", opts: sockjs.Options{MaxMessageSize: 64},
			end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
				c := wsOpen(t, srv, wsSID())
				wsWrite(t, c, wsFrameLen(65))
				assert.Equal(t, websocket.CloseMessageTooBig, wsReadClose(t, c).Code)
				return l.nth(t, 0)
			}, code: sockjs.CloseTooBig, reason: "Message too big"},
		{name: "invalid UTF-8", end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
			c := utf8Endpoint{}.open(t, srv)
			c.writeText("[\"\xff\"]")
			_, code, _ := c.read()
			assert.Equal(t, sockjs.CloseInvalidUTF8, code)
			return l.nth(t, 0)
		}, code: sockjs.CloseInvalidUTF8, reason: "Invalid UTF-8 in text frame"},
		{name: "broken JSON", end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
			c := wsOpen(t, srv, wsSID())
			wsWrite(t, c, `["a`)
			ce := wsReadClose(t, c)
			assert.Equal(t, sockjs.CloseBrokenJSON, ce.Code)
			assert.Equal(t, "Broken JSON encoding.", ce.Text)
			return l.nth(t, 0)
		}, code: sockjs.CloseBrokenJSON, reason: "Broken JSON encoding."},
		{name: "panic", opts: sockjs.Options{Logger: discardLogger}, hook: func(c *sockjs.Conn, ev sockjs.Event) {
			if ev.Type == sockjs.EventRecv {
				panic("boom")
			}
		}, end: func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) *sockjs.Conn {
			c := wsOpen(t, srv, wsSID())
			wsWrite(t, c, `["x"]`)
			assert.Equal(t, `c[1011,"Internal server error"]`, wsRead(t, c))
			return l.nth(t, 0)
		}, code: sockjs.CloseServerError, reason: "Internal server error"},
		{name: "Shutdown", end: func(t *testing.T, srv *httptest.Server, h *sockjs.Handler, l *wsLog) *sockjs.Conn {
			c := wsOpen(t, srv, wsSID())
			conn := l.nth(t, 0)
			shutdown(t, h)
			assert.Equal(t, `c[1001,"Server shutting down"]`, wsRead(t, c))
			return conn
		}, code: sockjs.CloseShutdown, reason: "Server shutting down"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, h, l := wsStart(t, tc.hook, tc.opts)
			conn := tc.end(t, srv, h, l)
			ev := l.closedEvent(t, conn)
			assert.Equal(t, tc.code, ev.Code)
			assert.Equal(t, tc.reason, ev.Reason)
			assert.Equal(t, map[int]uint64{tc.code: 1}, h.Stats().ClosedByCode)
		})
	}
}

// TestEventClosedAnotherConnection checks that refusing a second receiver
// with 2010 leaves the session open.
func TestEventClosedAnotherConnection(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, nil, sockjs.Options{})
	client, sid := wsClient(t), wsSID()
	require.Equal(t, "o", wsPoll(t, client, srv, sid))
	wsAttachedPoll(t, client, srv, sid) // checks the 2010 of the other poll
	conn := l.nth(t, 0)
	assert.Never(t, func() bool { return l.count(conn, sockjs.EventClosed) > 0 },
		200*time.Millisecond, 10*time.Millisecond)
	status, _ := wsDo(t, client, http.MethodPost, wsXHRURL(srv, sid, "xhr_send"), `["still open"]`, nil)
	assert.Equal(t, http.StatusNoContent, status)
}

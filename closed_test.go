package sockjs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// TestEventClosedTellsWhy ends a session in every way there is and checks
// the code and reason that EventClosed carries, and that the client got
// the same where it gets a close at all.
func TestEventClosedTellsWhy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		opts   sockjs.Options
		hook   func(*sockjs.Conn, sockjs.Event)
		end    func(t *testing.T, svc *service) *sockjs.Conn
		code   int
		reason string
	}{
		{name: "application", hook: func(c *sockjs.Conn, ev sockjs.Event) {
			if ev.Type == sockjs.EventRecv {
				c.Close(4000, "bye "+ev.Data)
			}
		}, end: func(t *testing.T, svc *service) *sockjs.Conn {
			c, conn := svc.open(t, client.Websocket)
			c.Send("now")
			c.ExpectClose(4000, "bye now")
			return conn
		}, code: 4000, reason: "bye now"},
		{name: "application default", end: func(t *testing.T, svc *service) *sockjs.Conn {
			c, conn := svc.open(t, client.XHRPolling)
			require.NoError(t, conn.Close(0, ""))
			c.ExpectClose(sockjs.CloseGoAway, "Go away!")
			return conn
		}, code: sockjs.CloseGoAway, reason: "Go away!"},
		{name: "websocket client close frame", end: func(t *testing.T, svc *service) *sockjs.Conn {
			c, conn := svc.open(t, client.Websocket)
			c.Close(4001, "client bye")
			return conn
		}, code: 4001, reason: "client bye"},
		{name: "websocket client close without code", end: func(t *testing.T, svc *service) *sockjs.Conn {
			c := svc.rawWS(t, "/websocket", nil)
			require.NoError(t, c.WriteControl(websocket.CloseMessage, nil, time.Now().Add(waitFor)))
			return svc.log.nth(t, 0)
		}, code: sockjs.CloseNormal, reason: "Normal closure"},
		{name: "hixie-76 closing frame", end: func(t *testing.T, svc *service) *sockjs.Conn {
			c := utf8Endpoint{hixie: true}.open(t, svc.HTTP)
			_, err := c.nc.Write([]byte{0xff, 0x00})
			require.NoError(t, err)
			return svc.log.nth(t, 0)
		}, code: sockjs.CloseNormal, reason: "Normal closure"},
		{name: "websocket dropped", end: func(t *testing.T, svc *service) *sockjs.Conn {
			_, conn, drop := svc.dial(t, svc.dialer(client.Websocket, newSID()))
			drop()
			return conn
		}, code: sockjs.CloseInterrupted, reason: "Connection interrupted"},
		{name: "disconnect timer", opts: sockjs.Options{DisconnectDelay: 50 * time.Millisecond},
			end: func(t *testing.T, svc *service) *sockjs.Conn {
				sid := newSID()
				rawReceive(t, svc, client.XHRPolling, sid) // and polls no more
				return svc.log.bySID(t, sid)
			}, code: sockjs.CloseInterrupted, reason: "Session timed out"},
		{name: "queue full", opts: sockjs.Options{MaxQueuedBytes: 1000, Logger: discardLogger}, hook: func(c *sockjs.Conn, ev sockjs.Event) {
			if ev.Type == sockjs.EventRecv {
				c.Send(strings.Repeat("x", 2000))
			}
		}, end: func(t *testing.T, svc *service) *sockjs.Conn {
			c, conn := svc.open(t, client.XHRPolling)
			c.Send("go")
			c.ExpectClose(sockjs.CloseQueueFull, "Outbound queue full")
			return conn
		}, code: sockjs.CloseQueueFull, reason: "Outbound queue full"},
		{name: "message too big", opts: sockjs.Options{MaxMessageSize: 64},
			end: func(t *testing.T, svc *service) *sockjs.Conn {
				c, conn := svc.open(t, client.Websocket)
				sendMayClose(c, strings.Repeat("x", 61)) // ["x…"] is 65 bytes
				_, err := recvEnd(t, c)
				var ce *client.CloseError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, sockjs.CloseTooBig, ce.Code)
				return conn
			}, code: sockjs.CloseTooBig, reason: "Message too big"},
		{name: "invalid UTF-8", end: func(t *testing.T, svc *service) *sockjs.Conn {
			c := utf8Endpoint{}.open(t, svc.HTTP)
			c.writeText("[\"\xff\"]")
			_, code, _ := c.read()
			assert.Equal(t, sockjs.CloseInvalidUTF8, code)
			return svc.log.nth(t, 0)
		}, code: sockjs.CloseInvalidUTF8, reason: "Invalid UTF-8 in text frame"},
		{name: "broken JSON", end: func(t *testing.T, svc *service) *sockjs.Conn {
			c := svc.rawWS(t, "/000/"+newSID()+"/websocket", nil)
			require.Equal(t, "o", wsRead(t, c))
			wsWrite(t, c, `["a`)
			ce := wsReadClose(t, c)
			assert.Equal(t, sockjs.CloseBrokenJSON, ce.Code)
			assert.Equal(t, "Broken JSON encoding.", ce.Text)
			return svc.log.nth(t, 0)
		}, code: sockjs.CloseBrokenJSON, reason: "Broken JSON encoding."},
		{name: "panic", opts: sockjs.Options{Logger: discardLogger}, hook: func(c *sockjs.Conn, ev sockjs.Event) {
			if ev.Type == sockjs.EventRecv {
				panic("boom")
			}
		}, end: func(t *testing.T, svc *service) *sockjs.Conn {
			c, conn := svc.open(t, client.Websocket)
			sendMayClose(c, "x")
			c.ExpectClose(sockjs.CloseServerError, "Internal server error")
			return conn
		}, code: sockjs.CloseServerError, reason: "Internal server error"},
		{name: "Shutdown", end: func(t *testing.T, svc *service) *sockjs.Conn {
			c, conn := svc.open(t, client.Websocket)
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			require.NoError(t, svc.h.Shutdown(ctx))
			c.ExpectClose(sockjs.CloseShutdown, "Server shutting down")
			return conn
		}, code: sockjs.CloseShutdown, reason: "Server shutting down"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc := startService(t, tc.hook, tc.opts)
			conn := tc.end(t, svc)
			ev := svc.log.closed(t, conn)
			assert.Equal(t, tc.code, ev.Code)
			assert.Equal(t, tc.reason, ev.Reason)
			assert.Equal(t, map[int]uint64{tc.code: 1}, svc.h.Stats().ClosedByCode)
		})
	}
}

package sockjs_test

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// isLoopback reports whether addr is host:port on a loopback address.
func isLoopback(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sessionPath is the request path of session sid of tr, under /echo with
// server id 000.
func sessionPath(tr client.Transport, sid string) string {
	suffix := map[client.Transport]string{
		client.Websocket: "websocket", client.XHRStreaming: "xhr_streaming", client.EventSource: "eventsource",
		client.HTMLFile: "htmlfile", client.XHRPolling: "xhr", client.JSONPPolling: "jsonp",
	}[tr]
	if tr == client.WebsocketRaw {
		return "/echo/websocket"
	}
	return "/echo/000/" + sid + "/" + suffix
}

func TestConnDescribesSession(t *testing.T) {
	t.Parallel()
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, nil, sockjs.Options{})
		sid := newSID()
		d := svc.dialer(tr, sid)
		d.ServerID = "000"
		d.Header = http.Header{
			"User-Agent":      {"sockjs-test/1.0"},
			"Origin":          {"http://app.example"},
			"X-Forwarded-For": {"203.0.113.7, 10.0.0.1"},
			"Accept-Language": {"fr"},
			"Cookie":          {"JSESSIONID=secret"},
			"Authorization":   {"Bearer secret"},
			"X-Custom":        {"not exposed"},
		}
		_, conn := svc.openWith(t, d)

		assert.Equal(t, string(tr), string(conn.Transport()))
		assert.Equal(t, sessionPath(tr, sid), conn.Path())
		assert.True(t, isLoopback(conn.RemoteAddr()), "RemoteAddr %q", conn.RemoteAddr())
		addr := svc.HTTP.Listener.Addr().String()
		assert.Equal(t, addr, conn.LocalAddr())

		h := conn.Header()
		assert.Equal(t, "sockjs-test/1.0", h.Get("User-Agent"))
		assert.Equal(t, "http://app.example", h.Get("Origin"))
		assert.Equal(t, "203.0.113.7, 10.0.0.1", h.Get("X-Forwarded-For"))
		assert.Equal(t, "fr", h.Get("Accept-Language"))
		assert.Equal(t, addr, h.Get("Host"))
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

func TestConnID(t *testing.T) {
	t.Parallel()
	svc := startService(t, nil, sockjs.Options{})
	sid := newSID()
	var conns []*sockjs.Conn
	for _, tr := range allTransports {
		_, conn := svc.openWith(t, svc.dialer(tr, sid+"_"+string(tr)))
		conns = append(conns, conn)
	}
	// Two websockets with the same session id are two sessions.
	svc.openWith(t, svc.dialer(client.Websocket, sid+"_websocket"))
	conns = append(conns, svc.log.nth(t, len(conns)))

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
		end  func(t *testing.T, drop func(), conn *sockjs.Conn)
	}{
		{"Conn.Close", func(t *testing.T, _ func(), conn *sockjs.Conn) { require.NoError(t, conn.Close(3001, "bye")) }},
		{"client goes away", func(t *testing.T, drop func(), _ *sockjs.Conn) { drop() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
				svc := startService(t, nil, sockjs.Options{DisconnectDelay: quiet})
				_, conn, drop := svc.dial(t, svc.dialer(tr, newSID()))
				ctx := conn.Context()
				require.NoError(t, ctx.Err(), "context of an open session")
				tc.end(t, drop, conn)
				select {
				case <-ctx.Done():
				case <-time.After(waitFor):
					t.Fatal("context not cancelled after the session closed")
				}
				svc.log.closed(t, conn)
				assert.Error(t, conn.Context().Err(), "context asked for after close")
			})
		})
	}
}

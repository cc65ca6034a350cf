package sockjs_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// The websocket tests that read the wire through gorilla/websocket assert
// what package client hides: the frames as sent, pings, WebSocket close
// frames, handshakes.

// wsRead reads one text message.
func wsRead(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitFor))
	typ, p, err := c.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, websocket.TextMessage, typ)
	return string(p)
}

// wsWrite writes one text message.
func wsWrite(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(waitFor))
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte(msg)))
}

// wsReadClose reads until the websocket ends, failing on any message, and
// returns the close frame the server sent.
func wsReadClose(t *testing.T, c *websocket.Conn) *websocket.CloseError {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitFor))
	_, p, err := c.ReadMessage()
	require.Error(t, err, "expected the websocket to close, got message %q", p)
	var ce *websocket.CloseError
	require.ErrorAs(t, err, &ce, "expected a websocket close frame")
	return ce
}

// wsMessages decodes an "a" frame.
func wsMessages(t *testing.T, f string) []string {
	t.Helper()
	require.True(t, strings.HasPrefix(f, "a"), "not a message frame: %q", f)
	var ms []string
	require.NoError(t, json.Unmarshal([]byte(f[1:]), &ms), "frame %q", f)
	return ms
}

// wsReadMsgs reads "a" frames (skipping heartbeats) until it has n messages.
func wsReadMsgs(t *testing.T, c *websocket.Conn, n int) []string {
	t.Helper()
	var ms []string
	for len(ms) < n {
		f := wsRead(t, c)
		if f == "h" {
			continue
		}
		ms = append(ms, wsMessages(t, f)...)
	}
	require.Len(t, ms, n, "more messages than expected")
	return ms
}

func TestWebsocketOpenAndEcho(t *testing.T) {
	t.Parallel()
	svc := startService(t, echo, sockjs.Options{})
	cases := []struct {
		name   string
		frames []string // sent in order, as the client would not
		want   []string // messages echoed, and received by the callback
	}{
		{"array", []string{`["a"]`}, []string{"a"}},
		{"bare string", []string{`"a"`}, []string{"a"}},
		{"several", []string{`["a","b"]`, `"c"`}, []string{"a", "b", "c"}},
		{"empty frame ignored", []string{"", `["b"]`}, []string{"b"}},
		{"empty array ignored", []string{"[]", `["b"]`}, []string{"b"}},
		{"white space", []string{` [ "a" , "b" ] `}, []string{"a", "b"}},
		{"unicode", []string{`["\u00e9\u2603 Hello world!\uffff"]`}, []string{"é☃ Hello world!\uffff"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sid := newSID()
			c := svc.rawWS(t, "/000/"+sid+"/websocket", nil)
			require.Equal(t, "o", wsRead(t, c), "the open frame comes first")
			for _, f := range tc.frames {
				wsWrite(t, c, f)
			}
			assert.Equal(t, tc.want, wsReadMsgs(t, c, len(tc.want)))
			assert.Equal(t, tc.want, svc.log.recvs(svc.log.bySID(t, sid)))
		})
	}
}

func TestWebsocketBrokenJSON(t *testing.T) {
	t.Parallel()
	svc := startService(t, echo, sockjs.Options{})
	for _, payload := range []string{`["a`, `[a]`, `{"a":1}`, `["a"]x`, `[1]`} {
		t.Run(payload, func(t *testing.T) {
			t.Parallel()
			sid := newSID()
			c := svc.rawWS(t, "/000/"+sid+"/websocket", nil)
			require.Equal(t, "o", wsRead(t, c))
			wsWrite(t, c, payload)
			ce := wsReadClose(t, c) // no "c" frame before the websocket close
			assert.Equal(t, websocket.CloseUnsupportedData, ce.Code)
			conn := svc.log.bySID(t, sid)
			svc.log.closed(t, conn)
			assert.Empty(t, svc.log.recvs(conn))
		})
	}
}

func TestCloseFromInit(t *testing.T) {
	t.Parallel()
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, func(c *sockjs.Conn, ev sockjs.Event) {
			if ev.Type == sockjs.EventInit {
				c.Close(3000, "Go away!")
			}
		}, sockjs.Options{})
		c, err := svc.Dial(t.Context(), tr)
		if err == nil { // the raw endpoint has no open frame before the close
			defer c.Close(1000, "")
			_, err = c.Recv(t.Context())
		}
		assert.Equal(t, &client.CloseError{Code: 3000, Reason: "Go away!"}, err)
		conn := svc.log.nth(t, 0)
		svc.log.closed(t, conn)
		assert.Equal(t, []sockjs.EventType{sockjs.EventInit, sockjs.EventClosed}, svc.log.types(conn))
	})
}

func TestWebsocketSameSessionIDIndependent(t *testing.T) {
	t.Parallel()
	svc := startService(t, echo, sockjs.Options{})
	sid := newSID()
	c1, conn1 := svc.openWith(t, svc.dialer(client.Websocket, sid))
	c2, _ := svc.openWith(t, svc.dialer(client.Websocket, sid))
	conn2 := svc.log.nth(t, 1)
	assert.NotEqual(t, conn1.ID(), conn2.ID())

	c1.Send("one")
	assert.Equal(t, "one", c1.Recv())
	c2.Send("two")
	assert.Equal(t, "two", c2.Recv(), "the second socket got the first one's echo")

	// Ending the first socket leaves the second open.
	c1.Close(1000, "")
	svc.log.closed(t, conn1)
	c2.Send("three")
	assert.Equal(t, "three", c2.Recv())
	assert.Equal(t, 1, svc.log.count(nil, sockjs.EventClosed))
}

func TestWebsocketPingPong(t *testing.T) {
	t.Parallel()
	const (
		hb   = 50 * time.Millisecond
		pong = 100 * time.Millisecond
	)
	opts := sockjs.Options{HeartbeatDelay: hb, PongTimeout: pong}

	t.Run("answering client stays", func(t *testing.T) {
		t.Parallel()
		svc := startService(t, echo, opts)
		c := svc.rawWS(t, "/000/"+newSID()+"/websocket", nil)
		var pings atomic.Int64
		c.SetPingHandler(func(data string) error {
			pings.Add(1)
			return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		require.Equal(t, "o", wsRead(t, c))
		// The client sends nothing but pongs for many times the read timeout.
		for start := time.Now(); time.Since(start) < 6*(hb+pong); {
			require.Equal(t, "h", wsRead(t, c))
		}
		assert.GreaterOrEqual(t, pings.Load(), int64(3), "the server pings every HeartbeatDelay")
		conn := svc.log.nth(t, 0)
		assert.Zero(t, svc.log.count(conn, sockjs.EventClosed), "a client answering pings was dropped")
		wsWrite(t, c, `["still here"]`)
		assert.Equal(t, []string{"still here"}, wsReadMsgs(t, c, 1))
	})

	cases := []struct {
		name   string
		client func(t *testing.T, c *websocket.Conn)
	}{
		{"client ignores pings", func(t *testing.T, c *websocket.Conn) {
			c.SetPingHandler(func(string) error { return nil })
			go func() { // read, so that pings reach the handler, until the server drops us
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}()
		}},
		{"client never reads", func(*testing.T, *websocket.Conn) {}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var closedAt atomic.Pointer[time.Time]
			svc := startService(t, func(_ *sockjs.Conn, ev sockjs.Event) {
				if ev.Type == sockjs.EventClosed {
					now := time.Now()
					closedAt.Store(&now)
				}
			}, opts)
			start := time.Now()
			c := svc.rawWS(t, "/000/"+newSID()+"/websocket", nil)
			tc.client(t, c)
			conn := svc.log.nth(t, 0)
			svc.log.until(t, "EventClosed", func() bool { return svc.log.countLocked(conn, sockjs.EventClosed) > 0 })
			assert.GreaterOrEqual(t, closedAt.Load().Sub(start), (hb+pong)*9/10,
				"dropped before HeartbeatDelay+PongTimeout")
			assert.Equal(t, uint64(1), svc.h.Stats().SessionsClosed)
		})
	}
}

func TestWebsocketMaxMessageSize(t *testing.T) {
	t.Parallel()
	const limit = 64
	svc := startService(t, echo, sockjs.Options{MaxMessageSize: limit})
	t.Run("at the limit", func(t *testing.T) {
		t.Parallel()
		c, _ := svc.open(t, client.Websocket)
		m := strings.Repeat("x", limit-4) // ["x…"]
		c.Send(m)
		assert.Equal(t, m, c.Recv())
	})
	t.Run("over the limit", func(t *testing.T) {
		t.Parallel()
		c, conn := svc.open(t, client.Websocket)
		sendMayClose(c, strings.Repeat("x", limit-3))
		_, err := recvEnd(t, c)
		var ce *client.CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, websocket.CloseMessageTooBig, ce.Code)
		svc.log.closed(t, conn)
		assert.Empty(t, svc.log.recvs(conn))
	})
}

func TestWebsocketBadRequests(t *testing.T) {
	t.Parallel()
	svc := startService(t, nil, sockjs.Options{})
	cases := []struct {
		name   string
		header http.Header
		status int
		body   string
	}{
		{"plain GET", nil, http.StatusBadRequest, `Can "Upgrade" only to "WebSocket".`},
		{"upgrade to something else", http.Header{"Upgrade": {"h2c"}, "Connection": {"Upgrade"}},
			http.StatusBadRequest, `Can "Upgrade" only to "WebSocket".`},
		{"Connection: close", http.Header{"Upgrade": {"WebSocket"}, "Connection": {"close"}},
			http.StatusBadRequest, "Not a valid websocket request"},
	}
	paths := map[string]string{"sockjs": "/000/" + newSID() + "/websocket", "raw": "/websocket"}
	for kind, path := range paths {
		for _, tc := range cases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				status, body := svc.request(t, http.MethodGet, path, "", tc.header)
				assert.Equal(t, tc.status, status)
				assert.Equal(t, tc.body, body)
			})
		}
	}
	assert.Zero(t, svc.log.count(nil, sockjs.EventInit), "a refused upgrade opened a session")
}

func TestWebsocketDisabled(t *testing.T) {
	t.Parallel()
	svc := startService(t, nil, sockjs.Options{DisableWebsocket: true})
	for _, path := range []string{"/000/" + newSID() + "/websocket", "/websocket"} {
		status, _ := svc.handshakeStatus(t, path)
		assert.Equal(t, http.StatusNotFound, status, path)
	}
	assert.Zero(t, svc.h.Stats().SessionsOpened)
}

func TestRawWebsocketEcho(t *testing.T) {
	t.Parallel()
	svc := startService(t, echo, sockjs.Options{})
	c, conn := svc.open(t, client.WebsocketRaw)
	msgs := []string{"Hello world!", "Hello world!\uffff", `["not","decoded"]`, "o", "é☃\u2028", ""}
	for _, m := range msgs {
		c.Send(m)
		assert.Equal(t, m, c.Recv(), "no open frame, no framing")
	}
	assert.Equal(t, msgs, svc.log.recvs(conn))
}

func TestRawWebsocketNoHeartbeatFrames(t *testing.T) {
	t.Parallel()
	const delay = 30 * time.Millisecond
	svc := startService(t, echo, sockjs.Options{HeartbeatDelay: delay})
	c := svc.rawWS(t, "/websocket", nil)
	var pings atomic.Int64
	c.SetPingHandler(func(data string) error {
		pings.Add(1)
		return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go func() {
		time.Sleep(10 * delay)
		c.WriteMessage(websocket.TextMessage, []byte("first"))
	}()
	assert.Equal(t, "first", wsRead(t, c), "a raw websocket gets no open or heartbeat frames")
	assert.Positive(t, pings.Load(), "raw websockets are pinged")
}

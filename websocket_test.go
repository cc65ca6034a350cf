package sockjs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// Helpers of the websocket, session, conn, stats and shutdown tests; all
// named ws* so that they do not collide with the HTTP transport helpers.

const wsTimeout = 5 * time.Second

var wsSeq atomic.Int64

// wsSID returns a session id no other test uses.
func wsSID() string {
	return fmt.Sprintf("w%d_%d", time.Now().UnixNano(), wsSeq.Add(1))
}

// wsEntry is one callback call: the event and the state it was given.
type wsEntry struct {
	ev    sockjs.Event
	state int
}

// wsLog is a callback that records every call, per session, and then runs
// hook (if set before the handler serves).
type wsLog struct {
	hook func(c *sockjs.Conn, ev sockjs.Event)

	mu    sync.Mutex
	conns []*sockjs.Conn
	calls map[*sockjs.Conn][]wsEntry
}

func (l *wsLog) callback(c *sockjs.Conn, ev sockjs.Event, st int) int {
	l.mu.Lock()
	if l.calls == nil {
		l.calls = make(map[*sockjs.Conn][]wsEntry)
	}
	if ev.Type == sockjs.EventInit {
		l.conns = append(l.conns, c)
	}
	l.calls[c] = append(l.calls[c], wsEntry{ev: ev, state: st})
	l.mu.Unlock()
	if l.hook != nil {
		l.hook(c, ev)
	}
	return st + 1
}

// find waits for the session whose Conn matches and returns it.
func (l *wsLog) find(t *testing.T, match func(c *sockjs.Conn) bool) *sockjs.Conn {
	t.Helper()
	var found *sockjs.Conn
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, c := range l.conns {
			if match(c) {
				found = c
				return true
			}
		}
		return false
	}, wsTimeout, time.Millisecond, "no such session got EventInit")
	return found
}

// bySID waits for the session opened with session id sid.
func (l *wsLog) bySID(t *testing.T, sid string) *sockjs.Conn {
	t.Helper()
	return l.find(t, func(c *sockjs.Conn) bool { return strings.Contains(c.Path(), "/"+sid+"/") })
}

// nth waits for the i-th session (counting from 0) to get EventInit.
func (l *wsLog) nth(t *testing.T, i int) *sockjs.Conn {
	t.Helper()
	n := -1
	return l.find(t, func(*sockjs.Conn) bool { n++; return n == i })
}

func (l *wsLog) entries(c *sockjs.Conn) []wsEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wsEntry(nil), l.calls[c]...)
}

// types returns the event types c's callback got, in order.
func (l *wsLog) types(c *sockjs.Conn) []sockjs.EventType {
	var ts []sockjs.EventType
	for _, e := range l.entries(c) {
		ts = append(ts, e.ev.Type)
	}
	return ts
}

// count returns how many events of type typ c's callback got.
func (l *wsLog) count(c *sockjs.Conn, typ sockjs.EventType) int {
	n := 0
	for _, e := range l.entries(c) {
		if e.ev.Type == typ {
			n++
		}
	}
	return n
}

// total returns how many events of type typ all callbacks got.
func (l *wsLog) total(typ sockjs.EventType) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, es := range l.calls {
		for _, e := range es {
			if e.ev.Type == typ {
				n++
			}
		}
	}
	return n
}

// recvs returns the messages c's callback received.
func (l *wsLog) recvs(c *sockjs.Conn) []string {
	var ms []string
	for _, e := range l.entries(c) {
		if e.ev.Type == sockjs.EventRecv {
			ms = append(ms, e.ev.Data)
		}
	}
	return ms
}

// waitClosed waits until c's callback got EventClosed.
func (l *wsLog) waitClosed(t *testing.T, c *sockjs.Conn) {
	t.Helper()
	require.Eventually(t, func() bool { return l.count(c, sockjs.EventClosed) > 0 },
		wsTimeout, time.Millisecond, "no EventClosed; events so far: %v", l.types(c))
}

// wsEcho is a hook that echoes every message.
func wsEcho(c *sockjs.Conn, ev sockjs.Event) {
	if ev.Type == sockjs.EventRecv {
		c.Send(ev.Data)
	}
}

// wsStart serves a handler for prefix /echo with a wsLog running hook. At
// the end of the test the handler is shut down (which must succeed) and
// the server closed.
func wsStart(t *testing.T, hook func(*sockjs.Conn, sockjs.Event), opts sockjs.Options) (*httptest.Server, *sockjs.Handler, *wsLog) {
	t.Helper()
	l := &wsLog{hook: hook}
	h := sockjs.NewHandler("/echo", l.callback, 0, opts)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
		defer cancel()
		assert.NoError(t, h.Shutdown(ctx), "Shutdown at the end of the test")
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv, h, l
}

// wsURL returns the ws:// URL of path on srv.
func wsURL(srv *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + path
}

// wsSessionURL returns the SockJS websocket URL of session sid.
func wsSessionURL(srv *httptest.Server, sid string) string {
	return wsURL(srv, "/echo/000/"+sid+"/websocket")
}

// wsDial opens a websocket, closed when the test ends.
func wsDial(t *testing.T, url string, header http.Header) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: wsTimeout}
	c, resp, err := d.Dial(url, header)
	if resp != nil {
		resp.Body.Close()
	}
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// wsDialStatus dials a websocket that the server must refuse and returns
// the status code and body of the refusal.
func wsDialStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: wsTimeout}
	c, resp, err := d.Dial(url, nil)
	if c != nil {
		c.Close()
	}
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	require.NotNil(t, resp)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// wsOpen dials session sid's websocket and reads its open frame.
func wsOpen(t *testing.T, srv *httptest.Server, sid string) *websocket.Conn {
	t.Helper()
	c := wsDial(t, wsSessionURL(srv, sid), nil)
	require.Equal(t, "o", wsRead(t, c))
	return c
}

// wsRead reads one text message.
func wsRead(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wsTimeout))
	typ, p, err := c.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, websocket.TextMessage, typ)
	return string(p)
}

// wsWrite writes one text message.
func wsWrite(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(wsTimeout))
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte(msg)))
}

// wsReadClose reads until the websocket ends, failing on any message, and
// returns the close frame the server sent.
func wsReadClose(t *testing.T, c *websocket.Conn) *websocket.CloseError {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wsTimeout))
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

// wsReadUntilClose reads frames until the SockJS close frame and returns
// the messages before it and the close frame.
func wsReadUntilClose(t *testing.T, c *websocket.Conn) ([]string, string) {
	t.Helper()
	var ms []string
	for {
		f := wsRead(t, c)
		switch {
		case f == "h":
		case strings.HasPrefix(f, "c"):
			return ms, f
		default:
			ms = append(ms, wsMessages(t, f)...)
		}
	}
}

// wsClient returns an HTTP client of the test's own, whose idle
// connections are closed when the test ends.
func wsClient(t *testing.T) *http.Client {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// wsDo sends a request and returns its status and body.
func wsDo(t *testing.T, client *http.Client, method, url, body string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// wsXHRURL returns the URL of an HTTP transport of session sid.
func wsXHRURL(srv *httptest.Server, sid, transport string) string {
	return srv.URL + "/echo/000/" + sid + "/" + transport
}

// wsPoll makes one xhr poll, which must succeed, and returns its frame
// without the trailing newline.
func wsPoll(t *testing.T, client *http.Client, srv *httptest.Server, sid string) string {
	t.Helper()
	status, body := wsDo(t, client, http.MethodPost, wsXHRURL(srv, sid, "xhr"), "", nil)
	require.Equal(t, http.StatusOK, status, "body %q", body)
	require.True(t, strings.HasSuffix(body, "\n"), "body %q", body)
	return strings.TrimSuffix(body, "\n")
}

// wsXHRSend posts body to session sid's xhr_send and requires a 204.
func wsXHRSend(t *testing.T, client *http.Client, srv *httptest.Server, sid, body string) {
	t.Helper()
	status, got := wsDo(t, client, http.MethodPost, wsXHRURL(srv, sid, "xhr_send"), body, nil)
	require.Equal(t, http.StatusNoContent, status, "body %q", got)
}

// wsPollUntilClose polls until the close frame and returns the messages
// before it and the close frame.
func wsPollUntilClose(t *testing.T, client *http.Client, srv *httptest.Server, sid string) ([]string, string) {
	t.Helper()
	var ms []string
	for range 100 {
		f := wsPoll(t, client, srv, sid)
		switch {
		case f == "h":
		case strings.HasPrefix(f, "c"):
			return ms, f
		default:
			ms = append(ms, wsMessages(t, f)...)
		}
	}
	t.Fatal("no close frame in 100 polls")
	return nil, ""
}

// wsAsync is a request running on another goroutine.
type wsAsync struct {
	cancel context.CancelFunc
	done   chan struct{}
	status int
	body   string
	err    error
}

// wsStartRequest sends a request on another goroutine. It is aborted, and
// waited for, when the test ends.
func wsStartRequest(t *testing.T, client *http.Client, method, url string, header http.Header) *wsAsync {
	ctx, cancel := context.WithCancel(context.Background())
	a := &wsAsync{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		req, err := http.NewRequestWithContext(ctx, method, url, nil)
		if err != nil {
			a.err = err
			return
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			a.err = err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		a.status, a.body, a.err = resp.StatusCode, string(b), err
	}()
	t.Cleanup(func() { cancel(); <-a.done })
	return a
}

// wait waits for the request to end.
func (a *wsAsync) wait(t *testing.T) {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(wsTimeout):
		t.Fatal("request did not end within 5s")
	}
}

// wsAttachedPoll starts an xhr poll on the open session sid and returns it
// once it is certainly attached: of two concurrent polls the server refuses
// the later with 2010 only while the earlier is attached.
func wsAttachedPoll(t *testing.T, client *http.Client, srv *httptest.Server, sid string) *wsAsync {
	t.Helper()
	url := wsXHRURL(srv, sid, "xhr")
	a := wsStartRequest(t, client, http.MethodPost, url, nil)
	b := wsStartRequest(t, client, http.MethodPost, url, nil)
	var refused, attached *wsAsync
	select {
	case <-a.done:
		refused, attached = a, b
	case <-b.done:
		refused, attached = b, a
	case <-time.After(wsTimeout):
		t.Fatal("neither of two concurrent polls was refused within 5s")
	}
	require.NoError(t, refused.err)
	require.Equal(t, `c[2010,"Another connection still open"]`+"\n", refused.body)
	return attached
}

// wsFrameLen builds the websocket payload `["xxx..."]` of exactly n bytes.
func wsFrameLen(n int) string {
	return `["` + strings.Repeat("x", n-4) + `"]`
}

func TestWebsocketOpenAndEcho(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, wsEcho, sockjs.Options{})
	cases := []struct {
		name   string
		frames []string // sent in order
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
			sid := wsSID()
			c := wsDial(t, wsSessionURL(srv, sid), nil)
			require.Equal(t, "o", wsRead(t, c), "the open frame comes first")
			for _, f := range tc.frames {
				wsWrite(t, c, f)
			}
			assert.Equal(t, tc.want, wsReadMsgs(t, c, len(tc.want)))
			assert.Equal(t, tc.want, l.recvs(l.bySID(t, sid)))
		})
	}
}

func TestWebsocketBrokenJSON(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, wsEcho, sockjs.Options{})
	for _, payload := range []string{`["a`, `[a]`, `{"a":1}`, `["a"]x`, `[1]`} {
		t.Run(payload, func(t *testing.T) {
			t.Parallel()
			sid := wsSID()
			c := wsOpen(t, srv, sid)
			wsWrite(t, c, payload)
			ce := wsReadClose(t, c) // no "c" frame before the websocket close
			assert.Equal(t, websocket.CloseUnsupportedData, ce.Code)
			conn := l.bySID(t, sid)
			l.waitClosed(t, conn)
			assert.Empty(t, l.recvs(conn))
		})
	}
}

func TestWebsocketCloseService(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventInit {
			c.Close(3000, "Go away!")
		}
	}, sockjs.Options{})
	c := wsDial(t, wsSessionURL(srv, wsSID()), nil)
	assert.Equal(t, "o", wsRead(t, c))
	assert.Equal(t, `c[3000,"Go away!"]`, wsRead(t, c))
	ce := wsReadClose(t, c)
	assert.Equal(t, 3000, ce.Code)
	assert.Equal(t, "Go away!", ce.Text)
	conn := l.nth(t, 0)
	l.waitClosed(t, conn)
	assert.Equal(t, []sockjs.EventType{sockjs.EventInit, sockjs.EventClosed}, l.types(conn))
}

func TestWebsocketSameSessionIDIndependent(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, wsEcho, sockjs.Options{})
	sid := wsSID()
	c1 := wsOpen(t, srv, sid)
	c2 := wsOpen(t, srv, sid)
	require.Eventually(t, func() bool { return l.total(sockjs.EventInit) == 2 }, wsTimeout, time.Millisecond)
	conn1, conn2 := l.nth(t, 0), l.nth(t, 1)
	assert.NotEqual(t, conn1.ID(), conn2.ID())

	wsWrite(t, c1, `["one"]`)
	assert.Equal(t, `a["one"]`, wsRead(t, c1))
	wsWrite(t, c2, `["two"]`)
	assert.Equal(t, `a["two"]`, wsRead(t, c2), "the second socket got the first one's echo")

	// Ending the first socket leaves the second open.
	require.NoError(t, c1.Close())
	l.waitClosed(t, conn1) // conn1 got EventInit before c1 read its open frame
	wsWrite(t, c2, `["three"]`)
	assert.Equal(t, `a["three"]`, wsRead(t, c2))
	assert.Equal(t, 1, l.total(sockjs.EventClosed))
}

func TestWebsocketHeartbeat(t *testing.T) {
	t.Parallel()
	const delay = 50 * time.Millisecond
	srv, _, _ := wsStart(t, nil, sockjs.Options{HeartbeatDelay: delay})
	c := wsDial(t, wsSessionURL(srv, wsSID()), nil)
	require.Equal(t, "o", wsRead(t, c))
	opened := time.Now()
	var at []time.Time
	for range 4 {
		require.Equal(t, "h", wsRead(t, c))
		at = append(at, time.Now())
	}
	assert.GreaterOrEqual(t, at[0].Sub(opened), delay*8/10, "first heartbeat too early")
	assert.GreaterOrEqual(t, at[3].Sub(at[0]), 3*delay*8/10, "heartbeats come more often than HeartbeatDelay")
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
		srv, _, l := wsStart(t, wsEcho, opts)
		c := wsDial(t, wsSessionURL(srv, wsSID()), nil)
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
		conn := l.nth(t, 0)
		assert.Zero(t, l.count(conn, sockjs.EventClosed), "a client answering pings was dropped")
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
			srv, h, l := wsStart(t, func(_ *sockjs.Conn, ev sockjs.Event) {
				if ev.Type == sockjs.EventClosed {
					now := time.Now()
					closedAt.Store(&now)
				}
			}, opts)
			start := time.Now()
			c := wsDial(t, wsSessionURL(srv, wsSID()), nil)
			tc.client(t, c)
			conn := l.nth(t, 0)
			l.waitClosed(t, conn)
			assert.GreaterOrEqual(t, closedAt.Load().Sub(start), (hb+pong)*9/10,
				"dropped before HeartbeatDelay+PongTimeout")
			assert.Equal(t, uint64(1), h.Stats().SessionsClosed)
		})
	}
}

func TestWebsocketMaxMessageSize(t *testing.T) {
	t.Parallel()
	const limit = 64
	srv, _, l := wsStart(t, wsEcho, sockjs.Options{MaxMessageSize: limit})
	t.Run("at the limit", func(t *testing.T) {
		t.Parallel()
		c := wsOpen(t, srv, wsSID())
		wsWrite(t, c, wsFrameLen(limit))
		assert.Equal(t, []string{strings.Repeat("x", limit-4)}, wsReadMsgs(t, c, 1))
	})
	t.Run("over the limit", func(t *testing.T) {
		t.Parallel()
		sid := wsSID()
		c := wsOpen(t, srv, sid)
		wsWrite(t, c, wsFrameLen(limit+1))
		ce := wsReadClose(t, c)
		assert.Equal(t, websocket.CloseMessageTooBig, ce.Code)
		conn := l.bySID(t, sid)
		l.waitClosed(t, conn)
		assert.Empty(t, l.recvs(conn))
	})
}

func TestWebsocketBadRequests(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, nil, sockjs.Options{})
	client := wsClient(t)
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
	paths := map[string]string{"sockjs": "/echo/000/" + wsSID() + "/websocket", "raw": "/echo/websocket"}
	for kind, path := range paths {
		for _, tc := range cases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				status, body := wsDo(t, client, http.MethodGet, srv.URL+path, "", tc.header)
				assert.Equal(t, tc.status, status)
				assert.Equal(t, tc.body, body)
			})
		}
	}
	assert.Zero(t, l.total(sockjs.EventInit), "a refused upgrade opened a session")
}

func TestWebsocketDisabled(t *testing.T) {
	t.Parallel()
	srv, h, _ := wsStart(t, nil, sockjs.Options{DisableWebsocket: true})
	for _, path := range []string{"/echo/000/" + wsSID() + "/websocket", "/echo/websocket"} {
		status, _ := wsDialStatus(t, wsURL(srv, path))
		assert.Equal(t, http.StatusNotFound, status, path)
	}
	assert.Zero(t, h.Stats().SessionsOpened)
}

func TestRawWebsocketEcho(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, wsEcho, sockjs.Options{})
	c := wsDial(t, wsURL(srv, "/echo/websocket"), nil)
	msgs := []string{"Hello world!", "Hello world!\uffff", `["not","decoded"]`, "o", "é☃\u2028", ""}
	for _, m := range msgs {
		wsWrite(t, c, m)
		assert.Equal(t, m, wsRead(t, c), "no open frame, no framing")
	}
	assert.Equal(t, msgs, l.recvs(l.nth(t, 0)))
}

func TestRawWebsocketClose(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventInit {
			c.Close(3000, "Go away!")
		}
	}, sockjs.Options{})
	c := wsDial(t, wsURL(srv, "/echo/websocket"), nil)
	ce := wsReadClose(t, c)
	assert.Equal(t, 3000, ce.Code)
	assert.Equal(t, "Go away!", ce.Text)
	l.waitClosed(t, l.nth(t, 0))
}

// wsIsLoopback reports whether addr is host:port on a loopback address.
func wsIsLoopback(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func TestRawWebsocketNoHeartbeatFrames(t *testing.T) {
	t.Parallel()
	const delay = 30 * time.Millisecond
	srv, _, _ := wsStart(t, wsEcho, sockjs.Options{HeartbeatDelay: delay})
	c := wsDial(t, wsURL(srv, "/echo/websocket"), nil)
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

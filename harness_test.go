package sockjs_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/sockjstest"
)

// The behavioural tests drive a service the way clients do, through one set
// of drivers: the transports of package client, each a real client on the
// wire. A test of what every transport shares runs over each of them;
// tests of one transport's wire format read raw HTTP (do, openStream).

// waitFor bounds every wait of the tests for something that must happen.
const waitFor = 5 * time.Second

// quiet is how long a test watches for something that must not happen,
// such as an event after EventClosed: long enough for a late event to
// arrive on a loaded machine, short enough to run often.
const quiet = 300 * time.Millisecond

// sockjsTransports are the client transports that speak SockJS framing:
// the drivers of the tests of what every SockJS transport shares.
var sockjsTransports = append(client.Transports(), client.HTMLFile, client.JSONPPolling)

// allTransports adds the raw websocket endpoint.
var allTransports = append(append([]client.Transport(nil), sockjsTransports...), client.WebsocketRaw)

// streamingTransports receive on long responses that end at the response
// limit.
var streamingTransports = []client.Transport{client.XHRStreaming, client.EventSource, client.HTMLFile}

// pollingTransports receive one response per poll.
var pollingTransports = []client.Transport{client.XHRPolling, client.JSONPPolling}

// isWebsocket reports whether tr runs over a WebSocket.
func isWebsocket(tr client.Transport) bool {
	return tr == client.Websocket || tr == client.WebsocketRaw
}

// eachTransport runs f in a parallel subtest per transport of trs.
func eachTransport(t *testing.T, trs []client.Transport, f func(t *testing.T, tr client.Transport)) {
	t.Helper()
	for _, tr := range trs {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			f(t, tr)
		})
	}
}

// call is one callback call: the event and the state it was given.
type call struct {
	ev    sockjs.Event
	state int
}

// eventLog is a callback that records every call per session, threads a
// counter through the state, and then runs hook, if set before the handler
// serves.
type eventLog struct {
	hook func(c *sockjs.Conn, ev sockjs.Event)

	mu    sync.Mutex
	conns []*sockjs.Conn
	calls map[*sockjs.Conn][]call
	added chan struct{} // closed and replaced on every call
}

func newEventLog(hook func(c *sockjs.Conn, ev sockjs.Event)) *eventLog {
	return &eventLog{hook: hook, calls: make(map[*sockjs.Conn][]call), added: make(chan struct{})}
}

func (l *eventLog) callback(c *sockjs.Conn, ev sockjs.Event, st int) int {
	l.mu.Lock()
	if ev.Type == sockjs.EventInit {
		l.conns = append(l.conns, c)
	}
	l.calls[c] = append(l.calls[c], call{ev: ev, state: st})
	close(l.added)
	l.added = make(chan struct{})
	l.mu.Unlock()
	if l.hook != nil {
		l.hook(c, ev)
	}
	return st + 1
}

// echo is a hook that sends every message back.
func echo(c *sockjs.Conn, ev sockjs.Event) {
	if ev.Type == sockjs.EventRecv {
		c.Send(ev.Data)
	}
}

// watch reports whether cond, evaluated under the log's lock at once and
// after every call, holds at some time within d.
func (l *eventLog) watch(d time.Duration, cond func() bool) bool {
	timeout := time.After(d)
	for {
		l.mu.Lock()
		ok, added := cond(), l.added
		l.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-added:
		case <-timeout:
			return false
		}
	}
}

// until waits for cond and fails the test if it does not hold within
// waitFor.
func (l *eventLog) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !l.watch(waitFor, cond) {
		t.Fatalf("not within %v: %s", waitFor, what)
	}
}

// never fails the test if cond holds at any time within quiet.
func (l *eventLog) never(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if l.watch(quiet, cond) {
		t.Fatalf("happened, and must not: %s", what)
	}
}

// find waits for the session whose Conn matches, and returns it.
func (l *eventLog) find(t *testing.T, what string, match func(c *sockjs.Conn) bool) *sockjs.Conn {
	t.Helper()
	var found *sockjs.Conn
	l.until(t, "a session "+what, func() bool {
		for _, c := range l.conns {
			if match(c) {
				found = c
				return true
			}
		}
		return false
	})
	return found
}

// bySID waits for the session with id sid in its URLs (Conn.ID is another,
// which the application alone sees).
func (l *eventLog) bySID(t *testing.T, sid string) *sockjs.Conn {
	t.Helper()
	return l.find(t, "with id "+sid, func(c *sockjs.Conn) bool { return strings.Contains(c.Path(), "/"+sid+"/") })
}

// nth waits for the i-th session, counting from 0, to get EventInit.
func (l *eventLog) nth(t *testing.T, i int) *sockjs.Conn {
	t.Helper()
	l.until(t, fmt.Sprintf("session %d", i), func() bool { return len(l.conns) > i })
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns[i]
}

// calls returns c's callback calls so far.
func (l *eventLog) callsOf(c *sockjs.Conn) []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]call(nil), l.calls[c]...)
}

// countLocked returns how many events of type typ c's callback got; c nil
// counts every session's.
func (l *eventLog) countLocked(c *sockjs.Conn, typ sockjs.EventType) int {
	n := 0
	for conn, cs := range l.calls {
		if c != nil && conn != c {
			continue
		}
		for _, e := range cs {
			if e.ev.Type == typ {
				n++
			}
		}
	}
	return n
}

// count returns how many events of type typ c's callback got; c nil counts
// every session's.
func (l *eventLog) count(c *sockjs.Conn, typ sockjs.EventType) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.countLocked(c, typ)
}

// types returns the event types c's callback got, in order.
func (l *eventLog) types(c *sockjs.Conn) []sockjs.EventType {
	var ts []sockjs.EventType
	for _, e := range l.callsOf(c) {
		ts = append(ts, e.ev.Type)
	}
	return ts
}

// recvs returns the messages c's callback received.
func (l *eventLog) recvs(c *sockjs.Conn) []string {
	var ms []string
	for _, e := range l.callsOf(c) {
		if e.ev.Type == sockjs.EventRecv {
			ms = append(ms, e.ev.Data)
		}
	}
	return ms
}

// waitRecvs waits until c's callback received n messages, and returns them.
func (l *eventLog) waitRecvs(t *testing.T, c *sockjs.Conn, n int) []string {
	t.Helper()
	l.until(t, fmt.Sprintf("%d messages received", n), func() bool { return l.countLocked(c, sockjs.EventRecv) >= n })
	return l.recvs(c)
}

// closed waits for c's EventClosed and returns it, then watches for quiet
// that no event follows it.
func (l *eventLog) closed(t *testing.T, c *sockjs.Conn) sockjs.Event {
	t.Helper()
	l.until(t, "EventClosed", func() bool { return l.countLocked(c, sockjs.EventClosed) > 0 })
	l.never(t, "an event after EventClosed", func() bool {
		cs := l.calls[c]
		return cs[len(cs)-1].ev.Type != sockjs.EventClosed || l.countLocked(c, sockjs.EventClosed) > 1
	})
	cs := l.callsOf(c)
	return cs[len(cs)-1].ev
}

// assertLifecycle checks c's calls: EventInit first and once, EventClosed
// last and once, and the state threaded through them. panicAt is the
// index of the call that panicked, whose state is not returned, or -1.
func (l *eventLog) assertLifecycle(t *testing.T, c *sockjs.Conn, panicAt int) {
	t.Helper()
	cs := l.callsOf(c)
	require.NotEmpty(t, cs)
	assert.Equal(t, sockjs.EventInit, cs[0].ev.Type, "first event")
	assert.Equal(t, sockjs.EventClosed, cs[len(cs)-1].ev.Type, "last event")
	assert.Equal(t, 1, l.count(c, sockjs.EventInit), "EventInit count")
	assert.Equal(t, 1, l.count(c, sockjs.EventClosed), "EventClosed count")
	for i, e := range cs {
		want := i
		if panicAt >= 0 && i > panicAt {
			want-- // a callback that panics returns no state
		}
		assert.Equal(t, want, e.state, "state given to call %d (%v)", i, e.ev.Type)
	}
}

// A service is a handler under test, with prefix /echo, served on a
// loopback port and recording its callback calls.
type service struct {
	*sockjstest.Server
	h   *sockjs.Handler
	log *eventLog
}

// startService serves a handler for /echo with opts, whose callback
// records every call and then runs hook. When the test ends the handler
// must shut down within waitFor.
func startService(t *testing.T, hook func(*sockjs.Conn, sockjs.Event), opts sockjs.Options) *service {
	t.Helper()
	l := newEventLog(hook)
	h := sockjs.NewHandler("/echo", l.callback, 0, opts)
	srv := sockjstest.NewServer(h)
	srv.Timeout = waitFor
	t.Cleanup(func() { assert.NoError(t, srv.Close(), "Shutdown at the end of the test") })
	return &service{Server: srv, h: h, log: l}
}

var sessionSeq atomic.Int64

// newSID returns a session id no other test uses.
func newSID() string {
	return fmt.Sprintf("s%d_%d", time.Now().UnixNano()%1e9, sessionSeq.Add(1))
}

// dialer returns a client Dialer forced onto tr, opening session sid.
func (s *service) dialer(tr client.Transport, sid string) *client.Dialer {
	d := s.Dialer(tr)
	d.SessionID = func() string { return sid }
	return d
}

// open opens a session over tr, closed when the test ends, and returns the
// client's connection and the server's Conn of the session.
func (s *service) open(t *testing.T, tr client.Transport) (*sockjstest.Conn, *sockjs.Conn) {
	t.Helper()
	return s.openWith(t, s.dialer(tr, newSID()))
}

// openWith opens a session with d, closed when the test ends, and returns
// the client's connection and the server's Conn of the session.
func (s *service) openWith(t *testing.T, d *client.Dialer) (*sockjstest.Conn, *sockjs.Conn) {
	t.Helper()
	c, conn, _ := s.dial(t, d)
	return c, conn
}

// dial opens a session with d as openWith does, and also returns a
// function that makes the client go away without a word: it drops the
// websocket's TCP connection, or aborts the HTTP requests in progress.
func (s *service) dial(t *testing.T, d *client.Dialer) (*sockjstest.Conn, *sockjs.Conn, func()) {
	t.Helper()
	// The raw endpoint has no session id: its session is the one whose
	// peer is the client's end of the socket.
	var local atomic.Value
	var sock atomic.Pointer[net.Conn]
	ws := *websocket.DefaultDialer
	ws.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			local.Store(c.LocalAddr().String())
			sock.Store(&c)
		}
		return c, err
	}
	if d.WebsocketDialer == nil {
		d.WebsocketDialer = &ws
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := d.Dial(ctx, s.URL)
	require.NoError(t, err, "dial over %v", d.Transports)
	t.Cleanup(func() { c.Close(1000, "") })
	conn := &sockjstest.Conn{Client: c, T: t, Timeout: waitFor}
	drop := func() { c.Close(1000, "") }
	if p := sock.Load(); p != nil && isWebsocket(c.Transport()) {
		drop = func() { (*p).Close() }
	}
	if c.Transport() == client.WebsocketRaw {
		addr, _ := local.Load().(string)
		return conn, s.log.find(t, "from "+addr, func(sc *sockjs.Conn) bool {
			return sc.Transport() == sockjs.TransportWebsocketRaw && sc.RemoteAddr() == addr
		}), drop
	}
	return conn, s.log.bySID(t, c.SessionID()), drop
}

// recvEnd reads c until the session ends, and returns the messages before
// the end and why it ended.
func recvEnd(t *testing.T, c *sockjstest.Conn) ([]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var msgs []string
	for {
		m, err := c.Client.Recv(ctx)
		if err != nil {
			require.NoError(t, ctx.Err(), "the session did not end; received %q", msgs)
			return msgs, err
		}
		msgs = append(msgs, m)
	}
}

// assertNoMessage watches c for quiet and fails the test on a message or an
// end of the session.
func assertNoMessage(t *testing.T, c *sockjstest.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), quiet)
	defer cancel()
	m, err := c.Client.Recv(ctx)
	if err != context.DeadlineExceeded {
		t.Fatalf("within %v: message %q, error %v; want neither", quiet, m, err)
	}
}

// rawWS dials the websocket at path under the service ("/websocket",
// "/000/<sid>/websocket") with gorilla/websocket, for the tests of what the
// client hides: WebSocket close frames, frame sizes, handshakes. It is
// closed when the test ends.
func (s *service) rawWS(t *testing.T, path string, header http.Header) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: waitFor}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+path, header)
	require.NoError(t, err, "dial %s", path)
	resp.Body.Close()
	t.Cleanup(func() { c.Close() })
	return c
}

// handshakeStatus returns the status and body of the refused WebSocket
// handshake at path under the service.
func (s *service) handshakeStatus(t *testing.T, path string) (int, string) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: waitFor}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+path, nil)
	if c != nil {
		c.Close()
	}
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	require.NotNil(t, resp)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// request makes one HTTP request to path under the service, outside the
// client, for the statuses and bodies the client hides, and returns the
// status and body.
func (s *service) request(t *testing.T, method, path, body string, header http.Header) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := s.HTTP.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

package sockjs_test

import (
	"context"
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
	"github.com/gosockjs/sockjs/client"
)

// wsAssertLifecycle checks that c's callback got EventInit first, then
// only EventRecv and EventInfo, and EventClosed exactly once, last, and
// that the state threaded through the calls. panicAt is the index of the
// call that panicked, whose state is not returned, or -1.
func wsAssertLifecycle(t *testing.T, l *wsLog, c *sockjs.Conn, panicAt int) {
	t.Helper()
	es := l.entries(c)
	require.NotEmpty(t, es)
	assert.Equal(t, sockjs.EventInit, es[0].ev.Type, "first event")
	assert.Equal(t, sockjs.EventClosed, es[len(es)-1].ev.Type, "last event")
	assert.Equal(t, 1, l.count(c, sockjs.EventInit), "EventInit count")
	assert.Equal(t, 1, l.count(c, sockjs.EventClosed), "EventClosed count")
	for i, e := range es {
		want := i
		if panicAt >= 0 && i > panicAt {
			want-- // a callback that panics returns no state
		}
		assert.Equal(t, want, e.state, "state given to call %d (%v)", i, e.ev.Type)
	}
}

// wsShutdown shuts h down, which must succeed within 5s.
func wsShutdown(t *testing.T, h *sockjs.Handler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	require.NoError(t, h.Shutdown(ctx))
}

func TestSessionEventOrder(t *testing.T) {
	t.Parallel()
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, echo, sockjs.Options{})
		c, conn := svc.open(t, tr)
		c.Send("a", "b")
		require.Equal(t, []string{"a", "b"}, c.RecvN(2))
		c.Send("c")
		require.Equal(t, "c", c.Recv())
		require.NoError(t, conn.Post("p"))
		svc.log.until(t, "EventInfo", func() bool { return svc.log.countLocked(conn, sockjs.EventInfo) == 1 })
		c.Send("d")
		require.Equal(t, "d", c.Recv())
		require.NoError(t, conn.Close(3000, "done"))
		c.ExpectClose(3000, "done")
		svc.log.closed(t, conn)

		var got []string
		for _, e := range svc.log.callsOf(conn) {
			s := e.ev.Type.String()
			switch e.ev.Type {
			case sockjs.EventRecv:
				s += ":" + e.ev.Data
			case sockjs.EventInfo:
				s += ":" + e.ev.Info.(string)
			}
			got = append(got, s)
		}
		assert.Equal(t, []string{"init", "recv:a", "recv:b", "recv:c", "info:p", "recv:d", "closed"}, got)
		svc.log.assertLifecycle(t, conn, -1)
	})
}

func TestSessionClosedExactlyOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts sockjs.Options
		hook func(*sockjs.Conn, sockjs.Event)
		// end opens a session and ends it; it returns the session's id.
		end     func(t *testing.T, srv *httptest.Server, h *sockjs.Handler, l *wsLog) string
		code    int // code the session closed with
		panicAt int // index of the call that panics, or -1
	}{
		{"client closes websocket", sockjs.Options{}, nil,
			func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, _ *wsLog) string {
				sid := wsSID()
				c := wsOpen(t, srv, sid)
				c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
				c.Close()
				return sid
			}, 1000, -1},
		{"client drops websocket", sockjs.Options{}, nil,
			func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, _ *wsLog) string {
				sid := wsSID()
				wsOpen(t, srv, sid).NetConn().Close()
				return sid
			}, 1002, -1},
		{"Conn.Close on websocket", sockjs.Options{}, nil,
			func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) string {
				sid := wsSID()
				c := wsOpen(t, srv, sid)
				require.NoError(t, l.bySID(t, sid).Close(3001, "bye"))
				assert.Equal(t, `c[3001,"bye"]`, wsRead(t, c))
				return sid
			}, 3001, -1},
		{"Conn.Close on xhr", sockjs.Options{}, nil,
			func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, l *wsLog) string {
				client, sid := wsClient(t), wsSID()
				require.Equal(t, "o", wsPoll(t, client, srv, sid))
				require.NoError(t, l.bySID(t, sid).Close(3001, "bye"))
				assert.Equal(t, `c[3001,"bye"]`, wsPoll(t, client, srv, sid))
				return sid
			}, 3001, -1},
		{"disconnect timeout on xhr", sockjs.Options{DisconnectDelay: 100 * time.Millisecond}, nil,
			func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, _ *wsLog) string {
				sid := wsSID()
				require.Equal(t, "o", wsPoll(t, wsClient(t), srv, sid))
				return sid
			}, 1002, -1},
		{"aborted poll", sockjs.Options{DisconnectDelay: time.Minute}, nil,
			func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, _ *wsLog) string {
				client, sid := wsClient(t), wsSID()
				require.Equal(t, "o", wsPoll(t, client, srv, sid))
				p := wsAttachedPoll(t, client, srv, sid)
				p.cancel()
				p.wait(t)
				return sid
			}, 1002, -1},
		{"callback panic", sockjs.Options{}, func(c *sockjs.Conn, ev sockjs.Event) {
			if ev.Type == sockjs.EventRecv {
				panic("boom")
			}
		}, func(t *testing.T, srv *httptest.Server, _ *sockjs.Handler, _ *wsLog) string {
			sid := wsSID()
			c := wsOpen(t, srv, sid)
			wsWrite(t, c, `["x"]`)
			assert.Equal(t, `c[1011,"Internal server error"]`, wsRead(t, c))
			return sid
		}, 1011, 1},
		{"Shutdown", sockjs.Options{}, nil,
			func(t *testing.T, srv *httptest.Server, h *sockjs.Handler, l *wsLog) string {
				sid := wsSID()
				c := wsOpen(t, srv, sid)
				l.bySID(t, sid)
				wsShutdown(t, h)
				assert.Equal(t, `c[1001,"Server shutting down"]`, wsRead(t, c))
				return sid
			}, 1001, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, h, l := wsStart(t, tc.hook, tc.opts)
			sid := tc.end(t, srv, h, l)
			conn := l.bySID(t, sid)
			l.waitClosed(t, conn)
			// Every other way to end it must not deliver EventClosed again.
			assert.ErrorIs(t, conn.Close(3002, "again"), sockjs.ErrClosed)
			wsShutdown(t, h)
			assert.Never(t, func() bool { return l.count(conn, sockjs.EventClosed) > 1 },
				100*time.Millisecond, 5*time.Millisecond)
			wsAssertLifecycle(t, l, conn, tc.panicAt)
			st := h.Stats()
			assert.Equal(t, map[int]uint64{tc.code: 1}, st.ClosedByCode)
			assert.Equal(t, uint64(1), st.SessionsClosed)
		})
	}
}

func TestSessionCallbacksNeverOverlap(t *testing.T) {
	t.Parallel()
	var inside, most atomic.Int64
	srv, _, l := wsStart(t, func(_ *sockjs.Conn, ev sockjs.Event) {
		n := inside.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(200 * time.Microsecond)
		inside.Add(-1)
	}, sockjs.Options{})
	client, sid := wsClient(t), wsSID()
	require.Equal(t, "o", wsPoll(t, client, srv, sid))
	conn := l.bySID(t, sid)

	const goroutines, each = 8, 15
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for k := range each {
				status, body := wsDo(t, client, http.MethodPost, wsXHRURL(srv, sid, "xhr_send"), `["m"]`, nil)
				assert.Equal(t, http.StatusNoContent, status, "send %d/%d: %q", g, k, body)
			}
		}()
		go func() {
			defer wg.Done()
			for k := range each {
				assert.NoError(t, conn.Post(k))
			}
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool {
		return l.count(conn, sockjs.EventRecv) == goroutines*each && l.count(conn, sockjs.EventInfo) == goroutines*each
	}, wsTimeout, time.Millisecond)
	assert.Equal(t, int64(1), most.Load(), "callbacks of one session overlapped")
	for i, e := range l.entries(conn) {
		require.Equal(t, i, e.state, "state threads through the calls")
	}
}

func TestSessionSendFromInit(t *testing.T) {
	t.Parallel()
	srv, _, _ := wsStart(t, func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventInit {
			c.Send("hello")
			c.Send("world")
		}
	}, sockjs.Options{})
	t.Run("websocket", func(t *testing.T) {
		t.Parallel()
		c := wsDial(t, wsSessionURL(srv, wsSID()), nil)
		require.Equal(t, "o", wsRead(t, c))
		assert.Equal(t, []string{"hello", "world"}, wsReadMsgs(t, c, 2))
	})
	t.Run("xhr", func(t *testing.T) {
		t.Parallel()
		client, sid := wsClient(t), wsSID()
		require.Equal(t, "o", wsPoll(t, client, srv, sid))
		var ms []string
		for len(ms) < 2 {
			ms = append(ms, wsMessages(t, wsPoll(t, client, srv, sid))...)
		}
		assert.Equal(t, []string{"hello", "world"}, ms)
	})
	t.Run("xhr_streaming", func(t *testing.T) {
		t.Parallel()
		s := openStream(t, http.MethodPost, wsXHRURL(srv, wsSID(), "xhr_streaming"), nil)
		require.Equal(t, strings.Repeat("h", 2048)+"\n", s.readUntil(t, "\n"))
		require.Equal(t, "o\n", s.readUntil(t, "\n"))
		var ms []string
		for len(ms) < 2 {
			ms = append(ms, wsMessages(t, strings.TrimSuffix(s.readUntil(t, "\n"), "\n"))...)
		}
		assert.Equal(t, []string{"hello", "world"}, ms)
	})
}

func TestSessionAfterClose(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, nil, sockjs.Options{})
	for _, kind := range []string{"sockjs", "raw"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			sid := wsSID()
			var c *websocket.Conn
			var conn *sockjs.Conn
			if kind == "raw" {
				c = wsDial(t, wsURL(srv, "/echo/websocket?"+sid), nil)
				conn = l.find(t, func(c *sockjs.Conn) bool { return c.Transport() == sockjs.TransportWebsocketRaw })
			} else {
				c = wsOpen(t, srv, sid)
				conn = l.bySID(t, sid)
			}
			require.NoError(t, conn.Close(0, "ignored"), "code 0 means 3000 Go away!")
			if kind == "sockjs" {
				assert.Equal(t, `c[3000,"Go away!"]`, wsRead(t, c))
			}
			ce := wsReadClose(t, c)
			assert.Equal(t, 3000, ce.Code)
			assert.Equal(t, "Go away!", ce.Text)
			l.waitClosed(t, conn)

			assert.ErrorIs(t, conn.Send("late"), sockjs.ErrClosed)
			assert.ErrorIs(t, conn.Close(3001, "again"), sockjs.ErrClosed)
			assert.ErrorIs(t, conn.Post("late"), sockjs.ErrClosed)
			assert.Zero(t, l.count(conn, sockjs.EventInfo))
		})
	}
}

func TestSessionMessagesBeforeClose(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventRecv && ev.Data == "close" {
			c.Send("in")
			c.Send("callback")
			c.Close(3002, "from callback")
		}
	}, sockjs.Options{})
	want := []string{"a", "b", "c"}
	sendAndClose := func(t *testing.T, conn *sockjs.Conn) {
		for _, m := range want {
			require.NoError(t, conn.Send(m))
		}
		require.NoError(t, conn.Close(3001, "bye"))
	}
	t.Run("websocket", func(t *testing.T) {
		t.Parallel()
		sid := wsSID()
		c := wsOpen(t, srv, sid)
		sendAndClose(t, l.bySID(t, sid))
		ms, cf := wsReadUntilClose(t, c)
		assert.Equal(t, want, ms)
		assert.Equal(t, `c[3001,"bye"]`, cf)
		ce := wsReadClose(t, c)
		assert.Equal(t, 3001, ce.Code)
		assert.Equal(t, "bye", ce.Text)
	})
	t.Run("websocket from the callback", func(t *testing.T) {
		t.Parallel()
		c := wsOpen(t, srv, wsSID())
		wsWrite(t, c, `["close"]`)
		ms, cf := wsReadUntilClose(t, c)
		assert.Equal(t, []string{"in", "callback"}, ms)
		assert.Equal(t, `c[3002,"from callback"]`, cf)
	})
	t.Run("xhr", func(t *testing.T) {
		t.Parallel()
		client, sid := wsClient(t), wsSID()
		require.Equal(t, "o", wsPoll(t, client, srv, sid))
		sendAndClose(t, l.bySID(t, sid))
		ms, cf := wsPollUntilClose(t, client, srv, sid)
		assert.Equal(t, want, ms)
		assert.Equal(t, `c[3001,"bye"]`, cf)
	})
	t.Run("xhr_streaming", func(t *testing.T) {
		t.Parallel()
		sid := wsSID()
		s := openStream(t, http.MethodPost, wsXHRURL(srv, sid, "xhr_streaming"), nil)
		s.readUntil(t, "\n") // prelude
		require.Equal(t, "o\n", s.readUntil(t, "\n"))
		sendAndClose(t, l.bySID(t, sid))
		var ms []string
		for {
			f := strings.TrimSuffix(s.readUntil(t, "\n"), "\n")
			if strings.HasPrefix(f, "c") {
				assert.Equal(t, `c[3001,"bye"]`, f)
				break
			}
			ms = append(ms, wsMessages(t, f)...)
		}
		assert.Equal(t, want, ms)
		s.eof(t)
	})
}

// wsPosted is a value posted to a session.
type wsPosted struct{ g, k int }

func TestSessionPost(t *testing.T) {
	t.Parallel()
	srv, _, l := wsStart(t, func(c *sockjs.Conn, ev sockjs.Event) {
		switch ev.Type {
		case sockjs.EventRecv:
			c.Send(ev.Data)
		case sockjs.EventInfo:
			if s, ok := ev.Info.(string); ok {
				c.Send("info:" + s)
			}
		}
	}, sockjs.Options{})
	sid := wsSID()
	c := wsOpen(t, srv, sid)
	conn := l.bySID(t, sid)

	const goroutines, each = 4, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				assert.NoError(t, conn.Post(wsPosted{g, k}))
			}
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool { return l.count(conn, sockjs.EventInfo) == goroutines*each },
		wsTimeout, time.Millisecond)
	next := make([]int, goroutines)
	for _, e := range l.entries(conn) {
		if e.ev.Type != sockjs.EventInfo {
			continue
		}
		p, ok := e.ev.Info.(wsPosted)
		require.True(t, ok, "Info %#v", e.ev.Info)
		assert.Equal(t, next[p.g], p.k, "posts of goroutine %d out of order", p.g)
		next[p.g] = p.k + 1
	}

	// In order with the messages of the client, and able to send.
	wsWrite(t, c, `["x"]`)
	require.Equal(t, []string{"x"}, wsReadMsgs(t, c, 1))
	require.NoError(t, conn.Post("after x"))
	require.Equal(t, []string{"info:after x"}, wsReadMsgs(t, c, 1))
	es := l.entries(conn)
	require.GreaterOrEqual(t, len(es), 2)
	assert.Equal(t, "x", es[len(es)-2].ev.Data)
	assert.Equal(t, "after x", es[len(es)-1].ev.Info)
}

func TestSessionPanic(t *testing.T) {
	t.Parallel()
	hook := func(c *sockjs.Conn, ev sockjs.Event) {
		switch {
		case ev.Type == sockjs.EventInit && strings.Contains(c.Path(), "/paninit"):
			panic("in init")
		case ev.Type == sockjs.EventRecv && ev.Data == "boom":
			panic("in recv")
		case ev.Type == sockjs.EventInfo && ev.Info == "boom":
			panic("in info")
		case ev.Type == sockjs.EventRecv:
			c.Send(ev.Data)
		}
	}
	cases := []struct {
		name    string
		sid     string
		cause   func(t *testing.T, c *websocket.Conn, conn *sockjs.Conn)
		panicAt int
	}{
		{"in EventInit", "paninit", func(*testing.T, *websocket.Conn, *sockjs.Conn) {}, 0},
		{"in EventRecv", "panrecv", func(t *testing.T, c *websocket.Conn, _ *sockjs.Conn) { wsWrite(t, c, `["boom"]`) }, 1},
		{"in EventInfo", "paninfo", func(t *testing.T, _ *websocket.Conn, conn *sockjs.Conn) {
			require.NoError(t, conn.Post("boom"))
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, h, l := wsStart(t, hook, sockjs.Options{})
			other := wsOpen(t, srv, wsSID())

			c := wsDial(t, wsSessionURL(srv, tc.sid), nil)
			require.Equal(t, "o", wsRead(t, c), "the open frame precedes the close frame")
			conn := l.bySID(t, tc.sid)
			tc.cause(t, c, conn)
			assert.Equal(t, `c[1011,"Internal server error"]`, wsRead(t, c))
			ce := wsReadClose(t, c)
			assert.Equal(t, websocket.CloseInternalServerErr, ce.Code)
			l.waitClosed(t, conn)

			wsWrite(t, other, `["still here"]`)
			assert.Equal(t, []string{"still here"}, wsReadMsgs(t, other, 1), "another session stopped")
			st := h.Stats()
			assert.Equal(t, uint64(1), st.Panics)
			assert.Equal(t, uint64(1), st.ClosedByCode[1011])
			wsShutdown(t, h)
			wsAssertLifecycle(t, l, conn, tc.panicAt)
		})
	}
}

func TestSessionQueueFull(t *testing.T) {
	t.Parallel()
	const limit = 100
	big := strings.Repeat("x", 2*limit)
	t.Run("websocket", func(t *testing.T) {
		t.Parallel()
		srv, h, l := wsStart(t, nil, sockjs.Options{MaxQueuedBytes: limit})
		sid := wsSID()
		c := wsOpen(t, srv, sid)
		conn := l.bySID(t, sid)
		assert.ErrorIs(t, conn.Send(big), sockjs.ErrQueueFull)
		assert.Equal(t, `c[1013,"Outbound queue full"]`, wsRead(t, c))
		ce := wsReadClose(t, c)
		assert.Equal(t, websocket.CloseTryAgainLater, ce.Code)
		l.waitClosed(t, conn)
		assert.ErrorIs(t, conn.Send("small"), sockjs.ErrClosed)
		st := h.Stats()
		assert.Equal(t, uint64(1), st.QueueOverflows)
		assert.Equal(t, uint64(1), st.ClosedByCode[1013])
	})
	t.Run("xhr without a receiver", func(t *testing.T) {
		t.Parallel()
		srv, h, l := wsStart(t, nil, sockjs.Options{MaxQueuedBytes: limit})
		client, sid := wsClient(t), wsSID()
		require.Equal(t, "o", wsPoll(t, client, srv, sid))
		conn := l.bySID(t, sid)
		var err error
		sent := 0
		for ; sent < 10 && err == nil; sent++ {
			err = conn.Send(strings.Repeat("y", 30))
		}
		assert.ErrorIs(t, err, sockjs.ErrQueueFull)
		assert.Equal(t, 4, sent, "the fourth 32-byte message takes the queue over 100 bytes")
		assert.Equal(t, `c[1013,"Outbound queue full"]`, wsPoll(t, client, srv, sid))
		l.waitClosed(t, conn)
		assert.Equal(t, uint64(1), h.Stats().QueueOverflows)
	})
}

func TestSessionMaxSessions(t *testing.T) {
	t.Parallel()
	srv, h, l := wsStart(t, nil, sockjs.Options{MaxSessions: 2})
	client := wsClient(t)
	ws := wsOpen(t, srv, wsSID())
	require.Equal(t, "o", wsPoll(t, client, srv, wsSID()))

	status, body := wsDo(t, client, http.MethodPost, wsXHRURL(srv, wsSID(), "xhr"), "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "Too many sessions.", body)
	for _, path := range []string{"/echo/000/" + wsSID() + "/websocket", "/echo/websocket"} {
		status, _ := wsDialStatus(t, wsURL(srv, path))
		assert.Equal(t, http.StatusServiceUnavailable, status, path)
	}
	assert.Equal(t, 2, l.total(sockjs.EventInit))
	assert.Equal(t, 2, h.Stats().Sessions)

	// Once the websocket session ends, there is room for one more.
	ws.Close()
	l.waitClosed(t, l.nth(t, 0))
	require.Eventually(t, func() bool { return h.Stats().Sessions == 1 }, wsTimeout, time.Millisecond)
	wsOpen(t, srv, wsSID())
}

func TestBroadcast(t *testing.T) {
	t.Parallel()
	srv, h, l := wsStart(t, nil, sockjs.Options{})
	ws := wsOpen(t, srv, wsSID())
	raw := wsDial(t, wsURL(srv, "/echo/websocket"), nil)
	stream := openStream(t, http.MethodPost, wsXHRURL(srv, wsSID(), "xhr_streaming"), nil)
	stream.readUntil(t, "\n") // prelude
	require.Equal(t, "o\n", stream.readUntil(t, "\n"))
	gone := wsOpen(t, srv, wsSID())
	require.Eventually(t, func() bool { return l.total(sockjs.EventInit) == 4 }, wsTimeout, time.Millisecond)
	gone.Close()
	require.Eventually(t, func() bool { return l.total(sockjs.EventClosed) == 1 }, wsTimeout, time.Millisecond)

	before := h.Stats().MessagesOut
	h.Broadcast("one")
	h.Broadcast("two\u2028")
	assert.Equal(t, before+6, h.Stats().MessagesOut, "two messages to each of three open sessions")

	assert.Equal(t, []string{"one", "two\u2028"}, wsReadMsgs(t, ws, 2))
	assert.Equal(t, "one", wsRead(t, raw))
	assert.Equal(t, "two\u2028", wsRead(t, raw))
	var ms []string
	for len(ms) < 2 {
		ms = append(ms, wsMessages(t, strings.TrimSuffix(stream.readUntil(t, "\n"), "\n"))...)
	}
	assert.Equal(t, []string{"one", "two\u2028"}, ms)
}

func TestSessionPostDoesNotRunCallbackInline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	closedErrs := make(chan [2]error, 1)
	srv, _, l := wsStart(t, func(c *sockjs.Conn, ev sockjs.Event) {
		switch ev.Type {
		case sockjs.EventInfo:
			<-release
		case sockjs.EventClosed:
			closedErrs <- [2]error{c.Send("late"), c.Close(3001, "late")}
		}
	}, sockjs.Options{})
	sid := wsSID()
	ws := wsOpen(t, srv, sid)
	conn := l.bySID(t, sid)
	posted := make(chan struct{})
	go func() {
		conn.Post(1) // blocks the callback until release
		conn.Post(2)
		close(posted)
	}()
	select {
	case <-posted:
	case <-time.After(wsTimeout):
		close(release)
		t.Fatal("Post waited for the callback")
	}
	close(release)
	require.Eventually(t, func() bool { return l.count(conn, sockjs.EventInfo) == 2 }, wsTimeout, time.Millisecond)
	ws.Close()
	select {
	case errs := <-closedErrs:
		assert.ErrorIs(t, errs[0], sockjs.ErrClosed, "Send from EventClosed")
		assert.ErrorIs(t, errs[1], sockjs.ErrClosed, "Close from EventClosed")
	case <-time.After(wsTimeout):
		t.Fatal("no EventClosed")
	}
}

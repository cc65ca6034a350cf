package sockjs_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/sockjstest"
)

// shutdown shuts h down, which must succeed within waitFor.
func shutdown(t *testing.T, h *sockjs.Handler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, h.Shutdown(ctx))
}

// sendMayClose sends msg on c, whose session msg closes: the close frame
// may reach the client before the answer to its send.
func sendMayClose(c *sockjstest.Conn, msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c.Client.Send(ctx, msg) //nolint:errcheck // the end is checked with ExpectClose
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
	panicOnRecv := func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventRecv {
			panic("boom")
		}
	}
	cases := []struct {
		name string
		hook func(*sockjs.Conn, sockjs.Event)
		// end ends the session and returns the code it closed with.
		end     func(t *testing.T, svc *service, c *sockjstest.Conn, conn *sockjs.Conn) int
		panicAt int // index of the call that panics, or -1
	}{
		{"client closes", nil, func(t *testing.T, _ *service, c *sockjstest.Conn, _ *sockjs.Conn) int {
			c.Close(1000, "")
			if isWebsocket(c.Transport()) {
				return sockjs.CloseNormal
			}
			return sockjs.CloseInterrupted // the HTTP client aborts its requests
		}, -1},
		{"Conn.Close", nil, func(t *testing.T, _ *service, c *sockjstest.Conn, conn *sockjs.Conn) int {
			require.NoError(t, conn.Close(3001, "bye"))
			c.ExpectClose(3001, "bye")
			return 3001
		}, -1},
		{"callback panic", panicOnRecv, func(t *testing.T, _ *service, c *sockjstest.Conn, _ *sockjs.Conn) int {
			sendMayClose(c, "x")
			c.ExpectClose(sockjs.CloseServerError, "Internal server error")
			return sockjs.CloseServerError
		}, 1},
		{"Shutdown", nil, func(t *testing.T, svc *service, c *sockjstest.Conn, _ *sockjs.Conn) int {
			shutdown(t, svc.h)
			c.ExpectClose(sockjs.CloseShutdown, "Server shutting down")
			return sockjs.CloseShutdown
		}, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
				svc := startService(t, tc.hook, sockjs.Options{DisconnectDelay: quiet})
				c, conn := svc.open(t, tr)
				code := tc.end(t, svc, c, conn)
				svc.log.closed(t, conn)
				// Every other way to end it must not deliver EventClosed again.
				assert.ErrorIs(t, conn.Close(3002, "again"), sockjs.ErrClosed)
				shutdown(t, svc.h)
				svc.log.never(t, "a second EventClosed", func() bool { return svc.log.countLocked(conn, sockjs.EventClosed) > 1 })
				svc.log.assertLifecycle(t, conn, tc.panicAt)
				st := svc.h.Stats()
				assert.Equal(t, map[int]uint64{code: 1}, st.ClosedByCode)
				assert.Equal(t, uint64(1), st.SessionsClosed)
			})
		})
	}
}

func TestSessionCallbacksNeverOverlap(t *testing.T) {
	t.Parallel()
	eachTransport(t, []client.Transport{client.Websocket, client.XHRPolling}, func(t *testing.T, tr client.Transport) {
		var inside, most atomic.Int64
		svc := startService(t, func(_ *sockjs.Conn, ev sockjs.Event) {
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(200 * time.Microsecond)
			inside.Add(-1)
		}, sockjs.Options{})
		c, conn := svc.open(t, tr)
		const goroutines, each = 8, 15
		var wg sync.WaitGroup
		for range goroutines {
			wg.Add(2)
			go func() {
				defer wg.Done()
				for range each {
					assert.NoError(t, c.Client.Send(context.Background(), "m"))
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
		svc.log.until(t, "every message and post", func() bool {
			return svc.log.countLocked(conn, sockjs.EventRecv) == goroutines*each &&
				svc.log.countLocked(conn, sockjs.EventInfo) == goroutines*each
		})
		assert.Equal(t, int64(1), most.Load(), "callbacks of one session overlapped")
		for i, e := range svc.log.callsOf(conn) {
			require.Equal(t, i, e.state, "state threads through the calls")
		}
	})
}

func TestSessionAfterClose(t *testing.T) {
	t.Parallel()
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, nil, sockjs.Options{})
		c, conn := svc.open(t, tr)
		require.NoError(t, conn.Close(0, "ignored"), "code 0 means 3000 Go away!")
		c.ExpectClose(sockjs.CloseGoAway, "Go away!")
		svc.log.closed(t, conn)
		assert.ErrorIs(t, conn.Send("late"), sockjs.ErrClosed)
		assert.ErrorIs(t, conn.Close(3001, "again"), sockjs.ErrClosed)
		assert.ErrorIs(t, conn.Post("late"), sockjs.ErrClosed)
		assert.Zero(t, svc.log.count(conn, sockjs.EventInfo))
	})
}

// TestSessionMessagesBeforeClose closes from the callback; TestCloseAfterMessages
// closes from elsewhere.
func TestSessionMessagesBeforeClose(t *testing.T) {
	t.Parallel()
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, func(c *sockjs.Conn, ev sockjs.Event) {
			if ev.Type == sockjs.EventRecv && ev.Data == "close" {
				c.Send("in")
				c.Send("callback")
				c.Close(3002, "from callback")
			}
		}, sockjs.Options{})
		c, _ := svc.open(t, tr)
		c.Send("close")
		assert.Equal(t, []string{"in", "callback"}, c.RecvN(2))
		c.ExpectClose(3002, "from callback")
	})
}

// posted is a value posted to a session.
type posted struct{ g, k int }

func TestSessionPost(t *testing.T) {
	t.Parallel()
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, func(c *sockjs.Conn, ev sockjs.Event) {
			switch ev.Type {
			case sockjs.EventRecv:
				c.Send(ev.Data)
			case sockjs.EventInfo:
				if s, ok := ev.Info.(string); ok {
					c.Send("info:" + s)
				}
			}
		}, sockjs.Options{})
		c, conn := svc.open(t, tr)
		const goroutines, each = 4, 50
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range each {
					assert.NoError(t, conn.Post(posted{g, k}))
				}
			}()
		}
		wg.Wait()
		svc.log.until(t, "every post", func() bool { return svc.log.countLocked(conn, sockjs.EventInfo) == goroutines*each })
		next := make([]int, goroutines)
		for _, e := range svc.log.callsOf(conn) {
			if e.ev.Type != sockjs.EventInfo {
				continue
			}
			p, ok := e.ev.Info.(posted)
			require.True(t, ok, "Info %#v", e.ev.Info)
			assert.Equal(t, next[p.g], p.k, "posts of goroutine %d out of order", p.g)
			next[p.g] = p.k + 1
		}

		// In order with the messages of the client, and able to send.
		c.Send("x")
		require.Equal(t, "x", c.Recv())
		require.NoError(t, conn.Post("after x"))
		require.Equal(t, "info:after x", c.Recv())
		cs := svc.log.callsOf(conn)
		require.GreaterOrEqual(t, len(cs), 2)
		assert.Equal(t, "x", cs[len(cs)-2].ev.Data)
		assert.Equal(t, "after x", cs[len(cs)-1].ev.Info)
	})
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
		cause   func(t *testing.T, c *sockjstest.Conn, conn *sockjs.Conn)
		panicAt int
	}{
		{"in EventInit", "paninit", func(*testing.T, *sockjstest.Conn, *sockjs.Conn) {}, 0},
		{"in EventRecv", "panrecv", func(t *testing.T, c *sockjstest.Conn, _ *sockjs.Conn) { sendMayClose(c, "boom") }, 1},
		{"in EventInfo", "paninfo", func(t *testing.T, _ *sockjstest.Conn, conn *sockjs.Conn) {
			require.NoError(t, conn.Post("boom"))
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachTransport(t, sockjsTransports, func(t *testing.T, tr client.Transport) {
				svc := startService(t, hook, sockjs.Options{})
				other, _ := svc.open(t, tr)
				// The client's Dial requires the open frame before the
				// close frame.
				c, conn := svc.openWith(t, svc.dialer(tr, tc.sid+newSID()))
				tc.cause(t, c, conn)
				c.ExpectClose(sockjs.CloseServerError, "Internal server error")
				svc.log.closed(t, conn)

				other.Send("still here")
				assert.Equal(t, "still here", other.Recv(), "another session stopped")
				st := svc.h.Stats()
				assert.Equal(t, uint64(1), st.Panics)
				assert.Equal(t, uint64(1), st.ClosedByCode[sockjs.CloseServerError])
				shutdown(t, svc.h)
				svc.log.assertLifecycle(t, conn, tc.panicAt)
			})
		})
	}
}

func TestSessionQueueFull(t *testing.T) {
	t.Parallel()
	const limit = 100
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, nil, sockjs.Options{MaxQueuedBytes: limit})
		c, conn := svc.open(t, tr)
		assert.ErrorIs(t, conn.Send(strings.Repeat("x", 2*limit)), sockjs.ErrQueueFull)
		c.ExpectClose(sockjs.CloseQueueFull, "Outbound queue full")
		svc.log.closed(t, conn)
		assert.ErrorIs(t, conn.Send("small"), sockjs.ErrClosed)
		st := svc.h.Stats()
		assert.Equal(t, uint64(1), st.QueueOverflows)
		assert.Equal(t, uint64(1), st.ClosedByCode[sockjs.CloseQueueFull])
	})
	t.Run("xhr without a receiver", func(t *testing.T) {
		t.Parallel()
		svc := startService(t, nil, sockjs.Options{MaxQueuedBytes: limit})
		sid := newSID()
		require.Equal(t, "o\n", rawReceive(t, svc, client.XHRPolling, sid))
		conn := svc.log.bySID(t, sid)
		var err error
		sent := 0
		for ; sent < 10 && err == nil; sent++ {
			err = conn.Send(strings.Repeat("y", 30))
		}
		assert.ErrorIs(t, err, sockjs.ErrQueueFull)
		assert.Equal(t, 4, sent, "the fourth 32-byte message takes the queue over 100 bytes")
		assertCloseFrame(t, rawReceive(t, svc, client.XHRPolling, sid), sockjs.CloseQueueFull, "Outbound queue full")
		svc.log.closed(t, conn)
		assert.Equal(t, uint64(1), svc.h.Stats().QueueOverflows)
	})
}

func TestSessionMaxSessions(t *testing.T) {
	t.Parallel()
	svc := startService(t, nil, sockjs.Options{MaxSessions: 2})
	ws, _ := svc.open(t, client.Websocket)
	svc.open(t, client.XHRPolling)

	// The refusals, whose status the client hides.
	resp, err := http.Post(svc.URL+"/000/"+newSID()+"/xhr", "text/plain", nil)
	require.NoError(t, err)
	body := make([]byte, 64)
	n, _ := resp.Body.Read(body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "Too many sessions.", string(body[:n]))
	for _, path := range []string{"/000/" + newSID() + "/websocket", "/websocket"} {
		status, _ := svc.handshakeStatus(t, path)
		assert.Equal(t, http.StatusServiceUnavailable, status, path)
	}
	assert.Equal(t, 2, svc.log.count(nil, sockjs.EventInit))
	assert.Equal(t, 2, svc.h.Stats().Sessions)

	// Once the websocket session ends, there is room for one more.
	ws.Close(1000, "")
	svc.log.closed(t, svc.log.nth(t, 0))
	require.Eventually(t, func() bool { return svc.h.Stats().Sessions == 1 }, waitFor, time.Millisecond)
	svc.open(t, client.Websocket)
}

func TestBroadcast(t *testing.T) {
	t.Parallel()
	svc := startService(t, nil, sockjs.Options{})
	var cs []*sockjstest.Conn
	for _, tr := range allTransports {
		c, _ := svc.open(t, tr)
		cs = append(cs, c)
	}
	gone, goneConn := svc.open(t, client.Websocket)
	gone.Close(1000, "")
	svc.log.closed(t, goneConn)

	before := svc.h.Stats().MessagesOut
	svc.h.Broadcast("one")
	svc.h.Broadcast("two\u2028")
	assert.Equal(t, before+2*uint64(len(cs)), svc.h.Stats().MessagesOut, "two messages to each open session")
	for _, c := range cs {
		assert.Equal(t, []string{"one", "two\u2028"}, c.RecvN(2), "over %v", c.Transport())
	}
}

func TestSessionPostDoesNotRunCallbackInline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	closedErrs := make(chan [2]error, 1)
	svc := startService(t, func(c *sockjs.Conn, ev sockjs.Event) {
		switch ev.Type {
		case sockjs.EventInfo:
			<-release
		case sockjs.EventClosed:
			closedErrs <- [2]error{c.Send("late"), c.Close(3001, "late")}
		}
	}, sockjs.Options{})
	c, conn := svc.open(t, client.Websocket)
	posted := make(chan struct{})
	go func() {
		conn.Post(1) // blocks the callback until release
		conn.Post(2)
		close(posted)
	}()
	select {
	case <-posted:
	case <-time.After(waitFor):
		close(release)
		t.Fatal("Post waited for the callback")
	}
	close(release)
	svc.log.until(t, "both posts", func() bool { return svc.log.countLocked(conn, sockjs.EventInfo) == 2 })
	c.Close(1000, "")
	select {
	case errs := <-closedErrs:
		assert.ErrorIs(t, errs[0], sockjs.ErrClosed, "Send from EventClosed")
		assert.ErrorIs(t, errs[1], sockjs.ErrClosed, "Close from EventClosed")
	case <-time.After(waitFor):
		t.Fatal("no EventClosed")
	}
}

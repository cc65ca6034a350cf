package sockjs_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// The behaviours every transport shares, each run over every transport it
// applies to, through the clients of package client.

// httpTransports are the SockJS transports over HTTP requests, whose
// sessions outlive a request.
var httpTransports = []client.Transport{client.XHRStreaming, client.EventSource, client.HTMLFile,
	client.XHRPolling, client.JSONPPolling}

// frameLog records the frames a client's connection gets, with the time
// each came.
type frameLog struct {
	mu     sync.Mutex
	frames []client.Frame
	at     []time.Time
}

// watch makes d record its frames in the log.
func (f *frameLog) watch(d *client.Dialer) *client.Dialer {
	d.OnFrame = func(fr client.Frame) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.frames = append(f.frames, client.Frame{Request: fr.Request, Data: append([]byte(nil), fr.Data...)})
		f.at = append(f.at, time.Now())
	}
	return d
}

// matching returns the times of the frames for which match holds, and the
// frames.
func (f *frameLog) matching(match func(client.Frame) bool) ([]time.Time, []client.Frame) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ts []time.Time
	var fs []client.Frame
	for i, fr := range f.frames {
		if match(fr) {
			ts, fs = append(ts, f.at[i]), append(fs, fr)
		}
	}
	return ts, fs
}

// waitN waits until n frames match, and returns their times.
func (f *frameLog) waitN(t *testing.T, n int, what string, match func(client.Frame) bool) []time.Time {
	t.Helper()
	var ts []time.Time
	require.Eventually(t, func() bool {
		ts, _ = f.matching(match)
		return len(ts) >= n
	}, waitFor, 5*time.Millisecond, "%d frames %s", n, what)
	return ts
}

func isHeartbeat(fr client.Frame) bool { return string(fr.Data) == "h" }

// rawReceive makes one receiving request of tr for session sid, outside
// the client, and returns the whole response body: what a client that
// comes back to a session gets.
func rawReceive(t *testing.T, svc *service, tr client.Transport, sid string) string {
	t.Helper()
	req := map[client.Transport]struct{ method, path string }{
		client.XHRStreaming: {http.MethodPost, "xhr_streaming"},
		client.EventSource:  {http.MethodGet, "eventsource"},
		client.HTMLFile:     {http.MethodGet, "htmlfile?c=cb"},
		client.XHRPolling:   {http.MethodPost, "xhr"},
		client.JSONPPolling: {http.MethodGet, "jsonp?c=cb"},
	}[tr]
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, req.method, svc.URL+"/000/"+sid+"/"+req.path, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "the response must end; got %q", b)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return string(b)
}

// assertCloseFrame checks that body, a response of any HTTP transport,
// carries the close frame with code and reason (escaped as a JavaScript
// string on htmlfile and jsonp-polling).
func assertCloseFrame(t *testing.T, body string, code int, reason string) {
	t.Helper()
	unescaped := strings.ReplaceAll(body, `\"`, `"`)
	assert.Contains(t, unescaped, fmt.Sprintf(`c[%d,"%s"]`, code, reason), "response %q", body)
}

func TestEchoInOrder(t *testing.T) {
	t.Parallel()
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, echo, sockjs.Options{})
		c, conn := svc.open(t, tr)
		c.Send("a", "b")
		c.Send("c")
		svc.log.waitRecvs(t, conn, 3)
		require.NoError(t, conn.Send("d"))
		require.NoError(t, conn.Send("e"))
		assert.Equal(t, []string{"a", "b", "c", "d", "e"}, c.RecvN(5))
		assert.Equal(t, []string{"a", "b", "c"}, svc.log.recvs(conn))
		assertNoMessage(t, c)
	})
}

func TestInitMessagesFollowOpen(t *testing.T) {
	t.Parallel()
	welcome := []string{"w1", "w2", "w3"}
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, func(c *sockjs.Conn, ev sockjs.Event) {
			if ev.Type == sockjs.EventInit {
				for _, m := range welcome {
					c.Send(m)
				}
			}
		}, sockjs.Options{})
		var frames frameLog
		c, _ := svc.openWith(t, frames.watch(svc.dialer(tr, newSID())))
		assert.Equal(t, welcome, c.RecvN(len(welcome)))
		if tr == client.WebsocketRaw {
			return // no frames around its messages
		}
		_, fs := frames.matching(func(fr client.Frame) bool { return !isHeartbeat(fr) && len(fr.Data) < 2048 })
		require.NotEmpty(t, fs)
		// Nothing goes out before EventInit returns: the open frame,
		// then its messages in one batch, in order.
		require.Len(t, fs, 2, "frames %q", fs)
		assert.Equal(t, "o", string(fs[0].Data), "the open frame comes first")
		assert.Equal(t, `a["w1","w2","w3"]`, string(fs[1].Data))
	})
}

func TestCloseAfterMessages(t *testing.T) {
	t.Parallel()
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, nil, sockjs.Options{})
		c, conn := svc.open(t, tr)
		c.Send("ready")
		svc.log.waitRecvs(t, conn, 1)
		require.NoError(t, conn.Send("last 1"))
		require.NoError(t, conn.Send("last 2"))
		require.NoError(t, conn.Close(3000, "Go away!"))
		assert.Equal(t, []string{"last 1", "last 2"}, c.RecvN(2))
		c.ExpectClose(3000, "Go away!")
		ev := svc.log.closed(t, conn)
		assert.Equal(t, 3000, ev.Code)
		assert.Equal(t, "Go away!", ev.Reason)
		if !isWebsocket(tr) {
			// A client that comes back gets the close frame again,
			// and the response ends.
			for range 2 {
				assertCloseFrame(t, rawReceive(t, svc, tr, c.Client.SessionID()), 3000, "Go away!")
			}
		}
		svc.log.assertLifecycle(t, conn, -1)
	})
}

func TestSecondReceiver(t *testing.T) {
	t.Parallel()
	eachTransport(t, httpTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, echo, sockjs.Options{})
		c, conn := svc.open(t, tr)
		if slices.Contains(pollingTransports, tr) {
			// The first client polls again as soon as the open frame
			// came; the poll must be in before the second one.
			time.Sleep(quiet / 3)
		}
		for range 2 {
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			_, err := svc.dialer(tr, c.Client.SessionID()).Dial(ctx, svc.URL)
			cancel()
			var ce *client.CloseError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, &client.CloseError{Code: sockjs.CloseAnotherConnection, Reason: "Another connection still open"}, ce)
		}
		// The first receiver still carries the session.
		c.Send("still")
		assert.Equal(t, "still", c.Recv())
		assert.Equal(t, 1, svc.log.count(nil, sockjs.EventInit))
		svc.log.never(t, "the refused receivers close the session", func() bool {
			return svc.log.countLocked(conn, sockjs.EventClosed) > 0
		})
	})
}

func TestClientGoneClosesSession(t *testing.T) {
	t.Parallel()
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, nil, sockjs.Options{DisconnectDelay: 3 * quiet})
		sid := newSID()
		_, conn, drop := svc.dial(t, svc.dialer(tr, sid))
		if slices.Contains(pollingTransports, tr) {
			time.Sleep(quiet / 3) // until the client polls again
		}
		drop()
		ev := svc.log.closed(t, conn)
		assert.Equal(t, sockjs.CloseInterrupted, ev.Code)
		assert.Equal(t, "Connection interrupted", ev.Reason)
		require.ErrorIs(t, conn.Send("x"), sockjs.ErrClosed)
		if !isWebsocket(tr) {
			// Until the disconnect delay forgets it, the session
			// tells a client that comes back why it ended.
			assertCloseFrame(t, rawReceive(t, svc, tr, sid), sockjs.CloseInterrupted, "Connection interrupted")
		}
		svc.log.assertLifecycle(t, conn, -1)
	})
}

func TestHeartbeats(t *testing.T) {
	t.Parallel()
	const delay = 100 * time.Millisecond
	eachTransport(t, sockjsTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, echo, sockjs.Options{HeartbeatDelay: delay})
		var frames frameLog
		start := time.Now()
		c, _ := svc.openWith(t, frames.watch(svc.dialer(tr, newSID())))
		hs := frames.waitN(t, 3, "h", isHeartbeat)
		assert.GreaterOrEqual(t, hs[0].Sub(start), delay, "first heartbeat")
		for i := 1; i < len(hs); i++ {
			assert.GreaterOrEqual(t, hs[i].Sub(hs[i-1]), delay*8/10, "heartbeat %d after the one before", i)
		}
		// Heartbeats do not disturb the messages.
		c.Send("x")
		assert.Equal(t, "x", c.Recv())
	})
}

func TestResponseLimit(t *testing.T) {
	t.Parallel()
	const limit, n = 300, 20
	eachTransport(t, streamingTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, echo, sockjs.Options{ResponseLimit: limit})
		var frames frameLog
		c, conn := svc.openWith(t, frames.watch(svc.dialer(tr, newSID())))
		for i := range n {
			m := fmt.Sprintf("%02d%s", i, strings.Repeat("x", 98))
			c.Send(m)
			require.Equal(t, m, c.Recv(), "message %d: none lost or repeated", i)
		}
		assertNoMessage(t, c)
		_, fs := frames.matching(func(client.Frame) bool { return true })
		last := fs[len(fs)-1].Request
		assert.GreaterOrEqual(t, last, 4, "responses ended at the limit")
		// Each response ends with the frame that crosses the limit.
		sizes := map[int]int{}
		for _, f := range fs {
			assert.LessOrEqual(t, sizes[f.Request], limit, "response %d goes on past the limit", f.Request)
			if len(f.Data) < 2048 {
				sizes[f.Request] += len(f.Data)
			}
		}
		// The session went on across the responses.
		assert.Equal(t, 1, svc.log.count(nil, sockjs.EventInit))
		assert.Zero(t, svc.log.count(conn, sockjs.EventClosed))
	})
}

func TestDisconnectDelay(t *testing.T) {
	t.Parallel()
	const delay = 200 * time.Millisecond
	eachTransport(t, pollingTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, nil, sockjs.Options{DisconnectDelay: delay})
		sid := newSID()
		start := time.Now()
		// A client that opened the session and polls no more.
		require.Contains(t, rawReceive(t, svc, tr, sid), "o")
		conn := svc.log.bySID(t, sid)
		svc.log.until(t, "EventClosed", func() bool { return svc.log.countLocked(conn, sockjs.EventClosed) > 0 })
		assert.GreaterOrEqual(t, time.Since(start), delay)
		ev := svc.log.closed(t, conn)
		assert.Equal(t, sockjs.CloseInterrupted, ev.Code)
		assert.Equal(t, "Session timed out", ev.Reason)
		require.ErrorIs(t, conn.Send("x"), sockjs.ErrClosed)

		// The id now names a new session.
		svc.openWith(t, svc.dialer(tr, sid))
		assert.NotSame(t, conn, svc.log.nth(t, 1))
		assert.Equal(t, 2, svc.log.count(nil, sockjs.EventInit))
	})
}

func TestKeptAliveByPolls(t *testing.T) {
	t.Parallel()
	const delay = 300 * time.Millisecond
	eachTransport(t, pollingTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, echo, sockjs.Options{DisconnectDelay: delay, HeartbeatDelay: delay / 3})
		var frames frameLog
		c, conn := svc.openWith(t, frames.watch(svc.dialer(tr, newSID())))
		// Polls held for a heartbeat each span more than the disconnect
		// delay in total; none of the gaps between them does.
		frames.waitN(t, 5, "h", isHeartbeat)
		assert.Zero(t, svc.log.count(conn, sockjs.EventClosed))
		c.Send("alive")
		assert.Equal(t, "alive", c.Recv())
	})
}

func TestShutdownClosesSessions(t *testing.T) {
	t.Parallel()
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		svc := startService(t, nil, sockjs.Options{})
		c, conn := svc.open(t, tr)
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		require.NoError(t, svc.h.Shutdown(ctx))
		c.ExpectClose(sockjs.CloseShutdown, "Server shutting down")
		ev := svc.log.closed(t, conn)
		assert.Equal(t, sockjs.CloseShutdown, ev.Code)
		svc.log.assertLifecycle(t, conn, -1)
	})
}

package sockjs_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

const wsFrameShutdown = `c[1001,"Server shutting down"]`

func TestShutdown(t *testing.T) {
	t.Parallel()
	srv, h, l := wsStart(t, wsEcho, sockjs.Options{})
	client := wsClient(t)

	ws := wsOpen(t, srv, wsSID())
	raw := wsDial(t, wsURL(srv, "/echo/websocket"), nil)
	stream := openStream(t, http.MethodPost, wsXHRURL(srv, wsSID(), "xhr_streaming"), nil)
	stream.readUntil(t, "\n") // prelude
	require.Equal(t, "o\n", stream.readUntil(t, "\n"))
	psid := wsSID()
	require.Equal(t, "o", wsPoll(t, client, srv, psid))
	poll := wsAttachedPoll(t, client, srv, psid)
	idle := wsSID() // an xhr session between polls
	require.Equal(t, "o", wsPoll(t, client, srv, idle))
	require.Eventually(t, func() bool { return l.total(sockjs.EventInit) == 5 }, wsTimeout, time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Shutdown(ctx) }()

	assert.Equal(t, wsFrameShutdown, wsRead(t, ws))
	ce := wsReadClose(t, ws)
	assert.Equal(t, 1001, ce.Code)
	assert.Equal(t, "Server shutting down", ce.Text)

	ce = wsReadClose(t, raw)
	assert.Equal(t, 1001, ce.Code)
	assert.Equal(t, "Server shutting down", ce.Text)

	assert.Equal(t, wsFrameShutdown+"\n", stream.readUntil(t, "\n"))
	stream.eof(t)

	poll.wait(t)
	require.NoError(t, poll.err)
	assert.Equal(t, wsFrameShutdown+"\n", poll.body)
	assert.Equal(t, wsFrameShutdown, wsPoll(t, client, srv, idle))

	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(wsTimeout):
		t.Fatal("Shutdown did not return")
	}
	assert.NoError(t, ctx.Err(), "Shutdown returned only at its deadline")
	assert.Equal(t, 5, l.total(sockjs.EventClosed), "every session got EventClosed")
	assert.Equal(t, uint64(5), h.Stats().ClosedByCode[1001])
	assert.NoError(t, h.Shutdown(ctx), "a second Shutdown")
}

func TestShutdownRefusesNewSessions(t *testing.T) {
	t.Parallel()
	srv, h, l := wsStart(t, nil, sockjs.Options{})
	client := wsClient(t)
	shutdown(t, h)

	for _, transport := range []string{"xhr", "xhr_streaming"} {
		status, body := wsDo(t, client, http.MethodPost, wsXHRURL(srv, wsSID(), transport), "", nil)
		assert.Equal(t, http.StatusServiceUnavailable, status, transport)
		assert.Equal(t, "Server shutting down.", body, transport)
	}
	for _, transport := range []string{"eventsource", "htmlfile?c=cb", "jsonp?c=cb"} {
		status, _ := wsDo(t, client, http.MethodGet, wsXHRURL(srv, wsSID(), transport), "", nil)
		assert.Equal(t, http.StatusServiceUnavailable, status, transport)
	}
	for _, path := range []string{"/echo/000/" + wsSID() + "/websocket", "/echo/websocket"} {
		status, _ := wsDialStatus(t, wsURL(srv, path))
		assert.Equal(t, http.StatusServiceUnavailable, status, path)
	}
	assert.Zero(t, l.total(sockjs.EventInit))
	assert.Zero(t, h.Stats().SessionsOpened)
}

func TestShutdownExpiredContext(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
		{"deadline passed", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			srv, h, l := wsStart(t, func(_ *sockjs.Conn, ev sockjs.Event) {
				if ev.Type == sockjs.EventClosed {
					<-release // a callback still busy when Shutdown gives up
				}
			}, sockjs.Options{})
			released := false
			t.Cleanup(func() {
				if !released {
					close(release)
				}
			})
			ws := wsOpen(t, srv, wsSID())
			conn := l.nth(t, 0)

			ctx, cancel := tc.ctx()
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- h.Shutdown(ctx) }()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.ErrorIs(t, err, ctx.Err())
			case <-time.After(wsTimeout):
				t.Fatal("Shutdown with an expired context hung")
			}
			require.Eventually(t, func() bool { return l.count(conn, sockjs.EventClosed) == 1 }, wsTimeout, time.Millisecond)
			assert.Equal(t, wsFrameShutdown, wsRead(t, ws))

			close(release)
			released = true
			shutdown(t, h)
		})
	}
}

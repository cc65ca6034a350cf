package sockjs_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/sockjstest"
)

func TestShutdown(t *testing.T) {
	t.Parallel()
	svc := startService(t, echo, sockjs.Options{})
	var cs []*sockjstest.Conn
	for _, tr := range allTransports {
		c, _ := svc.open(t, tr)
		cs = append(cs, c)
	}
	idle := newSID() // an xhr session between polls
	require.Equal(t, "o\n", rawReceive(t, svc, client.XHRPolling, idle))
	n := len(cs) + 1
	svc.log.nth(t, n-1)

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- svc.h.Shutdown(ctx) }()
	for _, c := range cs {
		c.ExpectClose(sockjs.CloseShutdown, "Server shutting down")
	}
	assertCloseFrame(t, rawReceive(t, svc, client.XHRPolling, idle), sockjs.CloseShutdown, "Server shutting down")

	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatal("Shutdown did not return")
	}
	assert.NoError(t, ctx.Err(), "Shutdown returned only at its deadline")
	assert.Equal(t, n, svc.log.count(nil, sockjs.EventClosed), "every session got EventClosed")
	assert.Equal(t, uint64(n), svc.h.Stats().ClosedByCode[sockjs.CloseShutdown])
	assert.NoError(t, svc.h.Shutdown(ctx), "a second Shutdown")
}

func TestShutdownRefusesNewSessions(t *testing.T) {
	t.Parallel()
	svc := startService(t, nil, sockjs.Options{})
	shutdown(t, svc.h)

	for _, transport := range []string{"xhr", "xhr_streaming"} {
		status, body := svc.request(t, http.MethodPost, "/000/"+newSID()+"/"+transport, "", nil)
		assert.Equal(t, http.StatusServiceUnavailable, status, transport)
		assert.Equal(t, "Server shutting down.", body, transport)
	}
	for _, transport := range []string{"eventsource", "htmlfile?c=cb", "jsonp?c=cb"} {
		status, _ := svc.request(t, http.MethodGet, "/000/"+newSID()+"/"+transport, "", nil)
		assert.Equal(t, http.StatusServiceUnavailable, status, transport)
	}
	for _, path := range []string{"/000/" + newSID() + "/websocket", "/websocket"} {
		status, _ := svc.handshakeStatus(t, path)
		assert.Equal(t, http.StatusServiceUnavailable, status, path)
	}
	assert.Zero(t, svc.log.count(nil, sockjs.EventInit))
	assert.Zero(t, svc.h.Stats().SessionsOpened)
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
			svc := startService(t, func(_ *sockjs.Conn, ev sockjs.Event) {
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
			c, conn := svc.open(t, client.Websocket)

			ctx, cancel := tc.ctx()
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- svc.h.Shutdown(ctx) }()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.ErrorIs(t, err, ctx.Err())
			case <-time.After(waitFor):
				t.Fatal("Shutdown with an expired context hung")
			}
			svc.log.until(t, "EventClosed", func() bool { return svc.log.countLocked(conn, sockjs.EventClosed) == 1 })
			c.ExpectClose(sockjs.CloseShutdown, "Server shutting down")

			close(release)
			released = true
			shutdown(t, svc.h)
		})
	}
}

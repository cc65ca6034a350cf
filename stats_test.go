package sockjs_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

func TestStatsZero(t *testing.T) {
	t.Parallel()
	h := sockjs.NewHandler("/echo", newEventLog(nil).callback, 0, sockjs.Options{})
	assert.Equal(t, sockjs.Stats{
		SessionsByTransport: map[sockjs.Transport]int{},
		ClosedByCode:        map[int]uint64{},
	}, h.Stats())
}

func TestStatsCounters(t *testing.T) {
	t.Parallel()
	svc := startService(t, echo, sockjs.Options{})
	ws, _, dropWS := svc.dial(t, svc.dialer(client.Websocket, newSID()))
	raw, _ := svc.open(t, client.WebsocketRaw)
	xhr, xhrConn := svc.open(t, client.XHRPolling)

	st := svc.h.Stats()
	assert.Equal(t, 3, st.Sessions)
	assert.Equal(t, uint64(3), st.SessionsOpened)
	assert.Zero(t, st.SessionsClosed)
	assert.Equal(t, map[sockjs.Transport]int{"websocket": 1, "websocket-raw": 1, "xhr-polling": 1}, st.SessionsByTransport)
	assert.Empty(t, st.ClosedByCode)

	// Messages in and out: 2 + 1 + 1 messages of 3 + 4 + 5 bytes, echoed.
	ws.Send("a", "bb")
	require.Equal(t, []string{"a", "bb"}, ws.RecvN(2))
	raw.Send("cccc")
	require.Equal(t, "cccc", raw.Recv())
	xhr.Send("ddddd")
	require.Equal(t, "ddddd", xhr.Recv())
	st = svc.h.Stats()
	assert.Equal(t, uint64(4), st.MessagesIn)
	assert.Equal(t, uint64(12), st.BytesIn)
	assert.Equal(t, uint64(4), st.MessagesOut)
	assert.Equal(t, uint64(12), st.BytesOut)

	// Closing: by the application, by the client going away.
	require.NoError(t, xhrConn.Close(3001, "bye"))
	xhr.ExpectClose(3001, "bye")
	dropWS()
	svc.log.until(t, "two sessions closed", func() bool { return svc.log.countLocked(nil, sockjs.EventClosed) == 2 })
	st = svc.h.Stats()
	assert.Equal(t, uint64(3), st.SessionsOpened)
	assert.Equal(t, uint64(2), st.SessionsClosed)
	assert.Equal(t, map[int]uint64{3001: 1, sockjs.CloseInterrupted: 1}, st.ClosedByCode)
	assert.Equal(t, 1, st.SessionsByTransport["websocket-raw"])
	assert.Zero(t, st.SessionsByTransport["websocket"])
	assert.Zero(t, st.SessionsByTransport["xhr-polling"])
	// The closed xhr session lingers to answer its close frame; the
	// websocket session is gone with its socket.
	require.Eventually(t, func() bool { return svc.h.Stats().Sessions == 2 }, waitFor, time.Millisecond)
	assertCloseFrame(t, rawReceive(t, svc, client.XHRPolling, xhr.Client.SessionID()), 3001, "bye")

	// Broadcast counts a message for each session it reaches.
	svc.h.Broadcast("eeeeee")
	require.Equal(t, "eeeeee", raw.Recv())
	st = svc.h.Stats()
	assert.Equal(t, uint64(5), st.MessagesOut)
	assert.Equal(t, uint64(18), st.BytesOut)

	// Refused input counts nothing.
	status, _ := svc.request(t, http.MethodPost, "/000/"+newSID()+"/xhr_send", `["x"]`, nil)
	require.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, uint64(4), svc.h.Stats().MessagesIn)
}

func TestStatsSnapshotIsCopy(t *testing.T) {
	t.Parallel()
	svc := startService(t, nil, sockjs.Options{})
	_, conn, drop := svc.dial(t, svc.dialer(client.Websocket, newSID()))
	drop()
	svc.log.closed(t, conn)
	st := svc.h.Stats()
	st.SessionsByTransport["websocket"] = 42
	st.ClosedByCode[sockjs.CloseInterrupted] = 42
	again := svc.h.Stats()
	assert.Zero(t, again.SessionsByTransport["websocket"])
	assert.Equal(t, uint64(1), again.ClosedByCode[sockjs.CloseInterrupted])
}

// TestStatsCountedWhenCallbackHears checks that a session is counted open in
// its EventInit call and closed in its EventClosed call, so that a callback,
// and a test waiting for the event, reads counts that include it.
func TestStatsCountedWhenCallbackHears(t *testing.T) {
	t.Parallel()
	var h *sockjs.Handler
	seen := make(chan sockjs.Stats, 2)
	svc := startService(t, func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventInit || ev.Type == sockjs.EventClosed {
			seen <- h.Stats()
		}
	}, sockjs.Options{})
	h = svc.h
	_, conn := svc.open(t, client.Websocket)
	require.NoError(t, conn.Close(3001, "bye"))
	opened, closed := <-seen, <-seen
	assert.Equal(t, uint64(1), opened.SessionsOpened)
	assert.Equal(t, uint64(1), closed.SessionsClosed)
	assert.Equal(t, map[int]uint64{3001: 1}, closed.ClosedByCode)
}

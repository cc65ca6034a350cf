package sockjs_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

func TestStatsZero(t *testing.T) {
	t.Parallel()
	h := sockjs.NewHandler("/echo", (&wsLog{}).callback, 0, sockjs.Options{})
	assert.Equal(t, sockjs.Stats{
		SessionsByTransport: map[sockjs.Transport]int{},
		ClosedByCode:        map[int]uint64{},
	}, h.Stats())
}

func TestStatsCounters(t *testing.T) {
	t.Parallel()
	srv, h, l := wsStart(t, wsEcho, sockjs.Options{})
	client := wsClient(t)

	ws := wsOpen(t, srv, wsSID())
	raw := wsDial(t, wsURL(srv, "/echo/websocket"), nil)
	xsid := wsSID()
	require.Equal(t, "o", wsPoll(t, client, srv, xsid))
	require.Eventually(t, func() bool { return l.total(sockjs.EventInit) == 3 }, wsTimeout, time.Millisecond)

	st := h.Stats()
	assert.Equal(t, 3, st.Sessions)
	assert.Equal(t, uint64(3), st.SessionsOpened)
	assert.Zero(t, st.SessionsClosed)
	assert.Equal(t, map[sockjs.Transport]int{"websocket": 1, "websocket-raw": 1, "xhr-polling": 1}, st.SessionsByTransport)
	assert.Empty(t, st.ClosedByCode)

	// Messages in and out: 2 + 1 + 1 messages of 3 + 4 + 5 bytes, echoed.
	wsWrite(t, ws, `["a","bb"]`)
	require.Equal(t, []string{"a", "bb"}, wsReadMsgs(t, ws, 2))
	wsWrite(t, raw, "cccc")
	require.Equal(t, "cccc", wsRead(t, raw))
	wsXHRSend(t, client, srv, xsid, `["ddddd"]`)
	require.Equal(t, `a["ddddd"]`, wsPoll(t, client, srv, xsid))
	st = h.Stats()
	assert.Equal(t, uint64(4), st.MessagesIn)
	assert.Equal(t, uint64(12), st.BytesIn)
	assert.Equal(t, uint64(4), st.MessagesOut)
	assert.Equal(t, uint64(12), st.BytesOut)

	// Closing: by the application, by the client.
	require.NoError(t, l.bySID(t, xsid).Close(3001, "bye"))
	require.NoError(t, ws.Close())
	require.Eventually(t, func() bool { return l.total(sockjs.EventClosed) == 2 }, wsTimeout, time.Millisecond)
	st = h.Stats()
	assert.Equal(t, uint64(3), st.SessionsOpened)
	assert.Equal(t, uint64(2), st.SessionsClosed)
	assert.Equal(t, map[int]uint64{3001: 1, 1002: 1}, st.ClosedByCode)
	assert.Equal(t, 1, st.SessionsByTransport["websocket-raw"])
	assert.Zero(t, st.SessionsByTransport["websocket"])
	assert.Zero(t, st.SessionsByTransport["xhr-polling"])
	// The closed xhr session lingers to answer its close frame; the
	// websocket session is gone with its socket.
	require.Eventually(t, func() bool { return h.Stats().Sessions == 2 }, wsTimeout, time.Millisecond)
	assert.Equal(t, `c[3001,"bye"]`, wsPoll(t, client, srv, xsid))

	// Broadcast counts a message for each session it reaches.
	h.Broadcast("eeeeee")
	require.Equal(t, "eeeeee", wsRead(t, raw))
	st = h.Stats()
	assert.Equal(t, uint64(5), st.MessagesOut)
	assert.Equal(t, uint64(18), st.BytesOut)

	// Refused input counts nothing.
	status, _ := wsDo(t, client, http.MethodPost, wsXHRURL(srv, wsSID(), "xhr_send"), `["x"]`, nil)
	require.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, uint64(4), h.Stats().MessagesIn)
}

func TestStatsSnapshotIsCopy(t *testing.T) {
	t.Parallel()
	srv, h, l := wsStart(t, nil, sockjs.Options{})
	ws := wsOpen(t, srv, wsSID())
	ws.Close()
	require.Eventually(t, func() bool { return l.total(sockjs.EventClosed) == 1 }, wsTimeout, time.Millisecond)
	st := h.Stats()
	st.SessionsByTransport["websocket"] = 42
	st.ClosedByCode[1002] = 42
	again := h.Stats()
	assert.Zero(t, again.SessionsByTransport["websocket"])
	assert.Equal(t, uint64(1), again.ClosedByCode[1002])
}

package sockjs_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

func TestXHRPollingTransport(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	origin := map[string]string{"Origin": "test"}

	resp, body := do(t, http.MethodPost, htURL(srv, sid, "xhr"), "", origin)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "o\n", body)
	assert.Equal(t, htContentJS, resp.Header.Get("Content-Type"))
	assert.Equal(t, htNoCache, resp.Header.Get("Cache-Control"))
	assert.Empty(t, resp.Header.Get("Expires"))
	assert.Empty(t, resp.Header.Get("Last-Modified"))
	assert.Equal(t, "test", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))

	resp, body = do(t, http.MethodPost, htURL(srv, sid, "xhr_send"), `["x"]`, origin)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, body)
	assert.Equal(t, htContentText, resp.Header.Get("Content-Type"))
	assert.Equal(t, htNoCache, resp.Header.Get("Cache-Control"))
	assert.Equal(t, "test", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))

	assert.Equal(t, `a["x"]`+"\n", htPoll(t, srv, sid))
	assert.Equal(t, 1, rec.count(sockjs.EventInit))
	assert.Equal(t, "x", rec.wait(t, sockjs.EventRecv).Data)
}

func TestXHRPollingBatchesInOrder(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	htOpen(t, srv, sid)
	htSend(t, srv, sid, `["a","b"]`)
	htSend(t, srv, sid, `["c"]`)
	c := rec.conn(t, 0)
	require.NoError(t, c.Send("d"))
	require.NoError(t, c.Send("e"))
	assert.Equal(t, `a["a","b","c","d","e"]`+"\n", htPoll(t, srv, sid))
}

func TestXHRPollingHeldUntilMessage(t *testing.T) {
	t.Parallel()
	rec := newRecorder(false)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	htOpen(t, srv, sid)
	poll := htAsync(context.Background(), http.MethodPost, htURL(srv, sid, "xhr"), "", nil)
	htPending(t, poll, 150*time.Millisecond)
	require.NoError(t, rec.conn(t, 0).Send("late"))
	r := htWait(t, poll)
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, `a["late"]`+"\n", r.body)
}

func TestXHRPollingSecondReceiver(t *testing.T) {
	t.Parallel()
	rec := newRecorder(false)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	htOpen(t, srv, sid)
	// htAttachedPoll requires the concurrent poll to get the 2010 frame.
	pending, _ := htAttachedPoll(t, srv, sid)
	// A third one is refused too while the first stays attached.
	assert.Equal(t, htFrame2010+"\n", htPoll(t, srv, sid))
	// The refused polls did not disturb the attached one or the session.
	require.NoError(t, rec.conn(t, 0).Send("still"))
	r := htWait(t, pending)
	require.NoError(t, r.err)
	assert.Equal(t, `a["still"]`+"\n", r.body)
	assert.Zero(t, rec.count(sockjs.EventClosed))
}

func TestXHRPollingHeartbeat(t *testing.T) {
	t.Parallel()
	const delay = 100 * time.Millisecond
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{HeartbeatDelay: delay})
	sid := htSID()
	htOpen(t, srv, sid)
	start := time.Now()
	poll := htAsync(context.Background(), http.MethodPost, htURL(srv, sid, "xhr"), "", nil)
	r := htWait(t, poll)
	require.NoError(t, r.err)
	assert.Equal(t, "h\n", r.body)
	assert.GreaterOrEqual(t, time.Since(start), delay)
}

func TestXHRPollingDisconnectDelay(t *testing.T) {
	t.Parallel()
	const delay = 100 * time.Millisecond
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{DisconnectDelay: delay})
	sid := htSID()
	start := time.Now()
	htOpen(t, srv, sid)
	rec.wait(t, sockjs.EventClosed)
	assert.GreaterOrEqual(t, time.Since(start), delay)
	require.ErrorIs(t, rec.conn(t, 0).Send("x"), sockjs.ErrClosed)

	// The id now names a new session.
	htOpen(t, srv, sid)
	assert.Equal(t, 2, rec.count(sockjs.EventInit))
	assert.NotSame(t, rec.conn(t, 0), rec.conn(t, 1))
}

func TestXHRPollingKeptAliveByPolls(t *testing.T) {
	t.Parallel()
	const delay = 300 * time.Millisecond
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{DisconnectDelay: delay, HeartbeatDelay: delay / 3})
	sid := htSID()
	htOpen(t, srv, sid)
	// Polls held for a heartbeat each span more than the disconnect delay
	// in total; none of the gaps between them does.
	for range 5 {
		assert.Equal(t, "h\n", htPoll(t, srv, sid))
	}
	assert.Zero(t, rec.count(sockjs.EventClosed))
	htSend(t, srv, sid, `["alive"]`)
	assert.Equal(t, `a["alive"]`+"\n", htPoll(t, srv, sid))
}

func TestXHRSendUnknownSession(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	resp, _ := do(t, http.MethodPost, htURL(srv, htSID(), "xhr_send"), `["x"]`, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Zero(t, rec.count(sockjs.EventInit))
}

func TestXHRSendBadPayload(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	htOpen(t, srv, sid)
	cases := []struct {
		body, want string
	}{
		{`["x`, "Broken JSON encoding."},
		{`["x"`, "Broken JSON encoding."},
		{`{"a":1}`, "Broken JSON encoding."},
		{`[1]`, "Broken JSON encoding."},
		{`["a"] x`, "Broken JSON encoding."},
		{"", "Payload expected."},
		{" \n\t", "Payload expected."},
	}
	for _, c := range cases {
		resp, body := do(t, http.MethodPost, htURL(srv, sid, "xhr_send"), c.body, nil)
		assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "%q", c.body)
		assert.Equal(t, c.want, body, "%q", c.body)
		assert.Equal(t, htContentText, resp.Header.Get("Content-Type"), "%q", c.body)
	}
	// Nothing of the refused bodies was delivered; the session goes on.
	htSend(t, srv, sid, `[]`)
	htSend(t, srv, sid, `["a"]`)
	assert.Equal(t, `a["a"]`+"\n", htPoll(t, srv, sid))
	assert.Equal(t, 1, rec.count(sockjs.EventRecv))
}

func TestXHRSendContentTypes(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{})
	sid := htSID()
	htOpen(t, srv, sid)
	ctypes := []string{"text/plain", "T", "application/json", "application/xml", "",
		"application/json; charset=utf-8", "text/xml; charset=utf-8", "text/xml",
		"application/x-www-form-urlencoded"}
	for _, ct := range ctypes {
		resp, body := do(t, http.MethodPost, htURL(srv, sid, "xhr_send"), `["a"]`, map[string]string{"Content-Type": ct})
		assert.Equal(t, http.StatusNoContent, resp.StatusCode, ct)
		assert.Empty(t, body, ct)
	}
	want := "a[" + strings.TrimSuffix(strings.Repeat(`"a",`, len(ctypes)), ",") + "]\n"
	assert.Equal(t, want, htPoll(t, srv, sid))
}

func TestXHRSendTooLarge(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{MaxMessageSize: 16})
	sid := htSID()
	htOpen(t, srv, sid)
	fits := `["0123456789ab"]` // 16 bytes
	big := `["0123456789abc"]` // 17 bytes
	htSend(t, srv, sid, fits)

	// With a Content-Length, and streamed without one.
	resp, body := do(t, http.MethodPost, htURL(srv, sid, "xhr_send"), big, nil)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Equal(t, "Payload too large.", body)

	req, err := http.NewRequest(http.MethodPost, htURL(srv, sid, "xhr_send"), io.MultiReader(strings.NewReader(big)))
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Equal(t, "Payload too large.", string(b))

	assert.Equal(t, `a["0123456789ab"]`+"\n", htPoll(t, srv, sid))
	assert.Equal(t, 1, rec.count(sockjs.EventRecv))
}

func TestXHRPollingAbortClosesSession(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	htOpen(t, srv, sid)
	pending, cancel := htAttachedPoll(t, srv, sid)
	cancel()
	r := htWait(t, pending)
	require.ErrorIs(t, r.err, context.Canceled)

	rec.wait(t, sockjs.EventClosed)
	for range 2 {
		assert.Equal(t, htFrame1002+"\n", htPoll(t, srv, sid))
	}
	resp, _ := do(t, http.MethodPost, htURL(srv, sid, "xhr_send"), `["x"]`, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, 1, rec.count(sockjs.EventClosed))
	assert.Equal(t, 1, rec.count(sockjs.EventInit))
}

func TestXHRPollingCloseFrameRepeated(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	rec.onInit = func(c *sockjs.Conn) { c.Close(3000, "Go away!") }
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	htOpen(t, srv, sid)
	for range 3 {
		assert.Equal(t, htFrameGoAway+"\n", htPoll(t, srv, sid))
	}
	assert.Equal(t, 1, rec.count(sockjs.EventClosed))
}

func TestXHRPollingInitMessagesFollowOpen(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	rec.onInit = func(c *sockjs.Conn) { c.Send("welcome") }
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	htOpen(t, srv, sid)
	assert.Equal(t, `a["welcome"]`+"\n", htPoll(t, srv, sid))
}

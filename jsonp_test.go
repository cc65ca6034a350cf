package sockjs_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// jsonpPoll makes one JSONP poll of session sid with callback x and returns
// its body.
func jsonpPoll(t *testing.T, s *service, sid string) string {
	t.Helper()
	resp, body := do(t, http.MethodGet, s.at(sid, "jsonp")+"?c=x", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "body %q", body)
	return body
}

// jsonpSend posts body with content type ct to the jsonp_send of session
// sid.
func jsonpSend(t *testing.T, s *service, sid, ct, body string) (*http.Response, string) {
	t.Helper()
	return do(t, http.MethodPost, s.at(sid, "jsonp_send"), body, map[string]string{"Content-Type": ct})
}

func TestJSONPTransport(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	sid := newSID()
	resp, body := do(t, http.MethodGet, s.at(sid, "jsonp")+"?c=%63allback", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, contentJS, resp.Header.Get("Content-Type"))
	assert.Equal(t, noCache, resp.Header.Get("Cache-Control"))
	assert.Empty(t, resp.Header.Get("Expires"))
	assert.Empty(t, resp.Header.Get("Last-Modified"))
	assert.Equal(t, "/**/callback(\"o\");\r\n", body)

	resp, body = jsonpSend(t, s, sid, contentForm, "d=%5B%22x%22%5D")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok", body)
	assert.Equal(t, contentText, resp.Header.Get("Content-Type"))
	assert.Equal(t, noCache, resp.Header.Get("Cache-Control"))

	resp, body = do(t, http.MethodGet, s.at(sid, "jsonp")+"?callback=callback", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/**/callback(\"a[\\\"x\\\"]\");\r\n", body)
}

// TestJSONPSendBodies checks the bodies and content types jsonp_send
// takes, on a session a client polls.
func TestJSONPSendBodies(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	c, sc := s.open(t, client.JSONPPolling)
	sid := c.Client.SessionID()
	for _, b := range []struct{ ct, body string }{
		{contentForm, "d=%5B%22abc%22%5D"},
		{"text/plain", `["%61bc"]`},                                  // taken literally
		{contentForm + "; charset=UTF-8", "p=1&d=%5B%22a%2Bb%22%5D"}, // other fields ignored
		{contentForm, "d=%5B%5D"},                                    // no messages
		{"", `"single"`},
	} {
		resp, body := jsonpSend(t, s, sid, b.ct, b.body)
		assert.Equal(t, http.StatusOK, resp.StatusCode, b.body)
		assert.Equal(t, "ok", body, b.body)
	}
	assert.Equal(t, []string{"abc", "%61bc", "a+b", "single"}, c.RecvN(4))
	assert.Len(t, s.log.recvs(sc), 4)
}

func TestJSONPSendBadPayload(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	c, sc := s.open(t, client.JSONPPolling)
	sid := c.Client.SessionID()
	for _, b := range []struct{ ct, body, want string }{
		{contentForm, "d=%5B%22x", "Broken JSON encoding."},
		{"text/plain", `["x`, "Broken JSON encoding."},
		{contentForm, "", "Payload expected."},
		{contentForm, "d=", "Payload expected."},
		{contentForm, "p=p", "Payload expected."},
		{"text/plain", "", "Payload expected."},
	} {
		resp, body := jsonpSend(t, s, sid, b.ct, b.body)
		assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, b.body)
		assert.Equal(t, b.want, body, b.body)
		assert.Equal(t, contentText, resp.Header.Get("Content-Type"), b.body)
	}
	resp, body := jsonpSend(t, s, sid, contentForm, "d=%5B%22b%22%5D")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "ok", body)
	assert.Equal(t, "b", c.Recv())
	assertNoMessage(t, c)
	assert.Equal(t, []string{"b"}, s.log.recvs(sc))
}

func TestJSONPSendUnknownSession(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	resp, _ := jsonpSend(t, s, newSID(), contentForm, "d=%5B%22x%22%5D")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	s.log.never(t, "jsonp_send opened a session", func() bool { return len(s.log.conns) > 0 })
}

func TestJSONPClose(t *testing.T) {
	t.Parallel()
	s := startService(t, func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventInit {
			c.Close(3000, "Go away!")
		}
	}, sockjs.Options{})
	sid := newSID()
	assert.Equal(t, "/**/x(\"o\");\r\n", jsonpPoll(t, s, sid))
	for range 3 {
		assert.Equal(t, "/**/x(\"c[3000,\\\"Go away!\\\"]\");\r\n", jsonpPoll(t, s, sid))
	}
	assert.Equal(t, 1, s.log.count(nil, sockjs.EventClosed))
}

func TestJSONPEscapesLineSeparators(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{})
	sid := newSID()
	require.Equal(t, "/**/x(\"o\");\r\n", jsonpPoll(t, s, sid))
	require.NoError(t, s.log.nth(t, 0).Send("a\u2028b\u2029c\nd"))
	assert.Equal(t, "/**/x(\"a[\\\"a\\\\u2028b\\\\u2029c\\\\nd\\\"]\");\r\n", jsonpPoll(t, s, sid))
}

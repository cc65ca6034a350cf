package sockjs_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

const htForm = "application/x-www-form-urlencoded"

// htJSONP makes one JSONP poll with callback x and returns its body.
func htJSONP(t *testing.T, srv *httptest.Server, sid string) string {
	t.Helper()
	resp, body := do(t, http.MethodGet, htURL(srv, sid, "jsonp")+"?c=x", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "body %q", body)
	return body
}

// htJSONPSend posts body with content type ct to jsonp_send.
func htJSONPSend(t *testing.T, srv *httptest.Server, sid, ct, body string) (*http.Response, string) {
	t.Helper()
	return do(t, http.MethodPost, htURL(srv, sid, "jsonp_send"), body, map[string]string{"Content-Type": ct})
}

func TestJSONPTransport(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	resp, body := do(t, http.MethodGet, htURL(srv, sid, "jsonp")+"?c=%63allback", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, htContentJS, resp.Header.Get("Content-Type"))
	assert.Equal(t, htNoCache, resp.Header.Get("Cache-Control"))
	assert.Empty(t, resp.Header.Get("Expires"))
	assert.Empty(t, resp.Header.Get("Last-Modified"))
	assert.Equal(t, "/**/callback(\"o\");\r\n", body)

	resp, body = htJSONPSend(t, srv, sid, htForm, "d=%5B%22x%22%5D")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok", body)
	assert.Equal(t, htContentText, resp.Header.Get("Content-Type"))
	assert.Equal(t, htNoCache, resp.Header.Get("Cache-Control"))

	resp, body = do(t, http.MethodGet, htURL(srv, sid, "jsonp")+"?callback=callback", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/**/callback(\"a[\\\"x\\\"]\");\r\n", body)
}

func TestJSONPSendBodies(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	require.Equal(t, "/**/x(\"o\");\r\n", htJSONP(t, srv, sid))

	ok := []struct{ ct, body string }{
		{htForm, "d=%5B%22abc%22%5D"},
		{"text/plain", `["%61bc"]`},                             // taken literally
		{htForm + "; charset=UTF-8", "p=1&d=%5B%22a%2Bb%22%5D"}, // other fields ignored
		{htForm, "d=%5B%5D"},                                    // no messages
		{"", `"single"`},
	}
	for _, c := range ok {
		resp, body := htJSONPSend(t, srv, sid, c.ct, c.body)
		assert.Equal(t, http.StatusOK, resp.StatusCode, c.body)
		assert.Equal(t, "ok", body, c.body)
	}
	assert.Equal(t, "/**/x(\"a[\\\"abc\\\",\\\"%61bc\\\",\\\"a+b\\\",\\\"single\\\"]\");\r\n", htJSONP(t, srv, sid))
}

func TestJSONPSendBadPayload(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	require.Equal(t, "/**/x(\"o\");\r\n", htJSONP(t, srv, sid))
	cases := []struct{ ct, body, want string }{
		{htForm, "d=%5B%22x", "Broken JSON encoding."},
		{"text/plain", `["x`, "Broken JSON encoding."},
		{htForm, "", "Payload expected."},
		{htForm, "d=", "Payload expected."},
		{htForm, "p=p", "Payload expected."},
		{"text/plain", "", "Payload expected."},
	}
	for _, c := range cases {
		resp, body := htJSONPSend(t, srv, sid, c.ct, c.body)
		assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, c.body)
		assert.Equal(t, c.want, body, c.body)
		assert.Equal(t, htContentText, resp.Header.Get("Content-Type"), c.body)
	}
	resp, body := htJSONPSend(t, srv, sid, htForm, "d=%5B%22b%22%5D")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "ok", body)
	assert.Equal(t, "/**/x(\"a[\\\"b\\\"]\");\r\n", htJSONP(t, srv, sid))
	assert.Equal(t, 1, rec.count(sockjs.EventRecv))
}

func TestJSONPSendUnknownSession(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	resp, _ := htJSONPSend(t, srv, htSID(), htForm, "d=%5B%22x%22%5D")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Zero(t, rec.count(sockjs.EventInit))
}

func TestJSONPClose(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	rec.onInit = func(c *sockjs.Conn) { c.Close(3000, "Go away!") }
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	assert.Equal(t, "/**/x(\"o\");\r\n", htJSONP(t, srv, sid))
	for range 3 {
		assert.Equal(t, "/**/x(\"c[3000,\\\"Go away!\\\"]\");\r\n", htJSONP(t, srv, sid))
	}
	assert.Equal(t, 1, rec.count(sockjs.EventClosed))
}

func TestJSONPEscapesLineSeparators(t *testing.T) {
	t.Parallel()
	rec := newRecorder(false)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	require.Equal(t, "/**/x(\"o\");\r\n", htJSONP(t, srv, sid))
	require.NoError(t, rec.conn(t, 0).Send("a\u2028b\u2029c\nd"))
	assert.Equal(t, "/**/x(\"a[\\\"a\\\\u2028b\\\\u2029c\\\\nd\\\"]\");\r\n", htJSONP(t, srv, sid))
}

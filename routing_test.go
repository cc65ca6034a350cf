package sockjs_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/sockjstest"
)

func TestRoutingGreeting(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{CookieNeeded: true})
	for _, path := range []string{"", "/"} {
		resp, body := do(t, http.MethodGet, s.URL+path, "", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Equal(t, contentText, resp.Header.Get("Content-Type"), path)
		assert.Equal(t, "Welcome to SockJS!\n", body, path)
		assert.Empty(t, resp.Header.Values("Set-Cookie"), path)
	}
}

func TestRoutingNotFound(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{})
	paths := []string{
		"/echo/a", "/echo/a.html", "/echo//", "/echo///", "/echo/a/a", "/echo/a/a/", "/echo/a/",
		// bad session paths
		"/echo//xhr", "/echo/a./a/xhr", "/echo/a/a./xhr", "/echo/././xhr", "/echo/./xhr", "/echo///xhr",
		"/echo/a/xhr", "/echo/xhr",
		// unknown transports
		"/echo/000/abc/bogus", "/echo/000/abc/XHR", "/echo/000/abc/xhr/", "/echo/000/abc/xhr/extra",
		"/echo/000/abc/", "/echo/000/abc",
		// outside the prefix
		"/echoes", "/echoes/info", "/ech", "/", "/other/echo",
	}
	for _, path := range paths {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			resp, _ := do(t, method, s.HTTP.URL+path, "", nil)
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s %s", method, path)
		}
	}
	s.log.never(t, "a refused path opened a session", func() bool { return len(s.log.conns) > 0 })
}

func TestRoutingMethodNotAllowed(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{})
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodPost, "/000/abc/websocket", "GET"},
		{http.MethodGet, "/000/abc/xhr", "OPTIONS, POST"},
		{http.MethodGet, "/000/abc/xhr_send", "OPTIONS, POST"},
		{http.MethodGet, "/000/abc/xhr_streaming", "OPTIONS, POST"},
		{http.MethodPut, "/000/abc/xhr", "OPTIONS, POST"},
		{http.MethodPost, "/000/abc/eventsource", "GET"},
		{http.MethodPost, "/000/abc/htmlfile", "GET"},
		{http.MethodPost, "/000/abc/jsonp", "GET"},
		{http.MethodGet, "/000/abc/jsonp_send", "POST"},
		{http.MethodPost, "/info", "OPTIONS, GET"},
		{http.MethodDelete, "/info", "OPTIONS, GET"},
		{http.MethodPost, "", "GET, HEAD"},
		{http.MethodPost, "/iframe.html", "GET, HEAD"},
	} {
		resp, body := do(t, c.method, s.URL+c.path, "", nil)
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "%s %s", c.method, c.path)
		assert.Equal(t, c.allow, resp.Header.Get("Allow"), "%s %s", c.method, c.path)
		assert.Empty(t, resp.Header.Get("Content-Type"), "%s %s", c.method, c.path)
		assert.Empty(t, body, "%s %s", c.method, c.path)
	}
}

func TestRoutingAnySessionID(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{})
	r := newSID()
	long := strings.Repeat("z", 127)
	for _, part := range []string{"/a/a" + r, "/_/_" + r, "/1/" + r, "/abcdefgh_i-j%20/abcdefg_i-j%20" + r, "/x/" + long + "1"} {
		resp, body := do(t, http.MethodPost, s.URL+part+"/xhr", "", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, part)
		assert.Equal(t, "o\n", body, part)
	}
	// Ids are bounded to 128 bytes.
	for _, part := range []string{"/x/" + long + "12", "/" + long + "12/x"} {
		resp, _ := do(t, http.MethodPost, s.URL+part+"/xhr", "", nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	}
}

// TestRoutingServerIDIgnored checks that a session is found by its id
// whatever server id its requests carry.
func TestRoutingServerIDIgnored(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	d := s.dialer(client.XHRPolling, newSID())
	d.ServerID = "000"
	c, _ := s.openWith(t, d)
	resp, _ := do(t, http.MethodPost, s.URL+"/999/"+c.Client.SessionID()+"/xhr_send", `["a"]`, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "a", c.Recv())
	assert.Equal(t, 1, s.log.count(nil, sockjs.EventInit))
}

func TestRoutingPrefixTrailingSlash(t *testing.T) {
	t.Parallel()
	l := newEventLog(echo)
	h := sockjs.NewHandler("/echo/", l.callback, 0, sockjs.Options{})
	assert.Equal(t, "/echo", h.Prefix())
	srv := sockjstest.NewServer(h)
	t.Cleanup(func() { srv.Close() })
	for _, path := range []string{"", "/"} {
		resp, body := do(t, http.MethodGet, srv.URL+path, "", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Equal(t, "Welcome to SockJS!\n", body, path)
	}
	c, _ := (&service{Server: srv, h: h, log: l}).open(t, client.XHRPolling)
	c.Send("x")
	assert.Equal(t, "x", c.Recv())
}

func TestRoutingWebsocketDisabled(t *testing.T) {
	t.Parallel()
	off := startService(t, nil, sockjs.Options{DisableWebsocket: true})
	on := startService(t, nil, sockjs.Options{})
	upgrade := map[string]string{
		"Connection":            "Upgrade",
		"Upgrade":               "websocket",
		"Sec-WebSocket-Version": "13",
		"Sec-WebSocket-Key":     "dGhlIHNhbXBsZSBub25jZQ==",
	}
	for _, path := range []string{"/000/abc/websocket", "/websocket"} {
		resp, _ := do(t, http.MethodGet, off.URL+path, "", upgrade)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		// Without the option the same path exists (a plain GET is not an
		// upgrade, so it fails otherwise).
		resp, _ = do(t, http.MethodGet, on.URL+path, "", nil)
		assert.NotEqual(t, http.StatusNotFound, resp.StatusCode, path)
	}
}

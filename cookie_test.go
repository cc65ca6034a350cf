package sockjs_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// htCookieRequest is one request of a cookie test; it needs an open
// session when send is set.
type htCookieRequest struct {
	name      string
	method    string
	transport string
	query     string
	body      string
	ct        string
	streaming bool
	send      bool
}

var htCookieRequests = []htCookieRequest{
	{name: "xhr", method: http.MethodPost, transport: "xhr"},
	{name: "xhr_streaming", method: http.MethodPost, transport: "xhr_streaming", streaming: true},
	{name: "eventsource", method: http.MethodGet, transport: "eventsource", streaming: true},
	{name: "htmlfile", method: http.MethodGet, transport: "htmlfile", query: "?c=%63allback", streaming: true},
	{name: "jsonp", method: http.MethodGet, transport: "jsonp", query: "?c=%63allback"},
	{name: "xhr_send", method: http.MethodPost, transport: "xhr_send", body: `["x"]`, send: true},
	{name: "jsonp_send", method: http.MethodPost, transport: "jsonp_send", body: "d=%5B%22x%22%5D", ct: htForm, send: true},
}

// htCookies makes request c with header and returns its Set-Cookie values.
func htCookies(t *testing.T, srv *httptest.Server, c htCookieRequest, header map[string]string) []string {
	t.Helper()
	sid := htSID()
	if c.send {
		htOpen(t, srv, sid)
	}
	hdr := map[string]string{}
	for k, v := range header {
		hdr[k] = v
	}
	if c.ct != "" {
		hdr["Content-Type"] = c.ct
	}
	url := htURL(srv, sid, c.transport) + c.query
	if c.streaming {
		s := openStream(t, c.method, url, hdr)
		require.Equal(t, http.StatusOK, s.resp.StatusCode)
		s.resp.Body.Close()
		return s.resp.Header.Values("Set-Cookie")
	}
	resp, body := do(t, c.method, url, c.body, hdr)
	require.Less(t, resp.StatusCode, 300, "body %q", body)
	return resp.Header.Values("Set-Cookie")
}

func TestCookieNeeded(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{CookieNeeded: true})
	for _, c := range htCookieRequests {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, []string{"JSESSIONID=dummy; Path=/"}, htCookies(t, srv, c, nil))
			assert.Equal(t, []string{"JSESSIONID=abcdef; Path=/"},
				htCookies(t, srv, c, map[string]string{"Cookie": "JSESSIONID=abcdef"}))
			assert.Equal(t, []string{"JSESSIONID=dummy; Path=/"},
				htCookies(t, srv, c, map[string]string{"Cookie": "other=1"}))
		})
	}
}

func TestCookieNotNeeded(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{})
	for _, c := range htCookieRequests {
		t.Run(c.name, func(t *testing.T) {
			assert.Empty(t, htCookies(t, srv, c, nil))
			assert.Empty(t, htCookies(t, srv, c, map[string]string{"Cookie": "JSESSIONID=abcdef"}))
		})
	}
}

func TestCookieNeverOnStaticPages(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{CookieNeeded: true})
	for _, path := range []string{"/echo", "/echo/info", "/echo/iframe.html", "/echo/iframe-1.2.html"} {
		for _, cookie := range []string{"", "JSESSIONID=abcdef"} {
			hdr := map[string]string{}
			if cookie != "" {
				hdr["Cookie"] = cookie
			}
			resp, _ := do(t, http.MethodGet, srv.URL+path, "", hdr)
			assert.Equal(t, http.StatusOK, resp.StatusCode, path)
			assert.Empty(t, resp.Header.Values("Set-Cookie"), path)
		}
	}
}

func TestAffinityCookie(t *testing.T) {
	t.Parallel()
	node := func(r *http.Request) *http.Cookie {
		if r.Header.Get("X-No-Cookie") != "" {
			return nil
		}
		return &http.Cookie{Name: "SERVERID", Value: "node-7", Path: "/", HttpOnly: true}
	}
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{AffinityCookie: node})
	for _, c := range htCookieRequests {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, []string{"SERVERID=node-7; Path=/; HttpOnly"}, htCookies(t, srv, c, nil))
			assert.Equal(t, []string{"SERVERID=node-7; Path=/; HttpOnly"},
				htCookies(t, srv, c, map[string]string{"Cookie": "JSESSIONID=abcdef"}), "no JSESSIONID")
			assert.Empty(t, htCookies(t, srv, c, map[string]string{"X-No-Cookie": "1"}), "nil: no cookie")
		})
	}
	_, _, info := htInfo(t, srv.URL, nil)
	assert.Equal(t, true, info["cookie_needed"], "AffinityCookie implies cookie_needed")
}

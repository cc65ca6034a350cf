package sockjs_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// corsEndpoint is one request that a CORS-capable endpoint answers.
type corsEndpoint struct {
	name      string
	method    string
	path      string // under the prefix, with %s for an open session's id
	body      string
	streaming bool // read only the headers
}

var corsEndpoints = []corsEndpoint{
	{name: "info", method: http.MethodGet, path: "/info"},
	{name: "xhr", method: http.MethodPost, path: "/000/%s/xhr"},
	{name: "xhr_send", method: http.MethodPost, path: "/000/%s/xhr_send", body: `["x"]`},
	{name: "xhr_streaming", method: http.MethodPost, path: "/000/%s/xhr_streaming", streaming: true},
	{name: "eventsource", method: http.MethodGet, path: "/000/%s/eventsource", streaming: true},
}

// request makes the request of e on session sid of s and returns its
// status, headers and body.
func (e corsEndpoint) request(t *testing.T, s *service, sid string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	url := s.URL + strings.Replace(e.path, "%s", sid, 1)
	if e.streaming {
		st := openStream(t, e.method, url, header)
		st.resp.Body.Close()
		return st.resp.StatusCode, st.resp.Header, ""
	}
	resp, body := do(t, e.method, url, e.body, header)
	return resp.StatusCode, resp.Header, body
}

// openSID opens a session over xhr-polling and returns its id, for raw
// requests that need an open session.
func openSID(t *testing.T, s *service) string {
	t.Helper()
	c, _ := s.open(t, client.XHRPolling)
	return c.Client.SessionID()
}

func TestCORSHeaders(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	origins := []struct {
		name, origin, allow, credentials string
	}{
		{"origin", "http://example.com", "http://example.com", "true"},
		{"null origin", "null", "null", "true"},
		{"no origin", "", "*", ""},
	}
	for _, e := range corsEndpoints {
		for _, o := range origins {
			t.Run(e.name+"/"+o.name, func(t *testing.T) {
				sid := newSID()
				if e.name == "xhr_send" {
					sid = openSID(t, s)
				}
				var hdr map[string]string
				if o.origin != "" {
					hdr = map[string]string{"Origin": o.origin}
				}
				status, h, _ := e.request(t, s, sid, hdr)
				assert.Less(t, status, 300)
				assert.Equal(t, o.allow, h.Get("Access-Control-Allow-Origin"))
				if o.credentials == "" {
					assert.Empty(t, h.Values("Access-Control-Allow-Credentials"))
				} else {
					assert.Equal(t, o.credentials, h.Get("Access-Control-Allow-Credentials"))
				}
				assert.Contains(t, h.Values("Vary"), "Origin")
			})
		}
	}
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{})
	for _, transport := range []string{"xhr", "xhr_send", "xhr_streaming"} {
		for _, origin := range []string{"test", "null"} {
			t.Run(transport+"/"+origin, func(t *testing.T) {
				before := time.Now()
				resp, body := do(t, http.MethodOptions, s.URL+"/abc/abc/"+transport, "",
					map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
				assert.Equal(t, http.StatusNoContent, resp.StatusCode)
				assert.Empty(t, body)
				assertPreflight(t, resp, "OPTIONS, POST", before)
				assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"))
				assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
				assert.Empty(t, resp.Header.Values("Access-Control-Allow-Headers"))
			})
		}
	}
	for _, c := range []struct {
		reqHeaders string
		set        bool
	}{{"a, b, c", true}, {"Content-Type", true}, {"", false}} {
		hdr := map[string]string{"Origin": "test", "Access-Control-Request-Method": "POST"}
		if c.set {
			hdr["Access-Control-Request-Headers"] = c.reqHeaders
		}
		resp, _ := do(t, http.MethodOptions, s.at(newSID(), "xhr"), "", hdr)
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		if c.set {
			assert.Equal(t, c.reqHeaders, resp.Header.Get("Access-Control-Allow-Headers"))
		} else {
			assert.Empty(t, resp.Header.Values("Access-Control-Allow-Headers"))
		}
	}
	// The transports that browsers do not preflight answer OPTIONS with 405.
	for _, transport := range []string{"eventsource", "htmlfile", "jsonp", "jsonp_send"} {
		resp, _ := do(t, http.MethodOptions, s.at(newSID(), transport), "", map[string]string{"Origin": "test"})
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, transport)
	}
}

func TestCORSCheckOrigin(t *testing.T) {
	t.Parallel()
	const good, evil = "http://good.example", "http://evil.example"
	s := startService(t, echo, sockjs.Options{CheckOrigin: sockjs.AllowOrigins(good)})

	refused := func(t *testing.T, status int, h http.Header, body string) {
		t.Helper()
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, "Origin not allowed.", body)
		assert.Empty(t, h.Get("Access-Control-Allow-Origin"))
	}

	t.Run("refused origin", func(t *testing.T) {
		for _, origin := range []string{evil, "null", "http://good.example.evil"} {
			for _, e := range corsEndpoints {
				e.streaming = false // a refused request ends at once
				status, h, body := e.request(t, s, newSID(), map[string]string{"Origin": origin})
				refused(t, status, h, body)
			}
			for _, path := range []string{"/info", "/000/abc/xhr", "/000/abc/xhr_send"} {
				resp, body := do(t, http.MethodOptions, s.URL+path, "",
					map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
				refused(t, resp.StatusCode, resp.Header, body)
			}
		}
	})

	t.Run("unprovable transports refused outright", func(t *testing.T) {
		for _, origin := range []string{good, ""} {
			hdr := map[string]string{}
			if origin != "" {
				hdr["Origin"] = origin
			}
			for _, c := range []struct{ method, path string }{
				{http.MethodGet, "/000/abc/htmlfile?c=cb"},
				{http.MethodGet, "/000/abc/jsonp?c=cb"},
				{http.MethodPost, "/000/abc/jsonp_send"},
				{http.MethodGet, "/iframe.html"},
				{http.MethodGet, "/iframe-1.0.html"},
			} {
				resp, body := do(t, c.method, s.URL+c.path, "d=%5B%22x%22%5D", hdr)
				refused(t, resp.StatusCode, resp.Header, body)
			}
		}
	})
	s.log.never(t, "a refused request opened a session", func() bool { return len(s.log.conns) > 0 })

	// An allowed origin, or none, opens sessions over every transport
	// that can prove its origin.
	for _, origin := range []string{good, "HTTP://GOOD.EXAMPLE", ""} {
		t.Run("allowed "+origin, func(t *testing.T) {
			var hdr http.Header
			if origin != "" {
				hdr = http.Header{"Origin": {origin}}
			}
			for _, tr := range []client.Transport{client.Websocket, client.XHRStreaming, client.EventSource, client.XHRPolling} {
				d := s.dialer(tr, newSID())
				d.Header = hdr
				c, _ := s.openWith(t, d)
				c.Send("x")
				assert.Equal(t, "x", c.Recv(), tr)
			}
			if origin != "" {
				resp, _ := do(t, http.MethodOptions, s.at(newSID(), "xhr"), "",
					map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
				assert.Equal(t, http.StatusNoContent, resp.StatusCode)
				assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"))
			}
		})
	}
}

func TestCORSAllowOrigins(t *testing.T) {
	t.Parallel()
	check := sockjs.AllowOrigins("https://app.example.com", "http://localhost:3000/", "https://*.example.org")
	cases := []struct {
		origin string
		want   bool
	}{
		{"https://app.example.com", true},
		{"HTTPS://APP.EXAMPLE.COM", true},
		{"http://app.example.com", false},
		{"https://app.example.com.evil", false},
		{"http://localhost:3000", true},
		{"http://localhost:3001", false},
		{"https://a.example.org", true},
		{"https://a.b.example.org", true},
		{"https://example.org", false},
		{"http://a.example.org", false},
		{"https://evil.com/.example.org", false},
		{"https://user@a.example.org", false},
		{"https://.example.org", false},
		{"null", false},
		{"", false},
	}
	for _, c := range cases {
		r, err := http.NewRequest(http.MethodGet, "http://x/", nil)
		require.NoError(t, err)
		r.Header.Set("Origin", c.origin)
		assert.Equal(t, c.want, check(r), c.origin)
	}
}

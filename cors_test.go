package sockjs_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// htEndpoint is one request that a CORS-capable endpoint answers.
type htEndpoint struct {
	name      string
	method    string
	transport string // session transport, or "" for path
	path      string
	body      string
	streaming bool // read only the headers
}

var htCORSEndpoints = []htEndpoint{
	{name: "info", method: http.MethodGet, path: "/echo/info"},
	{name: "xhr", method: http.MethodPost, transport: "xhr"},
	{name: "xhr_send", method: http.MethodPost, transport: "xhr_send", body: `["x"]`},
	{name: "xhr_streaming", method: http.MethodPost, transport: "xhr_streaming", streaming: true},
	{name: "eventsource", method: http.MethodGet, transport: "eventsource", streaming: true},
}

// htRequest makes the request of e on session sid and returns its status
// and headers.
func htRequest(t *testing.T, srv *httptest.Server, e htEndpoint, sid string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	url := srv.URL + e.path
	if e.transport != "" {
		url = htURL(srv, sid, e.transport)
	}
	if e.streaming {
		s := openStream(t, e.method, url, header)
		s.resp.Body.Close()
		return s.resp.StatusCode, s.resp.Header, ""
	}
	resp, body := do(t, e.method, url, e.body, header)
	return resp.StatusCode, resp.Header, body
}

func TestCORSHeaders(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{})
	origins := []struct {
		name, origin, allow, credentials string
	}{
		{"origin", "http://example.com", "http://example.com", "true"},
		{"null origin", "null", "null", "true"},
		{"no origin", "", "*", ""},
	}
	for _, e := range htCORSEndpoints {
		for _, o := range origins {
			t.Run(e.name+"/"+o.name, func(t *testing.T) {
				sid := htSID()
				if e.transport == "xhr_send" {
					htOpen(t, srv, sid)
				}
				var hdr map[string]string
				if o.origin != "" {
					hdr = map[string]string{"Origin": o.origin}
				}
				status, h, _ := htRequest(t, srv, e, sid, hdr)
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
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{})
	for _, transport := range []string{"xhr", "xhr_send", "xhr_streaming"} {
		for _, origin := range []string{"test", "null"} {
			t.Run(transport+"/"+origin, func(t *testing.T) {
				before := time.Now()
				resp, body := do(t, http.MethodOptions, srv.URL+"/echo/abc/abc/"+transport, "",
					map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
				assert.Equal(t, http.StatusNoContent, resp.StatusCode)
				assert.Empty(t, body)
				htAssertPreflight(t, resp, "OPTIONS, POST", before)
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
		resp, _ := do(t, http.MethodOptions, htURL(srv, htSID(), "xhr"), "", hdr)
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		if c.set {
			assert.Equal(t, c.reqHeaders, resp.Header.Get("Access-Control-Allow-Headers"))
		} else {
			assert.Empty(t, resp.Header.Values("Access-Control-Allow-Headers"))
		}
	}
	// The transports that browsers do not preflight answer OPTIONS with 405.
	for _, transport := range []string{"eventsource", "htmlfile", "jsonp", "jsonp_send"} {
		resp, _ := do(t, http.MethodOptions, htURL(srv, htSID(), transport), "", map[string]string{"Origin": "test"})
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, transport)
	}
}

func TestCORSCheckOrigin(t *testing.T) {
	t.Parallel()
	const good, evil = "http://good.example", "http://evil.example"
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{CheckOrigin: sockjs.AllowOrigins(good)})

	refused := func(t *testing.T, status int, h http.Header, body string) {
		t.Helper()
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, "Origin not allowed.", body)
		assert.Empty(t, h.Get("Access-Control-Allow-Origin"))
	}

	t.Run("refused origin", func(t *testing.T) {
		for _, origin := range []string{evil, "null", "http://good.example.evil"} {
			for _, e := range htCORSEndpoints {
				e.streaming = false // a refused request ends at once
				status, h, body := htRequest(t, srv, e, htSID(), map[string]string{"Origin": origin})
				refused(t, status, h, body)
			}
			for _, path := range []string{"/echo/info", "/echo/000/abc/xhr", "/echo/000/abc/xhr_send"} {
				resp, body := do(t, http.MethodOptions, srv.URL+path, "",
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
				{http.MethodGet, "/echo/000/abc/htmlfile?c=cb"},
				{http.MethodGet, "/echo/000/abc/jsonp?c=cb"},
				{http.MethodPost, "/echo/000/abc/jsonp_send"},
				{http.MethodGet, "/echo/iframe.html"},
				{http.MethodGet, "/echo/iframe-1.0.html"},
			} {
				resp, body := do(t, c.method, srv.URL+c.path, "d=%5B%22x%22%5D", hdr)
				refused(t, resp.StatusCode, resp.Header, body)
			}
		}
	})
	require.Zero(t, rec.count(sockjs.EventInit), "a refused request opened a session")

	for _, origin := range []string{good, "HTTP://GOOD.EXAMPLE", ""} {
		t.Run("allowed "+origin, func(t *testing.T) {
			hdr := map[string]string{}
			if origin != "" {
				hdr["Origin"] = origin
			}
			sid := htSID()
			resp, body := do(t, http.MethodPost, htURL(srv, sid, "xhr"), "", hdr)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "o\n", body)
			resp, _ = do(t, http.MethodPost, htURL(srv, sid, "xhr_send"), `["x"]`, hdr)
			assert.Equal(t, http.StatusNoContent, resp.StatusCode)
			resp, _ = do(t, http.MethodGet, srv.URL+"/echo/info", "", hdr)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			s := openStream(t, http.MethodGet, htURL(srv, htSID(), "eventsource"), hdr)
			assert.Equal(t, http.StatusOK, s.resp.StatusCode)
			assert.Equal(t, "\r\n", s.readUntil(t, "\r\n"))
			assert.Equal(t, "data: o\r\n\r\n", s.readUntil(t, "\r\n\r\n"))
			if origin != "" {
				resp, _ = do(t, http.MethodOptions, htURL(srv, sid, "xhr"), "",
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

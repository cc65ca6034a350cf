package sockjs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// Shared helpers of the HTTP transport tests; all named ht* so that they do
// not collide with the helpers of the websocket and session tests.

// Exact header values the protocol expects.
const (
	htNoCache     = "no-store, no-cache, no-transform, must-revalidate, max-age=0"
	htCacheYear   = "public, max-age=31536000"
	htContentText = "text/plain; charset=UTF-8"
	htContentJS   = "application/javascript; charset=UTF-8"
	htContentJSON = "application/json; charset=UTF-8"
	htContentHTML = "text/html; charset=UTF-8"
	htFrame2010   = `c[2010,"Another connection still open"]`
	htFrame1002   = `c[1002,"Connection interrupted"]`
	htFrameGoAway = `c[3000,"Go away!"]`
)

var htSeq atomic.Int64

// htSID returns a session id no other test uses.
func htSID() string {
	return fmt.Sprintf("s%d_%d", time.Now().UnixNano(), htSeq.Add(1))
}

// htURL returns the URL of transport for session sid under the /echo prefix.
func htURL(srv *httptest.Server, sid, transport string) string {
	return srv.URL + "/echo/000/" + sid + "/" + transport
}

// htOpen opens session sid with an xhr poll and checks its open frame.
func htOpen(t *testing.T, srv *httptest.Server, sid string) {
	t.Helper()
	resp, body := do(t, http.MethodPost, htURL(srv, sid, "xhr"), "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "o\n", body)
}

// htSend posts body to xhr_send and requires a 204.
func htSend(t *testing.T, srv *httptest.Server, sid, body string) {
	t.Helper()
	resp, got := do(t, http.MethodPost, htURL(srv, sid, "xhr_send"), body, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "body %q", got)
	require.Empty(t, got)
}

// htPoll makes one xhr poll and returns its body.
func htPoll(t *testing.T, srv *httptest.Server, sid string) string {
	t.Helper()
	resp, body := do(t, http.MethodPost, htURL(srv, sid, "xhr"), "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return body
}

// htResult is the outcome of a request made on another goroutine.
type htResult struct {
	status int
	header http.Header
	body   string
	err    error
}

// htAsync sends a request on another goroutine; the channel gets its result.
func htAsync(ctx context.Context, method, url, body string, header map[string]string) <-chan htResult {
	ch := make(chan htResult, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		if err != nil {
			ch <- htResult{err: err}
			return
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			ch <- htResult{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		ch <- htResult{status: resp.StatusCode, header: resp.Header, body: string(b), err: err}
	}()
	return ch
}

// htWait returns the result of an async request, failing after 5s.
func htWait(t *testing.T, ch <-chan htResult) htResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no response within 5s")
		return htResult{}
	}
}

// htPending asserts that no response arrived on ch within d.
func htPending(t *testing.T, ch <-chan htResult, d time.Duration) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("request should still be pending, got status %d body %q err %v", r.status, r.body, r.err)
	case <-time.After(d):
	}
}

// htAttachedPoll starts an xhr poll on the open session sid and returns
// once it is certainly attached to the session, with its result channel and
// the function that aborts it. It races two polls: the server answers the
// later one with 2010 only while the earlier is attached, so the survivor
// is attached whichever order they arrived in.
func htAttachedPoll(t *testing.T, srv *httptest.Server, sid string) (<-chan htResult, context.CancelFunc) {
	t.Helper()
	url := htURL(srv, sid, "xhr")
	ctxA, cancelA := context.WithCancel(context.Background())
	ctxB, cancelB := context.WithCancel(context.Background())
	t.Cleanup(cancelA)
	t.Cleanup(cancelB)
	a := htAsync(ctxA, http.MethodPost, url, "", nil)
	b := htAsync(ctxB, http.MethodPost, url, "", nil)
	var r htResult
	var pending <-chan htResult
	var cancel context.CancelFunc
	select {
	case r = <-a:
		pending, cancel = b, cancelB
	case r = <-b:
		pending, cancel = a, cancelA
	case <-time.After(5 * time.Second):
		t.Fatal("neither of two concurrent polls was refused within 5s")
	}
	require.NoError(t, r.err)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, htFrame2010+"\n", r.body)
	return pending, cancel
}

// htJS returns s as a JSON string literal with '<', '>' and '&' escaped, as
// the htmlfile transport writes the frames it carries.
func htJS(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// htMux serves the /echo handler through the ServeMux that mount builds.
func htMux(t *testing.T, rec *recorder, mount func(mux *http.ServeMux, h *sockjs.Handler)) *httptest.Server {
	t.Helper()
	h := sockjs.NewHandler("/echo", rec.callback, 0, sockjs.Options{})
	mux := http.NewServeMux()
	mount(mux, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

func TestRoutingGreeting(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{CookieNeeded: true})
	for _, path := range []string{"/echo", "/echo/"} {
		t.Run(path, func(t *testing.T) {
			resp, body := do(t, http.MethodGet, srv.URL+path, "", nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, htContentText, resp.Header.Get("Content-Type"))
			assert.Equal(t, "Welcome to SockJS!\n", body)
			assert.Empty(t, resp.Header.Values("Set-Cookie"))
		})
	}
}

func TestRoutingNotFound(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
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
			resp, _ := do(t, method, srv.URL+path, "", nil)
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s %s", method, path)
		}
	}
	assert.Zero(t, rec.count(sockjs.EventInit), "a refused path opened a session")
}

func TestRoutingMethodNotAllowed(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{})
	cases := []struct {
		method, path, allow string
	}{
		{http.MethodPost, "/echo/000/abc/websocket", "GET"},
		{http.MethodGet, "/echo/000/abc/xhr", "OPTIONS, POST"},
		{http.MethodGet, "/echo/000/abc/xhr_send", "OPTIONS, POST"},
		{http.MethodGet, "/echo/000/abc/xhr_streaming", "OPTIONS, POST"},
		{http.MethodPut, "/echo/000/abc/xhr", "OPTIONS, POST"},
		{http.MethodPost, "/echo/000/abc/eventsource", "GET"},
		{http.MethodPost, "/echo/000/abc/htmlfile", "GET"},
		{http.MethodPost, "/echo/000/abc/jsonp", "GET"},
		{http.MethodGet, "/echo/000/abc/jsonp_send", "POST"},
		{http.MethodPost, "/echo/info", "OPTIONS, GET"},
		{http.MethodDelete, "/echo/info", "OPTIONS, GET"},
		{http.MethodPost, "/echo", "GET, HEAD"},
		{http.MethodPost, "/echo/iframe.html", "GET, HEAD"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			resp, body := do(t, c.method, srv.URL+c.path, "", nil)
			assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
			assert.Equal(t, c.allow, resp.Header.Get("Allow"))
			assert.Empty(t, resp.Header.Get("Content-Type"))
			assert.Empty(t, body)
		})
	}
}

func TestRoutingAnySessionID(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{})
	r := htSID()
	long := strings.Repeat("z", 127)
	for _, part := range []string{"/a/a" + r, "/_/_" + r, "/1/" + r, "/abcdefgh_i-j%20/abcdefg_i-j%20" + r, "/x/" + long + "1"} {
		resp, body := do(t, http.MethodPost, srv.URL+"/echo"+part+"/xhr", "", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, part)
		assert.Equal(t, "o\n", body, part)
	}
	// Ids are bounded to 128 bytes.
	resp, _ := do(t, http.MethodPost, srv.URL+"/echo/x/"+long+"12/xhr", "", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = do(t, http.MethodPost, srv.URL+"/echo/"+long+"12/x/xhr", "", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestRoutingServerIDIgnored(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	resp, body := do(t, http.MethodPost, srv.URL+"/echo/000/"+sid+"/xhr", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "o\n", body)

	resp, body = do(t, http.MethodPost, srv.URL+"/echo/000/"+sid+"/xhr_send", `["a"]`, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, body)

	resp, body = do(t, http.MethodPost, srv.URL+"/echo/999/"+sid+"/xhr", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, `a["a"]`+"\n", body)
	assert.Equal(t, 1, rec.count(sockjs.EventInit))
}

func TestRoutingServeMux(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv := htMux(t, rec, func(mux *http.ServeMux, h *sockjs.Handler) {
		mux.Handle("/echo", h)
		mux.Handle("/echo/", h)
	})
	for _, path := range []string{"/echo", "/echo/"} {
		resp, body := do(t, http.MethodGet, srv.URL+path, "", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Equal(t, "Welcome to SockJS!\n", body, path)
	}
	resp, _ := do(t, http.MethodGet, srv.URL+"/echo/info", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = do(t, http.MethodGet, srv.URL+"/echoes", "", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	sid := htSID()
	htOpen(t, srv, sid)
	htSend(t, srv, sid, `["via mux"]`)
	assert.Equal(t, `a["via mux"]`+"\n", htPoll(t, srv, sid))
}

func TestRoutingStripPrefix(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	srv := htMux(t, rec, func(mux *http.ServeMux, h *sockjs.Handler) {
		mux.Handle("/api/", http.StripPrefix("/api", h))
	})
	resp, body := do(t, http.MethodGet, srv.URL+"/api/echo", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "Welcome to SockJS!\n", body)
	resp, _ = do(t, http.MethodGet, srv.URL+"/api/echo/info", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = do(t, http.MethodGet, srv.URL+"/api/info", "", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	sid := htSID()
	resp, body = do(t, http.MethodPost, srv.URL+"/api/echo/000/"+sid+"/xhr", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "o\n", body)
	resp, _ = do(t, http.MethodPost, srv.URL+"/api/echo/000/"+sid+"/xhr_send", `["x"]`, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	_, body = do(t, http.MethodPost, srv.URL+"/api/echo/000/"+sid+"/xhr", "", nil)
	assert.Equal(t, `a["x"]`+"\n", body)
}

func TestRoutingPrefixTrailingSlash(t *testing.T) {
	t.Parallel()
	rec := newRecorder(true)
	h := sockjs.NewHandler("/echo/", rec.callback, 0, sockjs.Options{})
	assert.Equal(t, "/echo", h.Prefix())
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, path := range []string{"/echo", "/echo/"} {
		resp, body := do(t, http.MethodGet, srv.URL+path, "", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Equal(t, "Welcome to SockJS!\n", body, path)
	}
	htOpen(t, srv, htSID())
}

func TestRoutingWebsocketDisabled(t *testing.T) {
	t.Parallel()
	off, _ := newServer(t, newRecorder(true), sockjs.Options{DisableWebsocket: true})
	on, _ := newServer(t, newRecorder(true), sockjs.Options{})
	upgrade := map[string]string{
		"Connection":            "Upgrade",
		"Upgrade":               "websocket",
		"Sec-WebSocket-Version": "13",
		"Sec-WebSocket-Key":     "dGhlIHNhbXBsZSBub25jZQ==",
	}
	for _, path := range []string{"/echo/000/abc/websocket", "/echo/websocket"} {
		resp, _ := do(t, http.MethodGet, off.URL+path, "", upgrade)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		// Without the option the same path exists (a plain GET is not an
		// upgrade, so it fails otherwise).
		resp, _ = do(t, http.MethodGet, on.URL+path, "", nil)
		assert.NotEqual(t, http.StatusNotFound, resp.StatusCode, path)
	}
}

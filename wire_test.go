package sockjs_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/sockjstest"
)

// The raw HTTP of the wire-format tests: the bytes and headers that the
// client hides (statuses and bodies of refused requests, CORS and cache
// headers, content types, preludes, escaping). Everything else goes through
// the client's transports (harness_test.go).

// Exact header values and frames the protocol expects.
const (
	noCache     = "no-store, no-cache, no-transform, must-revalidate, max-age=0"
	cacheYear   = "public, max-age=31536000"
	contentText = "text/plain; charset=UTF-8"
	contentJS   = "application/javascript; charset=UTF-8"
	contentJSON = "application/json; charset=UTF-8"
	contentHTML = "text/html; charset=UTF-8"
	contentForm = "application/x-www-form-urlencoded"
	frame2010   = `c[2010,"Another connection still open"]`
)

// discardLogger drops the logs of tests that provoke errors on purpose.
var discardLogger = slog.New(slog.DiscardHandler)

// at returns the URL of transport (or xhr_send, jsonp_send) of session sid.
func (s *service) at(sid, transport string) string {
	return s.URL + "/000/" + sid + "/" + transport
}

// do sends a request and returns the response with its body read.
func do(t *testing.T, method, url, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// stream is an open streaming response, read up to delimiters.
type stream struct {
	resp *http.Response
	r    *bufio.Reader
}

// openStream sends a request and returns its response unread, closed when
// the test ends.
func openStream(t *testing.T, method, url string, header map[string]string) *stream {
	t.Helper()
	return openStreamWith(t, http.DefaultClient, method, url, header)
}

// openStreamWith is openStream with an HTTP client of its own.
func openStreamWith(t *testing.T, hc *http.Client, method, url string, header map[string]string) *stream {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return &stream{resp: resp, r: bufio.NewReaderSize(resp.Body, 64<<10)}
}

// readUntil reads up to and including delim, failing after waitFor.
func (s *stream) readUntil(t *testing.T, delim string) string {
	t.Helper()
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		var sb strings.Builder
		for !strings.HasSuffix(sb.String(), delim) {
			b, err := s.r.ReadByte()
			if err != nil {
				done <- result{sb.String(), err}
				return
			}
			sb.WriteByte(b)
		}
		done <- result{sb.String(), nil}
	}()
	select {
	case res := <-done:
		require.NoError(t, res.err, "read so far: %q", res.s)
		return res.s
	case <-time.After(waitFor):
		s.resp.Body.Close()
		t.Fatalf("nothing ending in %q within %v", delim, waitFor)
		return ""
	}
}

// eof asserts that the response ends.
func (s *stream) eof(t *testing.T) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := s.r.ReadByte()
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, io.EOF)
	case <-time.After(waitFor):
		s.resp.Body.Close()
		t.Fatalf("response did not end within %v", waitFor)
	}
}

// startMounted serves a handler for prefix, recording its calls with hook,
// behind the handler that mount wraps it in, which serves it at the URL
// path base.
func startMounted(t *testing.T, prefix, base string, hook func(*sockjs.Conn, sockjs.Event), mount func(h *sockjs.Handler) http.Handler) *service {
	t.Helper()
	l := newEventLog(hook)
	h := sockjs.NewHandler(prefix, l.callback, 0, sockjs.Options{})
	srv := sockjstest.NewHandlerServer(base, mount(h))
	srv.Timeout = waitFor
	t.Cleanup(func() { srv.Close() })
	return &service{Server: srv, h: h, log: l}
}

// dialURL dials url, a service URL with a query string, with d, and closes
// the connection when the test ends.
func dialURL(t *testing.T, d *client.Dialer, url string) (*client.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := d.Dial(ctx, url)
	if err == nil {
		t.Cleanup(func() { c.Close(1000, "") })
	}
	return c, err
}

// opener makes the raw request that opens a session over one transport.
type opener struct {
	transport sockjs.Transport
	method    string
	path      string // with %s for the session id
	websocket bool
}

var openers = []opener{
	{sockjs.TransportWebsocket, http.MethodGet, "/echo/000/%s/websocket", true},
	{sockjs.TransportWebsocketRaw, http.MethodGet, "/echo/websocket?%s", true},
	{sockjs.TransportXHRPolling, http.MethodPost, "/echo/000/%s/xhr", false},
	{sockjs.TransportXHRStreaming, http.MethodPost, "/echo/000/%s/xhr_streaming", false},
	{sockjs.TransportEventSource, http.MethodGet, "/echo/000/%s/eventsource", false},
	{sockjs.TransportHTMLFile, http.MethodGet, "/echo/000/%s/htmlfile?c=cb", false},
	{sockjs.TransportJSONPPolling, http.MethodGet, "/echo/000/%s/jsonp?c=cb", false},
}

// attempt makes the opening request of session sid on srv and returns its
// status and, when it is refused, its body. An accepted request is ended at
// once.
func (o opener) attempt(t *testing.T, srv *httptest.Server, sid, query string, header http.Header) (int, string) {
	t.Helper()
	u := srv.URL + strings.Replace(o.path, "%s", sid, 1)
	if query != "" {
		if strings.Contains(u, "?") {
			u += "&" + query
		} else {
			u += "?" + query
		}
	}
	if o.websocket {
		d := websocket.Dialer{HandshakeTimeout: waitFor}
		c, resp, err := d.Dial("ws"+strings.TrimPrefix(u, "http"), header)
		if err == nil {
			c.Close()
			return resp.StatusCode, ""
		}
		require.ErrorIs(t, err, websocket.ErrBadHandshake)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, o.method, u, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, err = resp.Body.Read(make([]byte, 1))
	require.NoError(t, err)
	return resp.StatusCode, ""
}

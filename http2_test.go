package sockjs_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// newHTTP2Server serves an echo handler at /echo over TLS with HTTP/2 and
// returns it with a client that speaks HTTP/2 to it.
func newHTTP2Server(t *testing.T) (*httptest.Server, *http.Client) {
	t.Helper()
	srv, client, _ := newHTTP2Handler(t, routerEcho, sockjs.Options{})
	return srv, client
}

// newHTTP2Handler is newHTTP2Server with a callback and options of its own;
// it returns the handler too.
func newHTTP2Handler(t *testing.T, cb sockjs.Callback[struct{}], opts sockjs.Options) (*httptest.Server, *http.Client, *sockjs.Handler) {
	t.Helper()
	h := sockjs.NewHandler("/echo", cb, struct{}{}, opts)
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv, srv.Client(), h
}

// The streaming transports work over HTTP/2, where the response writer
// frames and buffers output on its own: every frame must reach the client as
// soon as it is written.
func TestHTTP2Streaming(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		transport string
		prelude   string
		encode    func(frame string) string
		delim     string
	}{
		{
			name: "xhr_streaming", method: http.MethodPost, transport: "xhr_streaming",
			prelude: strings.Repeat("h", 2048) + "\n",
			encode:  func(f string) string { return f + "\n" },
			delim:   "\n",
		},
		{
			name: "eventsource", method: http.MethodGet, transport: "eventsource",
			prelude: "\r\n",
			encode:  func(f string) string { return "data: " + f + "\r\n\r\n" },
			delim:   "\r\n\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, client := newHTTP2Server(t)
			url := srv.URL + "/echo/000/h2" + tt.name
			req, err := http.NewRequest(tt.method, url+"/"+tt.transport, nil)
			require.NoError(t, err)
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, 2, resp.ProtoMajor, "protocol %s", resp.Proto)
			require.Equal(t, http.StatusOK, resp.StatusCode)

			r := bufio.NewReader(resp.Body)
			routerReadUntil(t, r, tt.prelude[len(tt.prelude)-1:], tt.prelude)
			routerReadUntil(t, r, tt.delim, tt.encode("o"))
			for _, m := range []string{"one", "two", "three"} {
				send, err := client.Post(url+"/xhr_send", "text/plain", strings.NewReader(`["`+m+`"]`))
				require.NoError(t, err)
				send.Body.Close()
				require.Equal(t, 2, send.ProtoMajor)
				require.Equal(t, http.StatusNoContent, send.StatusCode)
				// The frame arrives before the next message is sent.
				routerReadUntil(t, r, tt.delim, tt.encode(`a["`+m+`"]`))
			}
		})
	}
}

// An xhr_streaming session over HTTP/2 through the shared helper, which the
// router tests use over HTTP/1.1.
func TestHTTP2XHRStreamingHelper(t *testing.T) {
	srv, client := newHTTP2Server(t)
	resp := xhrStreamingRoundTrip(t, client, srv.URL+"/echo", "h2helper")
	require.Equal(t, 2, resp.ProtoMajor)
}

// Long polling over HTTP/2: open frame, send, poll the message back.
func TestHTTP2XHRPolling(t *testing.T) {
	srv, client := newHTTP2Server(t)
	url := srv.URL + "/echo/000/h2poll"
	post := func(path, body string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Post(url+path, "text/plain", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, 2, resp.ProtoMajor)
		return resp, string(b)
	}
	resp, body := post("/xhr", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "o\n", body)

	resp, _ = post("/xhr_send", `["a","b"]`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, body = post("/xhr", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, `a["a","b"]`+"\n", body)

	// A poll waits for the next message.
	done := make(chan string, 1)
	go func() {
		resp, err := client.Post(url+"/xhr", "text/plain", nil)
		if err != nil {
			done <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- string(b)
	}()
	resp, _ = post("/xhr_send", `["later"]`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	select {
	case got := <-done:
		require.Equal(t, `a["later"]`+"\n", got)
	case <-time.After(5 * time.Second):
		t.Fatal("poll did not return within 5s")
	}
}

// h2Stream opens a streaming request over HTTP/2 and returns its reader.
func h2Stream(t *testing.T, client *http.Client, method, url string) (*http.Response, *bufio.Reader) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, 2, resp.ProtoMajor)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return resp, bufio.NewReader(resp.Body)
}

// h2Send posts messages with xhr_send over HTTP/2.
func h2Send(t *testing.T, client *http.Client, url, body string) {
	t.Helper()
	resp, err := client.Post(url+"/xhr_send", "text/plain", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
}

// h2EOF asserts that a streaming response ends.
func h2EOF(t *testing.T, r *bufio.Reader) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := r.ReadByte()
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, io.EOF)
	case <-time.After(5 * time.Second):
		t.Fatal("response did not end within 5s")
	}
}

// A streaming response over HTTP/2 ends at ResponseLimit, and the next one
// carries on with the same session.
func TestHTTP2ResponseLimit(t *testing.T) {
	srv, client, _ := newHTTP2Handler(t, routerEcho, sockjs.Options{ResponseLimit: 4096})
	url := srv.URL + "/echo/000/h2limit"
	_, r := h2Stream(t, client, http.MethodPost, url+"/xhr_streaming")
	routerReadLine(t, r, strings.Repeat("h", 2048)+"\n")
	routerReadLine(t, r, "o\n")
	big := strings.Repeat("x", 5000)
	h2Send(t, client, url, `["`+big+`"]`)
	routerReadLine(t, r, `a["`+big+`"]`+"\n")
	h2EOF(t, r)

	_, r = h2Stream(t, client, http.MethodPost, url+"/xhr_streaming")
	routerReadLine(t, r, strings.Repeat("h", 2048)+"\n")
	h2Send(t, client, url, `["next"]`)
	routerReadLine(t, r, `a["next"]`+"\n")
}

// A client that resets its HTTP/2 stream closes the session, as a client
// that drops an HTTP/1.1 connection does.
func TestHTTP2Abort(t *testing.T) {
	closed := make(chan struct{}, 1)
	cb := func(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} {
		if ev.Type == sockjs.EventClosed {
			closed <- struct{}{}
		}
		return s
	}
	srv, client, h := newHTTP2Handler(t, cb, sockjs.Options{})
	resp, r := h2Stream(t, client, http.MethodGet, srv.URL+"/echo/000/h2abort/eventsource")
	routerReadUntil(t, r, "\r\n", "\r\n")
	routerReadUntil(t, r, "\r\n\r\n", "data: o\r\n\r\n")
	resp.Body.Close()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("no EventClosed within 5s of the stream reset")
	}
	require.Equal(t, uint64(1), h.Stats().ClosedByCode[1002])
}

// Handler.Shutdown ends HTTP/2 streaming responses with a close frame.
func TestHTTP2Shutdown(t *testing.T) {
	srv, client, h := newHTTP2Handler(t, routerEcho, sockjs.Options{})
	url := srv.URL + "/echo/000/h2shut"
	_, r := h2Stream(t, client, http.MethodGet, url+"/htmlfile?c=cb")
	prelude := routerRead(t, r, "\r\n")
	require.Contains(t, prelude, "var c = parent.cb;")
	require.Greater(t, len(prelude), 1024)
	routerReadUntil(t, r, "\r\n", "<script>\np(\"o\");\n</script>\r\n")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, h.Shutdown(ctx))
	routerReadUntil(t, r, "\r\n", "<script>\np(\"c[1001,\\\"Server shutting down\\\"]\");\n</script>\r\n")
	h2EOF(t, r)
}

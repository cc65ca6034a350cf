package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs/client"
)

// kinds returns the last path segment of each request, the transport or
// info.
func kinds(paths []string) []string {
	var k []string
	for _, p := range paths {
		k = append(k, p[strings.LastIndexByte(p, '/')+1:])
	}
	return k
}

// TestFallback checks which transports Dial tries, and in which order.
func TestFallback(t *testing.T) {
	t.Parallel()
	silent := func(c *websocket.Conn) { // accepts, then never opens
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}
	closing := func(code int) func(c *websocket.Conn) {
		return func(c *websocket.Conn) {
			c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, "no"))
			silent(c)
		}
	}
	cases := []struct {
		name   string
		s      *script
		trs    []client.Transport
		want   client.Transport // "" when Dial fails
		err    string
		paths  []string
		closed *client.CloseError
	}{
		{name: "websocket first", s: &script{ws: func(c *websocket.Conn) {
			c.WriteMessage(websocket.TextMessage, []byte("o"))
			silent(c)
		}}, want: client.Websocket, paths: []string{"info", "websocket"}},
		{name: "websocket refused", s: &script{recv: []string{"o\n"}},
			want: client.XHRStreaming, paths: []string{"info", "websocket", "xhr_streaming"}},
		{name: "websocket off in info", s: &script{info: `{"websocket":false,"cookie_needed":false}`, recv: []string{"o\n"}},
			want: client.XHRStreaming, paths: []string{"info", "xhr_streaming"}},
		{name: "info not JSON", s: &script{info: "hello", recv: []string{"o\n"}},
			want: client.XHRStreaming, paths: []string{"info", "websocket", "xhr_streaming"}},
		{name: "websocket never opens", s: &script{ws: silent, recv: []string{"o\n"}},
			want: client.XHRStreaming, paths: []string{"info", "websocket", "xhr_streaming"}},
		{name: "websocket closed by the transport", s: &script{ws: closing(1011), recv: []string{"o\n"}},
			want: client.XHRStreaming, paths: []string{"info", "websocket", "xhr_streaming"}},
		{name: "websocket closed by the server", s: &script{ws: closing(4000)},
			closed: &client.CloseError{Code: 4000, Reason: "no"}, paths: []string{"info", "websocket"}},
		{name: "websocket endpoints refused, polling next", s: &script{recv: []string{"o\n"}},
			trs:  []client.Transport{client.WebsocketRaw, client.Websocket, client.XHRPolling},
			want: client.XHRPolling, paths: []string{"info", "websocket", "websocket", "xhr"}},
		{name: "order of the list", s: &script{recv: []string{"o\n"}},
			trs:  []client.Transport{client.XHRPolling, client.Websocket},
			want: client.XHRPolling, paths: []string{"info", "xhr"}},
		{name: "raw websocket alone skips info", s: &script{ws: silent},
			trs: []client.Transport{client.WebsocketRaw}, want: client.WebsocketRaw, paths: []string{"websocket"}},
		{name: "every transport fails", s: &script{recv: []string{"a[]\n", "data: a[]\n\n", "a[]\n"}},
			err:   "every transport failed: websocket: client: protocol error: WebSocket handshake",
			paths: []string{"info", "websocket", "xhr_streaming", "eventsource", "xhr"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.s.start(t)
			d := &client.Dialer{Transports: tc.trs, HTTPClient: httpClient(t)}
			c, err := d.Dial(testContext(t), s.URL)
			switch {
			case tc.closed != nil:
				assert.Equal(t, tc.closed, err)
			case tc.want == "":
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				for _, tr := range client.Transports() {
					assert.Contains(t, err.Error(), string(tr)+": ", "the error names each transport")
				}
			default:
				require.NoError(t, err)
				assert.Equal(t, tc.want, c.Transport())
				assert.NoError(t, c.Close(1000, ""))
			}
			paths := kinds(s.requests())
			for len(paths) > len(tc.paths) && paths[len(paths)-1] == paths[len(paths)-2] {
				paths = paths[:len(paths)-1] // the open transport's next request
			}
			assert.Equal(t, tc.paths, paths)
		})
	}
}

// TestAttemptTimeout checks that an attempt that does not open gives way
// within the time sockjs-client allows it, and that Timeout extends it.
func TestAttemptTimeout(t *testing.T) {
	t.Parallel()
	for _, timeout := range []time.Duration{0, 1500 * time.Millisecond} {
		t.Run(timeout.String(), func(t *testing.T) {
			t.Parallel()
			opened := make(chan time.Time, 1)
			s := (&script{ws: func(c *websocket.Conn) {
				opened <- time.Now()
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}, recv: []string{"o\n"}}).start(t)
			d := &client.Dialer{Timeout: timeout, HTTPClient: httpClient(t)}
			c, err := d.Dial(testContext(t), s.URL)
			require.NoError(t, err)
			defer c.Close(1000, "")
			waited := time.Since(<-opened)
			assert.Equal(t, client.XHRStreaming, c.Transport())
			// On loopback /info takes under 100 ms: the attempt gets
			// 2 * (300 ms + the round trip), or Timeout if longer.
			assert.GreaterOrEqual(t, waited, max(timeout, 600*time.Millisecond)*9/10)
		})
	}
}

// TestDialContext ends Dial when its context does, while an attempt waits
// for an open frame that never comes.
func TestDialContext(t *testing.T) {
	t.Parallel()
	s := (&script{}).start(t) // every receiving request stays silent
	d := dialer(t, client.XHRStreaming)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := d.Dial(ctx, s.URL)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, []string{"info", "xhr_streaming"}, kinds(s.requests()))
}

func TestDialErrors(t *testing.T) {
	t.Parallel()
	refused := httptest.NewServer(http.NotFoundHandler())
	refused.Close() // nothing listens there any more
	info500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	}))
	defer info500.Close()
	cases := []struct {
		url string
		d   client.Dialer
		err string
	}{
		{"ftp://example.com/echo", client.Dialer{}, "not an http or https URL"},
		{"http:///echo", client.Dialer{}, "not an http or https URL"},
		{"http://example.com/echo#top", client.Dialer{}, "fragment"},
		{"http://example.com/echo", client.Dialer{Transports: []client.Transport{"iframe-htmlfile"}}, `unknown transport "iframe-htmlfile"`},
		{refused.URL + "/echo", client.Dialer{}, "connection refused"},
		{info500.URL + "/echo", client.Dialer{}, "500 Internal Server Error"},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			tc.d.HTTPClient = httpClient(t)
			_, err := tc.d.Dial(testContext(t), tc.url)
			assert.ErrorContains(t, err, tc.err)
		})
	}
}

// TestIDs checks the server and session ids in the URLs.
func TestIDs(t *testing.T) {
	t.Parallel()
	s := (&script{recv: []string{"o\n"}}).start(t)
	d := dialer(t, client.XHRStreaming)
	d.ServerID = "srv"
	d.SessionID = func() string { return "chosen" }
	c := dial(t, d, s.URL)
	assert.Equal(t, "chosen", c.SessionID())
	assert.Equal(t, []string{"/s/info", "/s/srv/chosen/xhr_streaming"}, s.requests())
}

// TestHeaderNotShared checks that requests get copies of Dialer.Header.
func TestHeaderNotShared(t *testing.T) {
	t.Parallel()
	base := goServer(t, serverOptions{}, nil)
	d := dialer(t, client.XHRPolling)
	d.Header = http.Header{"X-A": {"1"}}
	c := dial(t, d, base+"/cookie_needed_echo")
	send(t, c, "x")
	recv(t, c, 1)
	assert.Equal(t, http.Header{"X-A": {"1"}}, d.Header)
}

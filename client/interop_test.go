package client_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs/client"
)

// allTransports are the transports of the interoperability table.
var allTransports = append(client.Transports(), client.WebsocketRaw, client.HTMLFile, client.JSONPPolling)

// An interopCase is one case of the interoperability table: it runs over
// one transport against one server, whose base URL is base.
type interopCase struct {
	name string
	run  func(t *testing.T, tr client.Transport, base string)
}

// TestInterop runs every case over every transport against this library's
// server and the npm sockjs 0.3.24 reference server.
func TestInterop(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	cases := []interopCase{
		{"echo every UTF-16 code unit", echoCodeUnits},
		{"echo random code units", func(t *testing.T, tr client.Transport, base string) {
			echoRandomCodeUnits(t, tr, base, seed)
		}},
		{"server close", serverClose},
		{"client close", clientClose},
		{"past the response limit", func(t *testing.T, tr client.Transport, base string) {
			pastResponseLimit(t, tr, base, seed)
		}},
		{"second receiver", secondReceiver},
		{"cookie needed", cookieNeeded},
		{"cookie from the jar", cookieFromJar},
		{"query string and headers", queryAndHeaders},
		{"broadcast", broadcast},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			base := srv.start(t, serverOptions{})
			t.Run("websocket disabled", func(t *testing.T) {
				t.Parallel()
				websocketDisabled(t, base)
			})
			for _, tr := range allTransports {
				t.Run(string(tr), func(t *testing.T) {
					t.Parallel()
					for _, c := range cases {
						t.Run(c.name, func(t *testing.T) {
							t.Parallel()
							c.run(t, tr, base)
						})
					}
				})
			}
		})
	}
}

// echoCodeUnits echoes every UTF-16 code unit, in messages of 4096 units,
// each of which is over the response limit of /echo once encoded.
func echoCodeUnits(t *testing.T, tr client.Transport, base string) {
	c := dial(t, dialer(t, tr), base+"/echo")
	for _, units := range everyCodeUnit(4096) {
		send(t, c, wtf8(units, false))
		got := recv(t, c, 1)[0]
		want := wtf8(units, tr == client.WebsocketRaw)
		if got != want {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Fatalf("units %#04x-%#04x: the echo differs at byte %d: got %+q, want %+q",
				units[0], units[len(units)-1], i, excerpt(got, i), excerpt(want, i))
		}
	}
}

// excerpt returns the bytes of s around i.
func excerpt(s string, i int) string {
	return s[max(0, i-6):min(len(s), i+12)]
}

// echoRandomCodeUnits echoes messages of random code units, several in
// flight at once.
func echoRandomCodeUnits(t *testing.T, tr client.Transport, base string, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, uint64(len(tr))))
	c := dial(t, dialer(t, tr), base+"/echo")
	msgs := randomCodeUnits(rng, 200, 64)
	var want []string
	for _, m := range msgs {
		want = append(want, wtf8(m, tr == client.WebsocketRaw))
	}
	go func() {
		for _, m := range msgs {
			if c.Send(testContext(t), wtf8(m, false)) != nil {
				return // the receiving side reports it
			}
		}
	}()
	assert.Equal(t, want, recv(t, c, len(want)))
}

// serverClose opens a session on /close, which the server closes with
// 3000 "Go away!" as soon as it opens.
func serverClose(t *testing.T, tr client.Transport, base string) {
	c := dial(t, dialer(t, tr), base+"/close")
	msgs, err := recvEnd(t, c)
	assert.Empty(t, msgs)
	want := &client.CloseError{Code: 3000, Reason: "Go away!"}
	assert.Equal(t, want, err)
	assert.Equal(t, want, c.Send(testContext(t), "x"), "Send after the close")
	assert.Equal(t, want, c.Err())
	assert.NoError(t, c.Close(1000, ""))
}

// clientClose closes an open session and checks what went over the wire.
func clientClose(t *testing.T, tr client.Transport, base string) {
	p := newRecorder(t, base)
	c := dial(t, dialer(t, tr), p.URL+"/echo")
	send(t, c, "before")
	require.Equal(t, []string{"before"}, recv(t, c, 1))
	var receiving *record
	if !isWebsocket(tr) {
		// Close while a receiving request is open, which it must abort.
		receiving = waitReceiving(t, p, tr, c.SessionID(), 3) // after the open frame, the echo
	}
	require.NoError(t, c.Close(4000, "done here"))
	_, err := c.Recv(testContext(t))
	assert.ErrorIs(t, err, client.ErrClosed)
	assert.ErrorIs(t, c.Send(testContext(t), "after"), client.ErrClosed)
	assert.NoError(t, c.Close(4000, "done here"), "a second Close")

	n := len(p.records())
	require.Eventually(t, func() bool { return len(p.inFlight()) == 0 }, waitFor, time.Millisecond,
		"requests still open after Close: %v", p.inFlight())
	assert.Len(t, p.records(), n, "requests made after Close returned")
	if isWebsocket(tr) {
		ws := p.records()[len(p.records())-1]
		require.Contains(t, ws.Path, "/websocket")
		require.Eventually(t, func() bool { _, _, ok := ws.closeFrame(); return ok }, waitFor, time.Millisecond)
		code, reason, _ := ws.closeFrame()
		assert.Equal(t, 4000, code)
		assert.Equal(t, "done here", reason)
	} else {
		assert.True(t, receiving.wasAborted(), "%s was not aborted", receiving.Path)
	}
}

func isWebsocket(tr client.Transport) bool {
	return tr == client.Websocket || tr == client.WebsocketRaw
}

// waitReceiving waits until a receiving request of session sid is at the
// server behind p, waiting for a message: the latest went on to the server
// and is open, and none before it is still on its way back. On xhr-polling,
// that request must be poll number polls at least, counting from 1: those
// before it ended with the frames the test saw (the open frame, a
// message).
func waitReceiving(t *testing.T, p *recorder, tr client.Transport, sid string, polls int) *record {
	t.Helper()
	var last *record
	require.Eventually(t, func() bool {
		var recv []*record
		for _, r := range p.records() {
			if strings.Contains(r.Path, "/"+sid+"/") && !strings.HasSuffix(r.Path, "/xhr_send") {
				recv = append(recv, r)
			}
		}
		if (tr == client.XHRPolling || tr == client.JSONPPolling) && len(recv) < polls || len(recv) == 0 {
			return false
		}
		last = recv[len(recv)-1]
		for _, r := range recv[:len(recv)-1] {
			if !r.done() {
				return false
			}
		}
		return last.wasForwarded() && !last.done()
	}, waitFor, time.Millisecond, "no receiving request of %s at the server", sid)
	return last
}

// pastResponseLimit sends messages whose echoes add up to many times the
// response limit of /echo (4096 bytes) and asks /amplify for messages over
// its own (128 KiB): each must arrive once, in order, however the responses
// were cut.
func pastResponseLimit(t *testing.T, tr client.Transport, base string, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1+uint64(len(tr))))
	d := dialer(t, tr)
	var mu sync.Mutex
	requests := 0
	d.OnFrame = func(f client.Frame) {
		mu.Lock()
		requests = max(requests, f.Request+1)
		mu.Unlock()
	}
	c := dial(t, d, base+"/echo")
	var msgs []string
	for i := range 300 {
		msgs = append(msgs, fmt.Sprintf("%d:%s", i, strings.Repeat("é", rng.IntN(1000))))
	}
	go func() {
		for _, m := range msgs {
			if c.Send(testContext(t), m) != nil {
				return
			}
		}
	}()
	assert.Equal(t, msgs, recv(t, c, len(msgs)))
	mu.Lock()
	if !isWebsocket(tr) {
		assert.Greater(t, requests, 10, "the responses did not end at the limit")
	}
	mu.Unlock()

	a := dial(t, dialer(t, tr), base+"/amplify")
	for _, n := range []int{17, 10, 17, 1} {
		send(t, a, fmt.Sprint(n))
		assert.Equal(t, strings.Repeat("x", 1<<n), recv(t, a, 1)[0])
	}
}

// secondReceiver opens a session and then opens it again: the HTTP
// transports refuse the second receiving request with 2010, and the
// websocket transports open a session of their own.
func secondReceiver(t *testing.T, tr client.Transport, base string) {
	p := newRecorder(t, base)
	sid := fmt.Sprintf("second%d", rand.Int64())
	d := dialer(t, tr)
	d.SessionID = func() string { return sid }
	first := dial(t, d, p.URL+"/echo")
	if !isWebsocket(tr) {
		waitReceiving(t, p, tr, sid, 2) // after the open frame
	}
	var frames []string
	var mu sync.Mutex
	d2 := *d
	d2.OnFrame = func(f client.Frame) {
		mu.Lock()
		frames = append(frames, string(f.Data))
		mu.Unlock()
	}
	second, err := d2.Dial(testContext(t), p.URL+"/echo")
	if isWebsocket(tr) {
		require.NoError(t, err)
		defer second.Close(1000, "")
		send(t, second, "second")
		assert.Equal(t, []string{"second"}, recv(t, second, 1))
	} else {
		assert.Equal(t, &client.CloseError{Code: 2010, Reason: "Another connection still open"}, err)
		mu.Lock()
		require.NotEmpty(t, frames)
		assert.Equal(t, `c[2010,"Another connection still open"]`, frames[len(frames)-1])
		for _, f := range frames[:len(frames)-1] {
			assert.Equal(t, strings.Repeat("h", len(f)), f, "before the close frame, only the prelude")
		}
		mu.Unlock()
	}
	send(t, first, "first")
	assert.Equal(t, []string{"first"}, recv(t, first, 1), "the first connection after the second")
}

// cookieNeeded checks that the JSESSIONID the server sets comes back on
// every later request.
func cookieNeeded(t *testing.T, tr client.Transport, base string) {
	p := newRecorder(t, base)
	c := dial(t, dialer(t, tr), p.URL+"/cookie_needed_echo")
	for i := range 3 {
		send(t, c, fmt.Sprint(i))
		assert.Equal(t, []string{fmt.Sprint(i)}, recv(t, c, 1))
	}
	set := false
	for _, r := range p.records() {
		if set {
			assert.Contains(t, r.Header.Get("Cookie"), "JSESSIONID=", "%s %s", r.Method, r.Path)
		}
		set = set || slices.ContainsFunc(r.cookies(), func(s string) bool { return strings.HasPrefix(s, "JSESSIONID=") })
	}
	if !isWebsocket(tr) {
		assert.True(t, set, "no response set JSESSIONID")
	}
}

// cookieFromJar checks that a cookie in the Dialer's jar goes with every
// request, the WebSocket handshake included.
func cookieFromJar(t *testing.T, tr client.Transport, base string) {
	p := newRecorder(t, base)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	u, err := url.Parse(p.URL)
	require.NoError(t, err)
	value := fmt.Sprintf("seeded%d", rand.Int64())
	jar.SetCookies(u, []*http.Cookie{{Name: "JSESSIONID", Value: value, Path: "/"}})
	d := dialer(t, tr)
	d.Jar = jar
	c := dial(t, d, p.URL+"/cookie_needed_echo")
	send(t, c, "x")
	assert.Equal(t, []string{"x"}, recv(t, c, 1))
	for _, r := range p.records() {
		assert.Equal(t, "JSESSIONID="+value, r.Header.Get("Cookie"), "%s %s", r.Method, r.Path)
		for _, sc := range r.cookies() {
			assert.True(t, strings.HasPrefix(sc, "JSESSIONID="+value+";"), "the server set %q", sc)
		}
	}
}

// queryAndHeaders checks that the URL's query string and the Dialer's
// headers go with every request.
func queryAndHeaders(t *testing.T, tr client.Transport, base string) {
	p := newRecorder(t, base)
	d := dialer(t, tr)
	d.Header = http.Header{"X-Token": {"s3cret"}}
	c := dial(t, d, p.URL+"/echo/?token=a%20b&n=1")
	send(t, c, "x")
	assert.Equal(t, []string{"x"}, recv(t, c, 1))
	recs := p.records()
	require.NotEmpty(t, recs)
	for _, r := range recs {
		query := r.Query
		if strings.HasSuffix(r.Path, "/htmlfile") || strings.HasSuffix(r.Path, "/jsonp") {
			// The callback parameter comes after the URL's own.
			var callback string
			query, callback, _ = strings.Cut(query, "&c=")
			assert.Regexp(t, `^_jp\.[a-z][a-z0-5]*$`, callback, "%s %s", r.Method, r.Path)
		}
		assert.Equal(t, "token=a%20b&n=1", query, "%s %s", r.Method, r.Path)
		assert.Equal(t, "s3cret", r.Header.Get("X-Token"), "%s %s", r.Method, r.Path)
	}
	var paths []string
	for _, r := range recs {
		paths = append(paths, r.Path)
	}
	switch tr {
	case client.WebsocketRaw:
		assert.Equal(t, []string{"/echo/websocket"}, paths)
	default:
		assert.Equal(t, "/echo/info", paths[0])
		assert.Regexp(t, `^/echo/[0-9]{3}/[a-z0-5]{8}/`, paths[1], "server and session ids as sockjs-client's")
	}
}

// broadcast sends on one connection of /broadcast and receives on both.
func broadcast(t *testing.T, tr client.Transport, base string) {
	a := dial(t, dialer(t, tr), base+"/broadcast")
	b := dial(t, dialer(t, tr), base+"/broadcast")
	// Sessions of other tests may join: skip what they send.
	msg := fmt.Sprintf("to all %d", rand.Int64())
	send(t, a, msg)
	for _, c := range []*client.Conn{a, b} {
		for {
			if recv(t, c, 1)[0] == msg {
				break
			}
		}
	}
}

// websocketDisabled dials a service whose /info turns websocket off.
func websocketDisabled(t *testing.T, base string) {
	p := newRecorder(t, base)
	d := &client.Dialer{HTTPClient: httpClient(t)}
	c := dial(t, d, p.URL+"/disabled_websocket_echo")
	assert.Equal(t, client.XHRStreaming, c.Transport())
	for _, r := range p.records() {
		assert.NotContains(t, r.Path, "websocket/", "a websocket attempt")
		assert.False(t, strings.HasSuffix(r.Path, "/websocket"), "a websocket attempt")
	}
	d.Transports = []client.Transport{client.Websocket, client.WebsocketRaw}
	_, err := d.Dial(testContext(t), p.URL+"/disabled_websocket_echo")
	assert.ErrorContains(t, err, "turned websocket off")
}

package sockjs_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// opener makes the request that opens a session over one transport.
type opener struct {
	transport sockjs.Transport
	method    string
	path      string // with %s for the session id; a query is added to it
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

// url returns the opening URL of session sid with query (a=b&c=d) added.
func (o opener) url(srv *httptest.Server, sid, query string) string {
	u := srv.URL + strings.Replace(o.path, "%s", sid, 1)
	if query != "" {
		if strings.Contains(u, "?") {
			u += "&" + query
		} else {
			u += "?" + query
		}
	}
	if o.websocket {
		u = "ws" + strings.TrimPrefix(u, "http")
	}
	return u
}

// attempt makes the opening request and returns its status and, when it
// is refused, its body. An accepted request is ended at once: a websocket
// is closed, a response is read to its end or, streaming, to its first
// bytes.
func (o opener) attempt(t *testing.T, srv *httptest.Server, sid, query string, header http.Header) (int, string) {
	t.Helper()
	if o.websocket {
		d := websocket.Dialer{HandshakeTimeout: wsTimeout}
		c, resp, err := d.Dial(o.url(srv, sid, query), header)
		if err == nil {
			c.Close()
			return resp.StatusCode, ""
		}
		require.ErrorIs(t, err, websocket.ErrBadHandshake)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, o.method, o.url(srv, sid, query), nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := wsClient(t).Do(req)
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

// tokenAuth accepts the token "good" of the query string as the user
// "alice", refuses a missing token with ErrUnauthorized and any other with a
// plain error, and panics on "panic". It counts its calls.
type tokenAuth struct{ calls atomic.Int64 }

func (a *tokenAuth) authenticate(r *http.Request) (any, error) {
	a.calls.Add(1)
	switch tok := r.URL.Query().Get("token"); tok {
	case "good":
		return "alice", nil
	case "":
		return nil, sockjs.ErrUnauthorized
	case "panic":
		panic("authenticate panics")
	default:
		return nil, errors.New("unknown token " + tok)
	}
}

func TestAuthenticateEveryTransport(t *testing.T) {
	t.Parallel()
	cases := []struct {
		query  string
		status int
		body   string
	}{
		{"token=good", 0, ""},
		{"", http.StatusUnauthorized, "Unauthorized."},
		{"token=bad", http.StatusForbidden, "Forbidden."},
		{"token=panic", http.StatusInternalServerError, "Internal server error."},
	}
	for _, o := range openers {
		for _, c := range cases {
			t.Run(string(o.transport)+"/"+c.query, func(t *testing.T) {
				t.Parallel()
				var auth tokenAuth
				srv, h, l := wsStart(t, nil, sockjs.Options{Authenticate: auth.authenticate, Logger: discardLogger})
				status, body := o.attempt(t, srv, wsSID(), c.query, nil)
				assert.EqualValues(t, 1, auth.calls.Load(), "Authenticate runs once")
				if c.status == 0 {
					assert.Contains(t, []int{http.StatusOK, http.StatusSwitchingProtocols}, status)
					conn := l.nth(t, 0)
					assert.Equal(t, "alice", conn.Identity())
					assert.Equal(t, o.transport, conn.Transport())
					return
				}
				assert.Equal(t, c.status, status)
				assert.Equal(t, c.body, body)
				// Refused before any session exists: no callback, no state.
				assert.Never(t, func() bool { return l.total(sockjs.EventInit) > 0 },
					200*time.Millisecond, 10*time.Millisecond, "the callback ran")
				st := h.Stats()
				assert.Zero(t, st.SessionsOpened)
				assert.Zero(t, st.Sessions)
			})
		}
	}
}

func TestAuthenticateGuardsOnlyTheOpening(t *testing.T) {
	t.Parallel()
	var auth tokenAuth
	srv, _, l := wsStart(t, wsEcho, sockjs.Options{Authenticate: auth.authenticate})
	client := wsClient(t)
	sid := wsSID()
	status, body := wsDo(t, client, http.MethodPost, wsXHRURL(srv, sid, "xhr")+"?token=good", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "o\n", body)
	// The session exists: its sends and polls need no token, and never
	// ask Authenticate again.
	wsXHRSend(t, client, srv, sid, `["hi"]`)
	assert.Equal(t, `a["hi"]`, wsPoll(t, client, srv, sid))
	assert.EqualValues(t, 1, auth.calls.Load())
	assert.Equal(t, "alice", l.nth(t, 0).Identity())

	// Sending to a session that a refusal never made finds nothing.
	refused := wsSID()
	status, _ = wsDo(t, client, http.MethodPost, wsXHRURL(srv, refused, "xhr"), "", nil)
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = wsDo(t, client, http.MethodPost, wsXHRURL(srv, refused, "xhr_send"), `["x"]`, nil)
	assert.Equal(t, http.StatusNotFound, status)

	// /info and the iframe page are not guarded.
	status, _ = wsDo(t, client, http.MethodGet, srv.URL+"/echo/info", "", nil)
	assert.Equal(t, http.StatusOK, status)
	status, _ = wsDo(t, client, http.MethodGet, srv.URL+"/echo/iframe.html", "", nil)
	assert.Equal(t, http.StatusOK, status)
}

func TestAuthenticateSeesTheWholeRequest(t *testing.T) {
	t.Parallel()
	bigCookie := strings.Repeat("c", 200<<10)
	bigQuery := strings.Repeat("q", 200<<10)
	type seen struct{ cookie, query, auth string }
	for _, o := range openers {
		t.Run(string(o.transport), func(t *testing.T) {
			t.Parallel()
			got := make(chan seen, 1)
			authenticate := func(r *http.Request) (any, error) {
				c, err := r.Cookie("session")
				if err != nil {
					return nil, err
				}
				got <- seen{c.Value, r.URL.Query().Get("big"), r.Header.Get("Authorization")}
				return c.Value[:3], nil
			}
			srv, _, l := wsStart(t, nil, sockjs.Options{Authenticate: authenticate})
			header := http.Header{"Cookie": {"session=" + bigCookie}, "Authorization": {"Bearer xyz"}}
			status, _ := o.attempt(t, srv, wsSID(), "big="+bigQuery, header)
			assert.Contains(t, []int{http.StatusOK, http.StatusSwitchingProtocols}, status)
			s := <-got
			assert.Equal(t, seen{bigCookie, bigQuery, "Bearer xyz"}, s)
			conn := l.nth(t, 0)
			assert.Equal(t, "ccc", conn.Identity())
			assert.Empty(t, conn.Header().Values("Cookie"), "Conn.Header never holds cookies")
			assert.Empty(t, conn.Header().Values("Authorization"))
		})
	}
}

func TestAuthenticateHeadersTooLarge(t *testing.T) {
	t.Parallel()
	var auth tokenAuth
	srv, _, l := wsStart(t, nil, sockjs.Options{Authenticate: auth.authenticate})
	for _, o := range openers {
		status, _ := o.attempt(t, srv, wsSID(), "token=good", http.Header{"Cookie": {"x=" + strings.Repeat("c", 2<<20)}})
		assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, status, "%s", o.transport)
	}
	assert.Zero(t, auth.calls.Load())
	assert.Zero(t, l.total(sockjs.EventInit))
}

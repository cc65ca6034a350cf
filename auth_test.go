package sockjs_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

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

// sockjsTransport is the transport of package sockjs that tr speaks.
var sockjsTransport = map[client.Transport]sockjs.Transport{
	client.Websocket:    sockjs.TransportWebsocket,
	client.WebsocketRaw: sockjs.TransportWebsocketRaw,
	client.XHRStreaming: sockjs.TransportXHRStreaming,
	client.EventSource:  sockjs.TransportEventSource,
	client.XHRPolling:   sockjs.TransportXHRPolling,
	client.HTMLFile:     sockjs.TransportHTMLFile,
	client.JSONPPolling: sockjs.TransportJSONPPolling,
}

// assertRefused checks that a dial failed on the status and body of a
// refusal, which the client's error quotes.
func assertRefused(t *testing.T, err error, status int, body string) {
	t.Helper()
	require.ErrorIs(t, err, client.ErrProtocol)
	assert.Contains(t, err.Error(), fmt.Sprintf("%d %s %q", status, http.StatusText(status), body))
}

func TestAuthenticateEveryTransport(t *testing.T) {
	t.Parallel()
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		for _, c := range []struct {
			query  string
			status int
			body   string
		}{
			{"token=good", 0, ""},
			{"", http.StatusUnauthorized, "Unauthorized."},
			{"token=bad", http.StatusForbidden, "Forbidden."},
			{"token=panic", http.StatusInternalServerError, "Internal server error."},
		} {
			var auth tokenAuth
			s := startService(t, echo, sockjs.Options{Authenticate: auth.authenticate, Logger: discardLogger})
			conn, err := dialURL(t, s.dialer(tr, newSID()), s.URL+"?"+c.query)
			assert.EqualValues(t, 1, auth.calls.Load(), "%q: Authenticate runs once", c.query)
			if c.status == 0 {
				require.NoError(t, err)
				require.NoError(t, conn.Send(t.Context(), "hi"))
				sc := s.log.nth(t, 0)
				assert.Equal(t, "alice", sc.Identity())
				assert.Equal(t, sockjsTransport[tr], sc.Transport())
				assert.Equal(t, []string{"hi"}, s.log.waitRecvs(t, sc, 1))
				continue
			}
			assertRefused(t, err, c.status, c.body)
			// Refused before any session exists: no callback, no state.
			s.log.never(t, c.query+": the callback ran", func() bool { return len(s.log.calls) > 0 })
			st := s.h.Stats()
			assert.Zero(t, st.SessionsOpened, c.query)
			assert.Zero(t, st.Sessions, c.query)
		}
	})
}

func TestAuthenticateGuardsOnlyTheOpening(t *testing.T) {
	t.Parallel()
	var auth tokenAuth
	s := startService(t, echo, sockjs.Options{Authenticate: auth.authenticate})
	conn, err := dialURL(t, s.dialer(client.XHRPolling, newSID()), s.URL+"?token=good")
	require.NoError(t, err)
	sid := conn.SessionID()
	// The session exists: its sends and polls need no token, and never
	// ask Authenticate again.
	resp, _ := do(t, http.MethodPost, s.at(sid, "xhr_send"), `["hi"]`, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	msg, err := conn.Recv(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "hi", msg)
	assert.EqualValues(t, 1, auth.calls.Load())
	assert.Equal(t, "alice", s.log.nth(t, 0).Identity())

	// Sending to a session that a refusal never made finds nothing.
	refused := newSID()
	resp, _ = do(t, http.MethodPost, s.at(refused, "xhr"), "", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = do(t, http.MethodPost, s.at(refused, "xhr_send"), `["x"]`, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// /info and the iframe page are not guarded.
	for _, path := range []string{"/info", "/iframe.html"} {
		resp, _ = do(t, http.MethodGet, s.URL+path, "", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
}

func TestAuthenticateSeesTheWholeRequest(t *testing.T) {
	t.Parallel()
	bigCookie := strings.Repeat("c", 200<<10)
	bigQuery := strings.Repeat("q", 200<<10)
	type seen struct{ cookie, query, auth string }
	eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
		got := make(chan seen, 1)
		authenticate := func(r *http.Request) (any, error) {
			c, err := r.Cookie("session")
			if err != nil {
				return nil, err
			}
			got <- seen{c.Value, r.URL.Query().Get("big"), r.Header.Get("Authorization")}
			return c.Value[:3], nil
		}
		s := startService(t, nil, sockjs.Options{Authenticate: authenticate})
		d := s.dialer(tr, newSID())
		d.Jar = newCookieJar(t, s.URL, &http.Cookie{Name: "session", Value: bigCookie})
		d.Header = http.Header{"Authorization": {"Bearer xyz"}}
		_, err := dialURL(t, d, s.URL+"?big="+bigQuery)
		require.NoError(t, err)
		select {
		case g := <-got:
			assert.Equal(t, seen{bigCookie, bigQuery, "Bearer xyz"}, g)
		case <-time.After(waitFor):
			t.Fatal("Authenticate did not run")
		}
		conn := s.log.nth(t, 0)
		assert.Equal(t, "ccc", conn.Identity())
		assert.Empty(t, conn.Header().Values("Cookie"), "Conn.Header never holds cookies")
		assert.Empty(t, conn.Header().Values("Authorization"))
	})
}

// TestAuthenticateHeadersTooLarge checks the opening requests themselves:
// the client would fail on its /info request first.
func TestAuthenticateHeadersTooLarge(t *testing.T) {
	t.Parallel()
	var auth tokenAuth
	s := startService(t, nil, sockjs.Options{Authenticate: auth.authenticate})
	for _, o := range openers {
		status, _ := o.attempt(t, s.HTTP, newSID(), "token=good", http.Header{"Cookie": {"x=" + strings.Repeat("c", 2<<20)}})
		assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, status, "%s", o.transport)
	}
	assert.Zero(t, auth.calls.Load())
	s.log.never(t, "a session opened", func() bool { return len(s.log.conns) > 0 })
}

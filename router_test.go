package sockjs_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/gorilla/mux"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// routerEcho is an echo callback for the router tests.
func routerEcho(c *sockjs.Conn, ev sockjs.Event, s struct{}) struct{} {
	if ev.Type == sockjs.EventRecv {
		c.Send(ev.Data)
	}
	return s
}

// The handler works behind the routers people use: every case mounts it so
// that the service is reachable at base, then runs a websocket session, an
// xhr-streaming session and a raw websocket through the router.
func TestRouters(t *testing.T) {
	tests := []struct {
		name  string
		base  string // the service's URL path
		build func() http.Handler
	}{
		{"ServeMux prefix and subtree", "/echo", func() http.Handler {
			h := sockjs.NewHandler("/echo", routerEcho, struct{}{}, sockjs.Options{})
			m := http.NewServeMux()
			m.Handle("/echo", h)
			m.Handle("/echo/", h)
			return m
		}},
		{"ServeMux method patterns with wildcard", "/echo", func() http.Handler {
			h := sockjs.NewHandler("/echo", routerEcho, struct{}{}, sockjs.Options{})
			m := http.NewServeMux()
			m.Handle("GET /echo/{rest...}", h)
			m.Handle("POST /echo/{rest...}", h)
			m.Handle("OPTIONS /echo/{rest...}", h)
			return m
		}},
		{"ServeMux host pattern", "/echo", func() http.Handler {
			h := sockjs.NewHandler("/echo", routerEcho, struct{}{}, sockjs.Options{})
			m := http.NewServeMux()
			m.Handle("127.0.0.1/echo/{rest...}", h)
			return m
		}},
		{"ServeMux with StripPrefix", "/api/v1/echo", func() http.Handler {
			h := sockjs.NewHandler("/echo", routerEcho, struct{}{}, sockjs.Options{})
			m := http.NewServeMux()
			m.Handle("/api/v1/", http.StripPrefix("/api/v1", h))
			return m
		}},
		{"StripPrefix of the whole prefix", "/svc/echo", func() http.Handler {
			h := sockjs.NewHandler("", routerEcho, struct{}{}, sockjs.Options{})
			m := http.NewServeMux()
			m.Handle("/svc/echo/", http.StripPrefix("/svc/echo", h))
			return m
		}},
		{"chi Handle", "/echo", func() http.Handler {
			h := sockjs.NewHandler("/echo", routerEcho, struct{}{}, sockjs.Options{})
			r := chi.NewRouter()
			r.Handle("/echo", h)
			r.Handle("/echo/*", h)
			return r
		}},
		{"chi Mount with middleware", "/echo", func() http.Handler {
			h := sockjs.NewHandler("/echo", routerEcho, struct{}{}, sockjs.Options{})
			r := chi.NewRouter()
			r.Use(middleware.RequestID, middleware.Recoverer,
				middleware.RequestLogger(&middleware.DefaultLogFormatter{Logger: log.New(io.Discard, "", 0), NoColor: true}))
			r.Mount("/echo", h)
			return r
		}},
		{"chi Route with StripPrefix", "/api/echo", func() http.Handler {
			h := sockjs.NewHandler("/echo", routerEcho, struct{}{}, sockjs.Options{})
			r := chi.NewRouter()
			r.Route("/api", func(r chi.Router) {
				r.Handle("/echo/*", http.StripPrefix("/api", h))
			})
			return r
		}},
		{"gorilla/mux PathPrefix", "/echo", func() http.Handler {
			h := sockjs.NewHandler("/echo", routerEcho, struct{}{}, sockjs.Options{})
			r := mux.NewRouter()
			r.PathPrefix("/echo").Handler(h)
			return r
		}},
		{"gorilla/mux subrouter with StripPrefix", "/api/echo", func() http.Handler {
			h := sockjs.NewHandler("/echo", routerEcho, struct{}{}, sockjs.Options{})
			r := mux.NewRouter()
			api := r.PathPrefix("/api").Subrouter()
			api.PathPrefix("/echo/").Handler(http.StripPrefix("/api", h))
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.build())
			defer srv.Close()
			url := srv.URL + tt.base

			t.Run("info", func(t *testing.T) {
				resp, err := http.Get(url + "/info")
				require.NoError(t, err)
				defer resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode)
				var info struct{ Websocket bool }
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
				require.True(t, info.Websocket)
			})
			t.Run("greeting", func(t *testing.T) {
				resp, err := http.Get(url + "/")
				require.NoError(t, err)
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				require.Equal(t, "Welcome to SockJS!\n", string(b))
			})
			t.Run("preflight", func(t *testing.T) {
				req, err := http.NewRequest(http.MethodOptions, url+"/000/rtopt/xhr_streaming", nil)
				require.NoError(t, err)
				req.Header.Set("Origin", "http://example.com")
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				require.Equal(t, http.StatusNoContent, resp.StatusCode)
				require.Equal(t, "http://example.com", resp.Header.Get("Access-Control-Allow-Origin"))
			})
			t.Run("websocket", func(t *testing.T) {
				ws := routerDial(t, url+"/000/rtws/websocket")
				routerReadWS(t, ws, "o")
				require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(`["hello","world"]`)))
				routerReadWS(t, ws, `a["hello","world"]`)
			})
			t.Run("raw websocket", func(t *testing.T) {
				ws := routerDial(t, url+"/websocket")
				require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte("plain")))
				routerReadWS(t, ws, "plain")
			})
			t.Run("xhr_streaming", func(t *testing.T) {
				xhrStreamingRoundTrip(t, http.DefaultClient, url, "rtxhr")
			})
		})
	}
}

// routerDial opens a websocket to an http:// URL.
func routerDial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http"), nil)
	if resp != nil {
		resp.Body.Close()
	}
	require.NoError(t, err)
	t.Cleanup(func() { ws.Close() })
	return ws
}

// routerReadWS reads one websocket message and compares it with want.
func routerReadWS(t *testing.T, ws *websocket.Conn, want string) {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := ws.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, want, string(b))
}

// xhrStreamingRoundTrip opens an xhr_streaming session sid at url with
// client, and checks that messages sent with xhr_send come back one frame at
// a time, each flushed before the next is sent.
func xhrStreamingRoundTrip(t *testing.T, client *http.Client, url, sid string) *http.Response {
	t.Helper()
	resp, err := client.Post(url+"/000/"+sid+"/xhr_streaming", "text/plain", nil)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	r := bufio.NewReader(resp.Body)
	routerReadLine(t, r, strings.Repeat("h", 2048)+"\n")
	routerReadLine(t, r, "o\n")
	for _, m := range []string{"one", "two", "three"} {
		send, err := client.Post(url+"/000/"+sid+"/xhr_send", "text/plain", strings.NewReader(`["`+m+`"]`))
		require.NoError(t, err)
		send.Body.Close()
		require.Equal(t, http.StatusNoContent, send.StatusCode)
		routerReadLine(t, r, `a["`+m+`"]`+"\n")
	}
	return resp
}

// routerReadLine reads up to the next "\n", failing after 5s or if the line
// differs from want.
func routerReadLine(t *testing.T, r *bufio.Reader, want string) {
	t.Helper()
	routerReadUntil(t, r, "\n", want)
}

// routerReadUntil reads up to and including delim and compares with want.
func routerReadUntil(t *testing.T, r *bufio.Reader, delim, want string) {
	t.Helper()
	require.Equal(t, want, routerRead(t, r, delim))
}

// routerRead reads up to and including delim, failing after 5s.
func routerRead(t *testing.T, r *bufio.Reader, delim string) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		var sb strings.Builder
		for !strings.HasSuffix(sb.String(), delim) {
			b, err := r.ReadByte()
			if err != nil {
				sb.WriteString("<" + err.Error() + ">")
				break
			}
			sb.WriteByte(b)
		}
		got <- sb.String()
	}()
	select {
	case s := <-got:
		return s
	case <-time.After(5 * time.Second):
		t.Fatalf("nothing ending in %q within 5s", delim)
		return ""
	}
}

package sockjs_test

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// TestRouters checks that the handler works behind the routers people
// use: every case mounts it so that the service is reachable at base, then
// runs /info, the greeting, a preflight and a session over every transport
// through the router.
func TestRouters(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name         string
		prefix, base string // the handler's prefix, the service's URL path
		mount        func(h *sockjs.Handler) http.Handler
	}{
		{"ServeMux prefix and subtree", "/echo", "/echo", func(h *sockjs.Handler) http.Handler {
			m := http.NewServeMux()
			m.Handle("/echo", h)
			m.Handle("/echo/", h)
			return m
		}},
		{"ServeMux method patterns with wildcard", "/echo", "/echo", func(h *sockjs.Handler) http.Handler {
			m := http.NewServeMux()
			m.Handle("GET /echo/{rest...}", h)
			m.Handle("POST /echo/{rest...}", h)
			m.Handle("OPTIONS /echo/{rest...}", h)
			return m
		}},
		{"ServeMux host pattern", "/echo", "/echo", func(h *sockjs.Handler) http.Handler {
			m := http.NewServeMux()
			m.Handle("127.0.0.1/echo/{rest...}", h)
			return m
		}},
		{"ServeMux with StripPrefix", "/echo", "/api/v1/echo", func(h *sockjs.Handler) http.Handler {
			m := http.NewServeMux()
			m.Handle("/api/v1/", http.StripPrefix("/api/v1", h))
			return m
		}},
		{"StripPrefix of the whole prefix", "", "/svc/echo", func(h *sockjs.Handler) http.Handler {
			m := http.NewServeMux()
			m.Handle("/svc/echo/", http.StripPrefix("/svc/echo", h))
			return m
		}},
		{"chi Handle", "/echo", "/echo", func(h *sockjs.Handler) http.Handler {
			r := chi.NewRouter()
			r.Handle("/echo", h)
			r.Handle("/echo/*", h)
			return r
		}},
		{"chi Mount with middleware", "/echo", "/echo", func(h *sockjs.Handler) http.Handler {
			r := chi.NewRouter()
			r.Use(middleware.RequestID, middleware.Recoverer,
				middleware.RequestLogger(&middleware.DefaultLogFormatter{Logger: log.New(io.Discard, "", 0), NoColor: true}))
			r.Mount("/echo", h)
			return r
		}},
		{"chi Route with StripPrefix", "/echo", "/api/echo", func(h *sockjs.Handler) http.Handler {
			r := chi.NewRouter()
			r.Route("/api", func(r chi.Router) {
				r.Handle("/echo/*", http.StripPrefix("/api", h))
			})
			return r
		}},
		{"gorilla/mux PathPrefix", "/echo", "/echo", func(h *sockjs.Handler) http.Handler {
			r := mux.NewRouter()
			r.PathPrefix("/echo").Handler(h)
			return r
		}},
		{"gorilla/mux subrouter with StripPrefix", "/echo", "/api/echo", func(h *sockjs.Handler) http.Handler {
			r := mux.NewRouter()
			api := r.PathPrefix("/api").Subrouter()
			api.PathPrefix("/echo/").Handler(http.StripPrefix("/api", h))
			return r
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startMounted(t, tt.prefix, tt.base, echo, tt.mount)

			resp, body := do(t, http.MethodGet, s.URL+"/info", "", nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, "/info")
			var info struct{ Websocket bool }
			require.NoError(t, json.Unmarshal([]byte(body), &info))
			assert.True(t, info.Websocket)

			_, body = do(t, http.MethodGet, s.URL+"/", "", nil)
			assert.Equal(t, "Welcome to SockJS!\n", body)

			resp, _ = do(t, http.MethodOptions, s.URL+"/000/rtopt/xhr_streaming", "", map[string]string{"Origin": "http://example.com"})
			assert.Equal(t, http.StatusNoContent, resp.StatusCode)
			assert.Equal(t, "http://example.com", resp.Header.Get("Access-Control-Allow-Origin"))

			eachTransport(t, allTransports, func(t *testing.T, tr client.Transport) {
				c, _ := s.open(t, tr)
				for _, m := range []string{"hello", "world"} {
					c.Send(m)
					assert.Equal(t, m, c.Recv())
				}
			})
		})
	}
}

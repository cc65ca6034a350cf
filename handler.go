package sockjs

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gosockjs/sockjs/internal/frame"
)

// Handler serves the SockJS protocol for one service under a URL prefix. It
// implements http.Handler. Create it with NewHandler.
type Handler struct {
	prefix    string
	opts      Options
	logger    *slog.Logger
	newCall   func() func(*Conn, Event)
	sessions  registry
	iframe    iframePage
	upgrader  wsUpgrader
	stats     counters
	served    transportSet
	closing   chan struct{} // closed by Shutdown
	closeOnce sync.Once
}

// NewHandler returns a Handler that serves the SockJS service at prefix, a
// URL path such as "/echo" matched literally against the start of the request
// path as the handler sees it (after any http.StripPrefix). Mount it for the
// prefix and everything under it:
//
//	h := sockjs.NewHandler("/echo", echo, nil, sockjs.Options{})
//	mux.Handle("/echo", h)
//	mux.Handle("/echo/", h)
//
// Every session runs callback with its own copy of state, initially state.
func NewHandler[S any](prefix string, callback Callback[S], state S, opts Options) *Handler {
	opts = opts.withDefaults()
	h := &Handler{
		prefix:  strings.TrimSuffix(prefix, "/"),
		opts:    opts,
		logger:  opts.Logger,
		closing: make(chan struct{}),
		newCall: func() func(*Conn, Event) {
			st := state
			return func(c *Conn, ev Event) { st = callback(c, ev, st) }
		},
	}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	h.served = ^transportSet(0)
	if opts.Transports != nil {
		h.served = setOf(opts.Transports...)
	}
	if opts.DisableWebsocket {
		h.served &^= setOf(TransportWebsocket, TransportWebsocketRaw)
	}
	h.sessions.init()
	h.iframe = newIframePage(opts.SockJSURL)
	h.upgrader = newWSUpgrader(h)
	return h
}

// Prefix returns the URL prefix the handler serves.
func (h *Handler) Prefix() string { return h.prefix }

// ServeHTTP routes a request to the part of the protocol its path names.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	route := h.serve(w, r)
	if h.logger.Enabled(r.Context(), slog.LevelDebug) {
		h.logger.LogAttrs(r.Context(), slog.LevelDebug, "sockjs: request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("proto", r.Proto),
			slog.String("remote", r.RemoteAddr), slog.String("route", route),
			slog.Duration("duration", time.Since(start)))
	}
}

// serve handles the request and returns the name of the route it took.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) string {
	rest, ok := strings.CutPrefix(r.URL.Path, h.prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		http.NotFound(w, r)
		return "notfound"
	}
	rest = strings.TrimPrefix(rest, "/")
	switch {
	case rest == "":
		h.greeting(w, r)
		return "greeting"
	case rest == "info":
		h.info(w, r)
		return "info"
	case rest == "websocket":
		h.rawWebsocket(w, r)
		return "rawwebsocket"
	case isIframe(rest):
		h.serveIframe(w, r)
		return "iframe"
	}
	server, rest, ok1 := strings.Cut(rest, "/")
	sid, name, ok2 := strings.Cut(rest, "/")
	t := lookupTransport(name)
	if !ok1 || !ok2 || t == nil || t.uses&h.served == 0 || !validID(server) || !validID(sid) {
		http.NotFound(w, r)
		return "notfound"
	}
	if t.options != "" && r.Method == http.MethodOptions {
		h.preflight(w, r, t.options)
		return name
	}
	if r.Method != t.method {
		methodNotAllowed(w, t.allow)
		return name
	}
	if !h.originAllowed(w, r, t.provesOrigin) {
		return name
	}
	t.serve(h, w, r, sid, t)
	return name
}

// maxIDLen bounds server and session ids, which the client chooses.
const maxIDLen = 128

// validID reports whether s can be a server or session id: not empty, not
// longer than maxIDLen, no dots (and, the path being split on slashes, no
// slashes).
func validID(s string) bool {
	return s != "" && len(s) <= maxIDLen && !strings.Contains(s, ".")
}

// isIframe reports whether p names the iframe page: "iframe.html" or
// "iframe-<version>.html".
func isIframe(p string) bool {
	mid, ok := strings.CutPrefix(p, "iframe")
	if !ok {
		return false
	}
	mid, ok = strings.CutSuffix(mid, ".html")
	if !ok {
		return false
	}
	if mid == "" {
		return true
	}
	if mid[0] != '-' {
		return false
	}
	for i := 0; i < len(mid); i++ {
		c := mid[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// greeting answers the prefix itself.
func (h *Handler) greeting(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	io.WriteString(w, "Welcome to SockJS!\n")
}

// openSession returns the session sid, creating it for request r and
// transport id when it does not exist, if Options.Authenticate lets r open
// one. created reports a new session, which the caller must start once it
// attached its receiver. It answers the request itself and returns nil when
// r is refused, or when the handler is at MaxSessions or shutting down.
func (h *Handler) openSession(w http.ResponseWriter, r *http.Request, sid string, id Transport) (s *session, created bool) {
	if h.opts.Authenticate != nil {
		if s := h.sessions.get(sid); s != nil {
			return s, false
		}
	}
	identity, ok := h.authenticate(w, r)
	if !ok {
		return nil, false
	}
	s, created = h.sessions.getOrCreate(sid, func() *session {
		return h.newSession(sid, id, r, false, identity)
	}, h.opts.MaxSessions, h.closing)
	if s == nil {
		h.unavailable(w)
	}
	return s, created
}

// unavailable answers a request for a new session that the handler cannot
// take: it is shutting down, or at MaxSessions.
func (h *Handler) unavailable(w http.ResponseWriter) {
	select {
	case <-h.closing:
		fail(w, http.StatusServiceUnavailable, "Server shutting down.")
	default:
		fail(w, http.StatusServiceUnavailable, "Too many sessions.")
	}
}

// Broadcast sends msg to every open session of the handler. The message is
// encoded once for all of them. Sessions that have closed are skipped.
func (h *Handler) Broadcast(msg string) {
	enc := frame.AppendString(nil, msg)
	h.sessions.each(func(s *session) { s.send(msg, enc, false) })
}

// Broadcast sends msg to each of conns, which may belong to any handlers,
// encoding it once for all of them, and returns how many accepted it
// (the others have closed). Use it for groups such as chat rooms; for every
// session of one handler, Handler.Broadcast needs no list.
func Broadcast(conns []*Conn, msg string) int {
	enc := frame.AppendString(nil, msg)
	n := 0
	for _, c := range conns {
		if c.s.send(msg, enc, false) == nil {
			n++
		}
	}
	return n
}

// Shutdown closes every session with code 1001 "Server shutting down",
// ends every streaming response and websocket, and waits until every
// session has delivered EventClosed, or until ctx is done. New sessions are
// refused with 503 from the start of the call. Call it before, or together
// with, http.Server.Shutdown, which neither ends streaming responses nor
// closes hijacked websockets.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.closeOnce.Do(func() { close(h.closing) })
	h.sessions.each(func(s *session) { s.close(CloseShutdown, reasonShutdown, elsewhere) })
	return h.sessions.wait(ctx)
}

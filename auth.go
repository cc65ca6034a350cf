package sockjs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// ErrUnauthorized is the error for Options.Authenticate to return (or wrap)
// to refuse a request with 401 "Unauthorized." rather than 403 "Forbidden.".
var ErrUnauthorized = errors.New("sockjs: unauthorized")

// authenticate runs Options.Authenticate on a request that would open a
// session and returns the identity it gives. It answers the request itself
// when it refuses.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (identity any, ok bool) {
	if h.opts.Authenticate == nil {
		return nil, true
	}
	identity, err := h.runAuthenticate(r)
	if err == nil {
		return identity, true
	}
	var status int
	switch {
	case errors.Is(err, errAuthPanicked):
		status = http.StatusInternalServerError
		fail(w, status, "Internal server error.")
	case errors.Is(err, ErrUnauthorized):
		status = http.StatusUnauthorized
		fail(w, status, "Unauthorized.")
	default:
		status = http.StatusForbidden
		fail(w, status, "Forbidden.")
	}
	h.logger.LogAttrs(r.Context(), slog.LevelDebug, "sockjs: session refused",
		slog.String("prefix", h.prefix), slog.String("remote", r.RemoteAddr),
		slog.Int("status", status), slog.String("error", err.Error()))
	return nil, false
}

// errAuthPanicked is what runAuthenticate returns for a panic.
var errAuthPanicked = errors.New("sockjs: Authenticate panicked")

// runAuthenticate calls Options.Authenticate, turning a panic into an error
// after logging it with its stack.
func (h *Handler) runAuthenticate(r *http.Request) (identity any, err error) {
	defer func() {
		if v := recover(); v != nil {
			h.logger.LogAttrs(context.Background(), slog.LevelError, "sockjs: Authenticate panicked",
				slog.String("prefix", h.prefix), slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			identity, err = nil, errAuthPanicked
		}
	}()
	return h.opts.Authenticate(r)
}

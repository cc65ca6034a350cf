package sockjs

import (
	"net/http"
	"strconv"
	"time"
)

const (
	oneYear        = 365 * 24 * time.Hour
	cacheForever   = "public, max-age=31536000"
	cacheNever     = "no-store, no-cache, no-transform, must-revalidate, max-age=0"
	maxAgeOneYear  = "31536000"
	contentText    = "text/plain; charset=UTF-8"
	contentJS      = "application/javascript; charset=UTF-8"
	contentJSON    = "application/json; charset=UTF-8"
	contentHTML    = "text/html; charset=UTF-8"
	contentEvents  = "text/event-stream"
	sessionCookie  = "JSESSIONID"
	defaultCookie  = "dummy"
	headerVary     = "Vary"
	headerOrigin   = "Origin"
	headerACAO     = "Access-Control-Allow-Origin"
	headerACAC     = "Access-Control-Allow-Credentials"
	headerNoBuffer = "X-Accel-Buffering"
)

// setNoCache forbids caching of a response that carries session data.
func setNoCache(h http.Header) {
	h.Set("Cache-Control", cacheNever)
}

// setCacheForever makes a response cacheable for a year.
func setCacheForever(h http.Header) {
	h.Set("Cache-Control", cacheForever)
	h.Set("Expires", time.Now().Add(oneYear).UTC().Format(http.TimeFormat))
}

// setCORS allows the request's origin to read the response. A request with
// an Origin (including the literal "null" of sandboxed and file pages) gets it
// echoed with credentials allowed; one without gets "*", never with
// credentials.
func setCORS(h http.Header, r *http.Request) {
	h.Add(headerVary, headerOrigin)
	if origin := r.Header.Get(headerOrigin); origin != "" {
		h.Set(headerACAO, origin)
		h.Set(headerACAC, "true")
	} else {
		h.Set(headerACAO, "*")
	}
}

// setCookie sets the affinity cookie when the handler needs it: the one
// Options.AffinityCookie makes, or JSESSIONID echoing the client's value.
func (h *Handler) setCookie(hdr http.Header, r *http.Request) {
	if !h.opts.CookieNeeded {
		return
	}
	if h.opts.AffinityCookie != nil {
		if c := h.opts.AffinityCookie(r); c != nil {
			if s := c.String(); s != "" {
				hdr.Add("Set-Cookie", s)
			}
		}
		return
	}
	v := defaultCookie
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		v = c.Value
	}
	c := http.Cookie{Name: sessionCookie, Value: v, Path: "/"}
	if s := c.String(); s != "" {
		hdr.Add("Set-Cookie", s)
	} else {
		hdr.Add("Set-Cookie", sessionCookie+"="+defaultCookie+"; Path=/")
	}
}

// preflight answers a CORS preflight request for an endpoint that allows
// methods.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request, methods string) {
	if !h.originAllowed(w, r, true) {
		return
	}
	hdr := w.Header()
	setCacheForever(hdr)
	setCORS(hdr, r)
	h.setCookie(hdr, r)
	hdr.Set("Access-Control-Allow-Methods", methods)
	hdr.Set("Access-Control-Max-Age", maxAgeOneYear)
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		hdr.Set("Access-Control-Allow-Headers", req)
	}
	w.WriteHeader(http.StatusNoContent)
}

// methodNotAllowed answers 405 with the allowed methods and no body.
func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	w.WriteHeader(http.StatusMethodNotAllowed)
}

// fail answers status with a plain-text message, as the protocol's errors
// ("Payload expected.", "Broken JSON encoding.", ...) are.
func fail(w http.ResponseWriter, status int, msg string) {
	hdr := w.Header()
	hdr.Set("Content-Type", contentText)
	hdr.Set("Content-Length", strconv.Itoa(len(msg)))
	setNoCache(hdr)
	w.WriteHeader(status)
	w.Write([]byte(msg))
}

// originAllowed applies Options.CheckOrigin and answers 403 when it refuses.
// A request with an Origin header is checked; one without is let through only
// when the transport is one whose browsers always send an Origin header
// across origins (so a missing one means a same-origin or non-browser
// client). The other transports (iframe, htmlfile, JSONP) cannot prove where
// they come from and are refused outright under a CheckOrigin policy.
func (h *Handler) originAllowed(w http.ResponseWriter, r *http.Request, provesOrigin bool) bool {
	check := h.opts.CheckOrigin
	if check == nil {
		return true
	}
	if provesOrigin && (r.Header.Get(headerOrigin) == "" || check(r)) {
		return true
	}
	fail(w, http.StatusForbidden, "Origin not allowed.")
	return false
}

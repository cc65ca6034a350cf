package sockjs

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gosockjs/sockjs/internal/frame"
)

// jsonpPolling is GET .../jsonp?c=callback: one frame per response, as a
// call of the callback.
var jsonpPolling = transport{name: "jsonp", id: TransportJSONPPolling, uses: setOf(TransportJSONPPolling), kind: polling,
	method: get, allow: "GET",
	contentType: contentJS, callback: true, encoder: jsonpEncoder,
	serve: (*Handler).serveReceiver}

// jsonpSend is POST .../jsonp_send: messages as a form field "d" or as the
// raw body.
var jsonpSend = transport{name: "jsonp_send", uses: setOf(TransportJSONPPolling), kind: sending,
	method: post, allow: "POST",
	serve: (*Handler).jsonpSendMessages}

// callbackParam returns the JSONP or htmlfile callback name of r, taken from
// the "c" or "callback" query parameter. It answers the request itself with
// 500 when the name is missing or not a plain JavaScript name path.
func callbackParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	q := r.URL.Query()
	cb := q.Get("c")
	if cb == "" {
		cb = q.Get("callback")
	}
	if cb == "" {
		fail(w, http.StatusInternalServerError, `"callback" parameter required`)
		return "", false
	}
	if !validCallback(cb) {
		fail(w, http.StatusInternalServerError, `invalid "callback" parameter`)
		return "", false
	}
	return cb, true
}

// validCallback reports whether cb has only letters, digits, '_', '-' and '.'.
func validCallback(cb string) bool {
	if len(cb) > 256 {
		return false
	}
	for i := 0; i < len(cb); i++ {
		c := cb[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// jsonpEncoder writes a frame of a JSONP polling response: a call of the
// callback with the frame as a JavaScript string.
func jsonpEncoder(cb string) encodeFunc {
	return func(dst, f []byte) []byte { return frame.AppendJSONP(dst, cb, f) }
}

// jsonpSendMessages serves jsonp_send.
func (h *Handler) jsonpSendMessages(w http.ResponseWriter, r *http.Request, sid string, _ *transport) {
	hdr := w.Header()
	h.setCookie(hdr, r)
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			fail(w, http.StatusInternalServerError, "Broken JSON encoding.")
			return
		}
		body = []byte(form.Get("d"))
	}
	if !h.deliver(w, sid, body) {
		return
	}
	hdr.Set("Content-Type", contentText)
	setNoCache(hdr)
	w.Write([]byte("ok"))
}

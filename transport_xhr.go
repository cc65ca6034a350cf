package sockjs

import (
	"errors"
	"io"
	"net/http"

	"github.com/gosockjs/sockjs/internal/frame"
)

// xhrPolling is POST .../xhr: one frame per response.
var xhrPolling = transport{name: "xhr", id: TransportXHRPolling, uses: setOf(TransportXHRPolling), kind: polling,
	method: post, allow: xhrAllow, options: xhrAllow, provesOrigin: true,
	contentType: contentJS, encoder: always(frame.AppendXHR),
	serve: (*Handler).serveReceiver}

// xhrStreaming is POST .../xhr_streaming: frames until the response limit.
var xhrStreaming = transport{name: "xhr_streaming", id: TransportXHRStreaming, uses: setOf(TransportXHRStreaming), kind: streaming,
	method: post, allow: xhrAllow, options: xhrAllow, provesOrigin: true,
	contentType: contentJS, prelude: constant(frame.XHRPrelude), encoder: always(frame.AppendXHR),
	serve: (*Handler).serveReceiver}

// xhrSend is POST .../xhr_send: a JSON array of messages for the session.
var xhrSend = transport{name: "xhr_send", kind: sending,
	uses:   setOf(TransportXHRPolling, TransportXHRStreaming, TransportEventSource, TransportHTMLFile),
	method: post, allow: xhrAllow, options: xhrAllow, provesOrigin: true,
	serve: (*Handler).xhrSendMessages}

// xhrSendMessages serves xhr_send.
func (h *Handler) xhrSendMessages(w http.ResponseWriter, r *http.Request, sid string, _ *transport) {
	hdr := w.Header()
	setCORS(hdr, r)
	h.setCookie(hdr, r)
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	if !h.deliver(w, sid, body) {
		return
	}
	hdr.Set("Content-Type", contentText)
	setNoCache(hdr)
	w.WriteHeader(http.StatusNoContent)
}

// readBody reads a request body of at most MaxMessageSize bytes. It answers
// the request itself when that fails.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limit := int64(h.opts.MaxMessageSize)
	if r.ContentLength > limit {
		fail(w, http.StatusRequestEntityTooLarge, "Payload too large.")
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		fail(w, http.StatusRequestEntityTooLarge, "Payload too large.")
		return nil, false
	case err != nil:
		fail(w, http.StatusBadRequest, "Broken request body.")
		return nil, false
	}
	return body, true
}

// deliver decodes body and hands its messages to session sid. It answers
// the request itself when that fails: 404 for an unknown session, 500 for a
// body that is not SockJS data.
func (h *Handler) deliver(w http.ResponseWriter, sid string, body []byte) bool {
	s := h.sessions.get(sid)
	if s == nil {
		http.NotFound(w, nil)
		return false
	}
	msgs, err := frame.DecodeMessages(nil, body)
	switch {
	case errors.Is(err, frame.ErrEmpty):
		fail(w, http.StatusInternalServerError, "Payload expected.")
		return false
	case err != nil:
		fail(w, http.StatusInternalServerError, "Broken JSON encoding.")
		return false
	}
	h.stats.bytesIn.Add(uint64(msgBytes(msgs)))
	if s.receive(msgs, false) != nil {
		http.NotFound(w, nil)
		return false
	}
	return true
}

func msgBytes(msgs []string) int {
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	return n
}

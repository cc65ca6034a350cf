package sockjs

import "net/http"

// eventSourcePrelude opens an eventsource response.
var eventSourcePrelude = []byte("\r\n")

// encodeEventSource writes a frame as one server-sent event. Frames never
// hold a raw newline, so one data line carries it whole.
func encodeEventSource(dst, f []byte) []byte {
	dst = append(dst, "data: "...)
	dst = append(dst, f...)
	return append(dst, "\r\n\r\n"...)
}

// eventSource serves GET .../eventsource.
func (h *Handler) eventSource(w http.ResponseWriter, r *http.Request, sid string) {
	h.serveReceiver(w, r, sid, "eventsource", contentEvents, true, eventSourcePrelude, encodeEventSource)
}

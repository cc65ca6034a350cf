package sockjs

import (
	"net/http"

	"github.com/gosockjs/sockjs/internal/frame"
)

// eventSourcePrelude opens an eventsource response.
var eventSourcePrelude = []byte("\r\n")

// encodeEventSource writes a frame as one server-sent event, its data line
// percent-escaped for the client's decodeURI (see frame.AppendEventData).
func encodeEventSource(dst, f []byte) []byte {
	dst = append(dst, "data: "...)
	dst = frame.AppendEventData(dst, f)
	return append(dst, "\r\n\r\n"...)
}

// eventSource serves GET .../eventsource.
func (h *Handler) eventSource(w http.ResponseWriter, r *http.Request, sid string) {
	h.serveReceiver(w, r, sid, "eventsource", contentEvents, true, eventSourcePrelude, encodeEventSource)
}

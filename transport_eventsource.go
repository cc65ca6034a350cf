package sockjs

import (
	"net/http"

	"github.com/gosockjs/sockjs/internal/frame"
)

// eventSource serves GET .../eventsource.
func (h *Handler) eventSource(w http.ResponseWriter, r *http.Request, sid string) {
	h.serveReceiver(w, r, sid, "eventsource", contentEvents, true, frame.EventSourcePrelude, frame.AppendEventSource)
}

package sockjs

import (
	"net/http"

	"github.com/gosockjs/sockjs/internal/frame"
)

// htmlFile serves GET .../htmlfile?c=callback.
func (h *Handler) htmlFile(w http.ResponseWriter, r *http.Request, sid string) {
	cb, ok := callbackParam(w, r)
	if !ok {
		return
	}
	h.serveReceiver(w, r, sid, "htmlfile", contentHTML, true, frame.HTMLFilePrelude(cb), frame.AppendHTMLFile)
}

package sockjs

import (
	"crypto/rand"
	"encoding/binary"
	"net/http"
	"strconv"
)

// info serves /info: the server's capabilities and a random number for the
// client's entropy.
func (h *Handler) info(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodOptions:
		h.preflight(w, r, "OPTIONS, GET")
		return
	case http.MethodGet:
	default:
		methodNotAllowed(w, "OPTIONS, GET")
		return
	}
	if !h.originAllowed(w, r, true) {
		return
	}
	var b [4]byte
	rand.Read(b[:])
	body := make([]byte, 0, 96)
	body = append(body, `{"websocket":`...)
	body = strconv.AppendBool(body, h.served.has(TransportWebsocket))
	body = append(body, `,"cookie_needed":`...)
	body = strconv.AppendBool(body, h.opts.CookieNeeded)
	body = append(body, `,"origins":["*:*"],"entropy":`...)
	body = strconv.AppendUint(body, uint64(binary.BigEndian.Uint32(b[:])), 10)
	body = append(body, '}')

	hdr := w.Header()
	hdr.Set("Content-Type", contentJSON)
	setNoCache(hdr)
	setCORS(hdr, r)
	w.Write(body)
}

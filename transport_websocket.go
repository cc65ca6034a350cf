package sockjs

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gosockjs/sockjs/internal/frame"
	"github.com/gosockjs/sockjs/internal/hixie76"
)

// websocketTransport is GET .../websocket: SockJS frames over a websocket.
// A websocket session has no place in the session registry's id space: it
// lives and ends with its socket.
var websocketTransport = transport{name: "websocket", id: TransportWebsocket, uses: setOf(TransportWebsocket), kind: websocketKind,
	method: get, allow: "GET", provesOrigin: true,
	serve: func(h *Handler, w http.ResponseWriter, r *http.Request, _ string, _ *transport) {
		h.serveWebsocket(w, r, false)
	}}

// rawWebsocket serves GET <prefix>/websocket: one message per websocket
// frame, with no SockJS framing.
func (h *Handler) rawWebsocket(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, "GET")
		return
	}
	if !h.originAllowed(w, r, true) {
		return
	}
	h.serveWebsocket(w, r, true)
}

func (h *Handler) serveWebsocket(w http.ResponseWriter, r *http.Request, raw bool) {
	id := TransportWebsocket
	if raw {
		id = TransportWebsocketRaw
	}
	if !h.served.has(id) {
		http.NotFound(w, r)
		return
	}
	identity, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	s := h.newSession("", id, r, raw, identity)
	if !h.sessions.addAnon(s, h.opts.MaxSessions, h.closing) {
		h.unavailable(w)
		return
	}
	c, ok := h.upgrader.upgrade(w, r, raw && h.opts.BinaryMessages)
	if !ok {
		h.sessions.remove(s)
		h.sessions.release()
		return
	}
	h.sessions.hold()
	sc := &socket{c: c, raw: raw}
	sc.p = &pump{s: s, conn: sc}
	s.attach(sc.p)
	sc.p.hold()
	s.start()
	sc.p.release()
	// The handler's goroutine carries net/http's deep stack; a fresh one
	// reads the socket on a small stack that the runtime can keep small
	// while the session idles.
	go sc.readLoop(h)
}

// socket is the websocket of a session. It has no writing goroutine of its
// own: its reader writes what its callbacks queued, and its pump writes
// what other goroutines queued on short-lived ones.
type socket struct {
	c   wsConn
	p   *pump
	raw bool
}

// readLoop reads the websocket until it closes, handing the messages to
// the session, and then ends the session.
func (sc *socket) readLoop(h *Handler) {
	defer h.sessions.release()
	c, s := sc.c, sc.p.s
	defer c.close()
	var msgs []string
	var deadlineSet time.Time
	for {
		// The read deadline only finds dead peers, so it moves at most once
		// a second rather than once a message.
		if now := time.Now(); h.upgrader.readTimeout > 0 && now.Sub(deadlineSet) > time.Second {
			c.extendReadDeadline(now.Add(h.upgrader.readTimeout))
			deadlineSet = now
		}
		p, binary, err := c.readMessage()
		if err == nil {
			msgs, err = sc.decode(msgs[:0], p)
		}
		if err != nil {
			code, reason, reply := closeCause(err)
			if reply {
				c.writeClose(code, reason)
			}
			s.detach(sc.p, code, reason)
			return
		}
		if len(msgs) == 0 {
			continue
		}
		h.stats.bytesIn.Add(uint64(msgBytes(msgs)))
		sc.p.hold()
		s.receive(msgs, binary)
		sc.p.release()
	}
}

// errBrokenJSON is returned by socket.decode for a SockJS websocket
// message that is not a JSON string or array of strings.
var errBrokenJSON = errors.New("sockjs: broken JSON encoding")

// decode appends the messages that websocket message p carries to dst: p
// itself on the raw endpoint, the strings of its JSON for SockJS, where an
// empty message carries none.
func (sc *socket) decode(dst []string, p []byte) ([]string, error) {
	if sc.raw {
		return append(dst, string(p)), nil
	}
	if len(p) == 0 {
		return dst, nil
	}
	msgs, err := frame.DecodeMessages(dst, p)
	if err != nil {
		return dst, errBrokenJSON
	}
	return msgs, nil
}

// closeCause returns the close code and reason that the read error err
// ends a websocket session with, and whether the server must send them to
// the client in a close frame of its own.
func closeCause(err error) (code int, reason string, reply bool) {
	var ce *websocket.CloseError
	switch {
	case errors.Is(err, errInvalidUTF8):
		return CloseInvalidUTF8, reasonInvalidUTF8, true // RFC 6455 8.1
	case errors.Is(err, errBrokenJSON):
		return CloseBrokenJSON, reasonBrokenJSON, true
	case errors.Is(err, websocket.ErrReadLimit), errors.Is(err, hixie76.ErrReadLimit):
		return CloseTooBig, reasonTooBig, false // gorilla replies itself
	case errors.As(err, &ce) && ce.Code == websocket.CloseNoStatusReceived, errors.Is(err, io.EOF):
		return CloseNormal, reasonNormal, false // a close frame without a code; hixie-76's closing frame
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
		return ce.Code, ce.Text, false // gorilla echoes the client's close
	}
	return CloseInterrupted, reasonInterrupted, false
}

// write writes one frame as a text message. The close frame goes out as
// the session's close frame (for SockJS) and a websocket close with the
// same code, after which the client has closeGrace to answer before the
// reader drops the connection.
func (sc *socket) write(p []byte, k frameKind) error {
	if k != lastFrame {
		return sc.c.writeMessage(p, k == binaryFrame)
	}
	if !sc.raw {
		if err := sc.c.writeMessage(p, false); err != nil {
			return err
		}
	}
	code, reason := sc.p.s.closeStatus()
	if !validCloseCode(code) {
		code, reason = websocket.CloseNormalClosure, ""
	}
	sc.c.writeClose(code, reason)
	sc.c.closing()
	return nil
}

// finish drops a socket that a write failed on; the reader then ends the
// session.
func (sc *socket) finish(err error) {
	if err != nil {
		sc.c.close()
	}
}

// ping probes the peer; called by the heartbeat timer, outside any lock.
func (sc *socket) ping() {
	if sc.c.ping() != nil {
		sc.c.close()
	}
}

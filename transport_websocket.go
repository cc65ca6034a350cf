package sockjs

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/gosockjs/sockjs/internal/frame"
	"github.com/gosockjs/sockjs/internal/hixie76"
)

// errInvalidUTF8 is returned by wsConn.readMessage for a text message that
// is not valid UTF-8, which fails the connection with 1007.
var errInvalidUTF8 = errors.New("sockjs: invalid UTF-8 in websocket text message")

// reasonInvalidUTF8 is the reason of the close that errInvalidUTF8 causes.
const reasonInvalidUTF8 = "Invalid UTF-8 in text frame"

// closeGrace is how long the server waits for the client's reply to its
// websocket close frame before it drops the connection.
const closeGrace = time.Second

// wsConn is a websocket connection of either protocol version: RFC 6455
// (gorilla) or the hixie-76 draft that old proxies still speak.
type wsConn interface {
	// readMessage returns the next data message, or errInvalidUTF8 for
	// one that is not valid UTF-8.
	readMessage() ([]byte, error)
	writeMessage(p []byte) error
	writeClose(code int, reason string) error
	ping() error
	// extendReadDeadline moves the read deadline to t, unless the
	// connection is closing; closing gives the peer closeGrace to answer.
	extendReadDeadline(t time.Time)
	closing()
	close()
}

// wsUpgrader turns requests into websocket connections.
type wsUpgrader struct {
	u            websocket.Upgrader
	writeTimeout time.Duration
	readTimeout  time.Duration
	readLimit    int64
}

func newWSUpgrader(h *Handler) wsUpgrader {
	return wsUpgrader{
		u: websocket.Upgrader{
			// The handler applied its origin policy before upgrading.
			CheckOrigin:     func(*http.Request) bool { return true },
			WriteBufferPool: &sync.Pool{},
			ReadBufferSize:  1024,
		},
		writeTimeout: h.opts.WriteTimeout,
		readTimeout:  h.opts.HeartbeatDelay + h.opts.PongTimeout,
		readLimit:    int64(h.opts.MaxMessageSize),
	}
}

// upgrade checks that r asks for a websocket and upgrades it. It answers
// the request itself when that fails.
func (u *wsUpgrader) upgrade(w http.ResponseWriter, r *http.Request) (wsConn, bool) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		fail(w, http.StatusBadRequest, `Can "Upgrade" only to "WebSocket".`)
		return nil, false
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		fail(w, http.StatusBadRequest, "Not a valid websocket request")
		return nil, false
	}
	if hixie76.IsRequest(r) {
		c, err := hixie76.Upgrade(w, r)
		if err != nil {
			return nil, false
		}
		c.SetReadLimit(u.readLimit)
		x := &hixieConn{c: c, timeout: u.writeTimeout}
		x.rd.set = c.SetReadDeadline
		return x, true
	}
	c, err := u.u.Upgrade(w, r, nil)
	if err != nil {
		return nil, false // gorilla answered the request
	}
	c.SetReadLimit(u.readLimit)
	gc := &gorillaConn{c: c, writeTimeout: u.writeTimeout}
	gc.rd.set = c.SetReadDeadline
	c.SetPongHandler(func(string) error {
		gc.rd.extend(time.Now().Add(u.readTimeout))
		return nil
	})
	return gc, true
}

// headerHasToken reports whether a comma-separated header lists token.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// websocketTransport is GET .../websocket: SockJS frames over a websocket.
// A websocket session has no place in the session registry's id space: it
// lives and ends with its socket.
var websocketTransport = transport{name: "websocket", kind: websocketKind,
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
	if h.opts.DisableWebsocket {
		http.NotFound(w, r)
		return
	}
	name := "websocket"
	if raw {
		name = "rawwebsocket"
	}
	s := h.newSession("", name, r, raw)
	if !h.sessions.addAnon(s, h.opts.MaxSessions, h.closing) {
		h.unavailable(w)
		return
	}
	c, ok := h.upgrader.upgrade(w, r)
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
		if now := time.Now(); now.Sub(deadlineSet) > time.Second {
			c.extendReadDeadline(now.Add(h.upgrader.readTimeout))
			deadlineSet = now
		}
		p, err := c.readMessage()
		if errors.Is(err, errInvalidUTF8) {
			// RFC 6455 section 8.1: fail the connection.
			c.writeClose(codeInvalidData, reasonInvalidUTF8)
			s.detach(sc.p, codeInvalidData, reasonInvalidUTF8)
			return
		}
		if err != nil {
			break
		}
		if sc.raw {
			msgs = append(msgs[:0], string(p))
		} else {
			if len(p) == 0 {
				continue
			}
			msgs, err = frame.DecodeMessages(msgs[:0], p)
			if err != nil {
				c.writeClose(websocket.CloseUnsupportedData, "Broken JSON encoding.")
				break
			}
		}
		h.stats.bytesIn.Add(uint64(msgBytes(msgs)))
		sc.p.hold()
		s.receive(msgs)
		sc.p.release()
	}
	s.detach(sc.p, 0, "")
}

// write writes one frame as a text message. The close frame goes out as
// the session's close frame (for SockJS) and a websocket close with the
// same code, after which the client has closeGrace to answer before the
// reader drops the connection.
func (sc *socket) write(p []byte, last bool) error {
	if !last {
		return sc.c.writeMessage(p)
	}
	if !sc.raw {
		if err := sc.c.writeMessage(p); err != nil {
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

// validCloseCode reports whether code may be sent in a websocket close frame.
func validCloseCode(code int) bool {
	switch {
	case code >= 3000 && code <= 4999:
		return true
	case code == 1000, code == 1001, code == 1002, code == 1003, code == 1007,
		code == 1008, code == 1009, code == 1010, code == 1011, code == 1012, code == 1013:
		return true
	}
	return false
}

// readDeadline moves a connection's read deadline from two goroutines: the
// reader extends it while the peer lives, the closer shortens it once. A
// shortened deadline is never undone: the reader re-checks after extending.
type readDeadline struct {
	set       func(time.Time) error
	isClosing atomic.Bool
}

func (d *readDeadline) extend(t time.Time) {
	d.set(t)
	if d.isClosing.Load() {
		d.set(time.Now().Add(closeGrace))
	}
}

func (d *readDeadline) close() {
	d.isClosing.Store(true)
	d.set(time.Now().Add(closeGrace))
}

// gorillaConn is an RFC 6455 websocket.
type gorillaConn struct {
	c            *websocket.Conn
	writeTimeout time.Duration
	rd           readDeadline
	buf          []byte    // the last message read; reused by the next read
	wdl          time.Time // the write deadline set; only the one writer touches it
}

// readMessage returns the next data message. The slice is valid until the
// next call.
func (g *gorillaConn) readMessage() ([]byte, error) {
	for {
		t, r, err := g.c.NextReader()
		if err != nil {
			return nil, err
		}
		if t != websocket.TextMessage && t != websocket.BinaryMessage {
			continue
		}
		g.buf = g.buf[:0]
		for {
			if len(g.buf) == cap(g.buf) {
				g.buf = append(g.buf, 0)[:len(g.buf)]
			}
			n, err := r.Read(g.buf[len(g.buf):cap(g.buf)])
			g.buf = g.buf[:len(g.buf)+n]
			if err == io.EOF {
				p := g.buf
				if cap(g.buf) > 64<<10 {
					g.buf = nil // do not pin a large message's buffer
				}
				// Fragments may split a character: check the whole message.
				if !utf8.Valid(p) {
					return nil, errInvalidUTF8
				}
				return p, nil
			}
			if err != nil {
				return nil, err
			}
		}
	}
}

// writeMessage writes p as one text message. The write deadline moves only
// when less than half the timeout is left, sparing a timer update per
// message.
func (g *gorillaConn) writeMessage(p []byte) error {
	if now := time.Now(); g.wdl.Sub(now) < g.writeTimeout/2 {
		g.wdl = now.Add(g.writeTimeout)
		g.c.SetWriteDeadline(g.wdl)
	}
	return g.c.WriteMessage(websocket.TextMessage, p)
}

func (g *gorillaConn) writeClose(code int, reason string) error {
	msg := websocket.FormatCloseMessage(code, reason)
	return g.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(g.writeTimeout))
}

func (g *gorillaConn) ping() error {
	return g.c.WriteControl(websocket.PingMessage, nil, time.Now().Add(g.writeTimeout))
}

func (g *gorillaConn) extendReadDeadline(t time.Time) { g.rd.extend(t) }
func (g *gorillaConn) closing()                       { g.rd.close() }
func (g *gorillaConn) close()                         { g.c.Close() }

// hixieConn is a hixie-76 websocket.
type hixieConn struct {
	c       *hixie76.Conn
	rd      readDeadline
	timeout time.Duration
}

func (x *hixieConn) readMessage() ([]byte, error) {
	m, err := x.c.ReadMessage()
	if errors.Is(err, hixie76.ErrInvalidUTF8) {
		return nil, errInvalidUTF8
	}
	return []byte(m), err
}

func (x *hixieConn) writeMessage(p []byte) error {
	x.c.SetWriteDeadline(time.Now().Add(x.timeout))
	return x.c.WriteMessage(string(p))
}

func (x *hixieConn) writeClose(int, string) error {
	x.c.SetWriteDeadline(time.Now().Add(x.timeout))
	return x.c.WriteClose()
}

func (x *hixieConn) ping() error                    { return nil }
func (x *hixieConn) extendReadDeadline(t time.Time) { x.rd.extend(t) }
func (x *hixieConn) closing()                       { x.rd.close() }
func (x *hixieConn) close()                         { x.c.Close() }

package sockjs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/gosockjs/sockjs/internal/hixie76"
)

// This file adapts the two websocket protocols to what a session's socket
// needs: RFC 6455 through gorilla/websocket, and the hixie-76 draft that
// old proxies still speak.

// errInvalidUTF8 is returned by wsConn.readMessage for a text message that
// is not valid UTF-8, which fails the connection with 1007.
var errInvalidUTF8 = errors.New("sockjs: invalid UTF-8 in websocket text message")

// closeGrace is how long the server waits for the client's reply to its
// websocket close frame before it drops the connection.
const closeGrace = time.Second

// wsConn is a websocket connection of either protocol version.
type wsConn interface {
	// readMessage returns the next data message, valid until the next
	// call, and whether it came as binary; errInvalidUTF8 for one that
	// must be text and is not valid UTF-8.
	readMessage() (p []byte, binary bool, err error)
	writeMessage(p []byte, binary bool) error
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
	h            *Handler
	u            websocket.Upgrader
	writeTimeout time.Duration
	readTimeout  time.Duration // 0: no read deadline, with heartbeats off
	readLimit    int64
	level        int // of compression, when negotiated
}

func newWSUpgrader(h *Handler) wsUpgrader {
	u := wsUpgrader{
		h: h,
		u: websocket.Upgrader{
			// The handler applied its origin policy before upgrading.
			CheckOrigin:       func(*http.Request) bool { return true },
			ReadBufferSize:    h.opts.WebsocketReadBufferSize,
			WriteBufferSize:   h.opts.WebsocketWriteBufferSize,
			WriteBufferPool:   &sync.Pool{},
			EnableCompression: h.opts.Compression,
		},
		writeTimeout: h.opts.WriteTimeout,
		readLimit:    int64(h.opts.MaxMessageSize),
		level:        h.opts.CompressionLevel,
	}
	if !h.opts.DisableHeartbeats {
		u.readTimeout = h.opts.HeartbeatDelay + h.opts.PongTimeout
	}
	return u
}

// upgrade checks that r asks for a websocket and upgrades it. binary lets
// binary messages through as such. It answers the request itself when that
// fails.
func (u *wsUpgrader) upgrade(w http.ResponseWriter, r *http.Request, binary bool) (wsConn, bool) {
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
			u.upgradeFailed(r, err)
			return nil, false
		}
		c.SetReadLimit(u.readLimit)
		x := &hixieConn{c: c, timeout: u.writeTimeout}
		x.rd.set = c.SetReadDeadline
		return x, true
	}
	c, err := u.u.Upgrade(w, r, nil)
	if err != nil {
		u.upgradeFailed(r, err) // gorilla answered the request
		return nil, false
	}
	c.SetReadLimit(u.readLimit)
	if u.u.EnableCompression {
		c.SetCompressionLevel(u.level)
	}
	gc := &gorillaConn{c: c, writeTimeout: u.writeTimeout, binary: binary}
	gc.rd.set = c.SetReadDeadline
	if u.readTimeout > 0 {
		c.SetPongHandler(func(string) error {
			gc.rd.extend(time.Now().Add(u.readTimeout))
			return nil
		})
	}
	return gc, true
}

// upgradeFailed logs an upgrade that failed after the request passed the
// handler's checks.
func (u *wsUpgrader) upgradeFailed(r *http.Request, err error) {
	u.h.logger.LogAttrs(context.Background(), slog.LevelWarn, "sockjs: websocket upgrade failed",
		slog.String("prefix", u.h.prefix), slog.String("remote", r.RemoteAddr), slog.String("error", err.Error()))
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
	binary       bool // binary messages are let through as such
	rd           readDeadline
	buf          []byte    // the last message read; reused by the next read
	wdl          time.Time // the write deadline set; only the one writer touches it
}

func (g *gorillaConn) readMessage() ([]byte, bool, error) {
	for {
		t, r, err := g.c.NextReader()
		if err != nil {
			return nil, false, err
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
				binary := g.binary && t == websocket.BinaryMessage
				// Fragments may split a character: check the whole message.
				if !binary && !utf8.Valid(p) {
					return nil, false, errInvalidUTF8
				}
				return p, binary, nil
			}
			if err != nil {
				return nil, false, err
			}
		}
	}
}

// writeMessage writes p as one message. The write deadline moves only when
// less than half the timeout is left, sparing a timer update per message.
func (g *gorillaConn) writeMessage(p []byte, binary bool) error {
	if now := time.Now(); g.wdl.Sub(now) < g.writeTimeout/2 {
		g.wdl = now.Add(g.writeTimeout)
		g.c.SetWriteDeadline(g.wdl)
	}
	t := websocket.TextMessage
	if binary {
		t = websocket.BinaryMessage
	}
	return g.c.WriteMessage(t, p)
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

// hixieConn is a hixie-76 websocket, which carries text only.
type hixieConn struct {
	c       *hixie76.Conn
	rd      readDeadline
	timeout time.Duration
}

func (x *hixieConn) readMessage() ([]byte, bool, error) {
	m, err := x.c.ReadMessage()
	if errors.Is(err, hixie76.ErrInvalidUTF8) {
		return nil, false, errInvalidUTF8
	}
	return []byte(m), false, err
}

func (x *hixieConn) writeMessage(p []byte, _ bool) error {
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

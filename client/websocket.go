package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/gosockjs/sockjs/internal/frame"
)

// closeWait bounds how long Close waits for the server's WebSocket close
// frame.
const closeWait = time.Second

// wsTransport is the websocket transport, or with raw set the raw websocket
// endpoint.
type wsTransport struct {
	ws       *websocket.Conn
	raw      bool
	idle     time.Duration
	write    time.Duration
	maxFrame int
	done     <-chan struct{} // the Conn's
	wbuf     []byte          // the frame being sent; under the Conn's sem
	rbuf     []byte          // the message being read; reader only

	closeOnce sync.Once
}

func newWSTransport(ws *websocket.Conn, raw bool, d *Dialer) *wsTransport {
	w := &wsTransport{
		ws:       ws,
		raw:      raw,
		idle:     d.idleTimeout(),
		write:    d.writeTimeout(),
		maxFrame: d.maxFrameSize(),
	}
	ws.SetReadLimit(int64(w.maxFrame))
	ws.SetPingHandler(w.ping)
	return w
}

// ping answers a WebSocket ping, which also proves the server alive.
func (w *wsTransport) ping(data string) error {
	w.extend()
	err := w.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(w.write))
	var ne net.Error
	if errors.Is(err, websocket.ErrCloseSent) || errors.As(err, &ne) && ne.Timeout() {
		return nil // as gorilla's default handler: the reader will see why
	}
	return err
}

// extend pushes the read deadline IdleTimeout into the future.
func (w *wsTransport) extend() {
	if w.idle > 0 {
		w.ws.SetReadDeadline(time.Now().Add(w.idle))
	}
}

func (w *wsTransport) run(c *Conn) error {
	for {
		w.extend()
		typ, r, err := w.ws.NextReader()
		if err != nil {
			return w.readError(err)
		}
		if typ != websocket.TextMessage && !w.raw {
			return protocolError("binary WebSocket message")
		}
		w.rbuf, err = readAll(w.rbuf[:0], r)
		if err != nil {
			return w.readError(err)
		}
		if typ == websocket.TextMessage && !utf8.Valid(w.rbuf) {
			// A browser fails the WebSocket (RFC 6455 8.1).
			return protocolError("WebSocket text message that is not UTF-8")
		}
		if !w.raw {
			if err := c.frame(w.rbuf); err != nil {
				return err
			}
			continue
		}
		if c.onFrame != nil {
			c.onFrame(Frame{Data: w.rbuf})
		}
		if err := c.deliver(string(w.rbuf)); err != nil {
			return err
		}
	}
}

// readAll appends what r holds to b.
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// readError turns an error of the WebSocket's reader into the Conn's.
func (w *wsTransport) readError(err error) error {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce) && ce.Code == websocket.CloseAbnormalClosure:
		return fmt.Errorf("client: websocket ended without a close frame: %w", io.ErrUnexpectedEOF)
	case errors.As(err, &ce):
		return &CloseError{Code: ce.Code, Reason: ce.Text}
	case errors.Is(err, websocket.ErrReadLimit):
		return protocolError("WebSocket message over %d bytes", w.maxFrame)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		// gorilla/websocket hides the error's chain.
		return fmt.Errorf("client: websocket silent for %v: %w", w.idle, os.ErrDeadlineExceeded)
	}
	return fmt.Errorf("client: websocket: %w", err)
}

func (w *wsTransport) send(ctx context.Context, msg string) error {
	if w.raw {
		w.wbuf = append(w.wbuf[:0], frame.ToValidUTF8(msg)...)
	} else {
		w.wbuf = append(w.wbuf[:0], '[')
		w.wbuf = frame.AppendString(w.wbuf, msg)
		w.wbuf = append(w.wbuf, ']')
	}
	deadline := time.Now().Add(w.write)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	w.ws.SetWriteDeadline(deadline)
	if err := w.ws.WriteMessage(websocket.TextMessage, w.wbuf); err != nil {
		return fmt.Errorf("client: websocket: %w", err)
	}
	return nil
}

func (w *wsTransport) close(code int, reason string) {
	w.closeOnce.Do(func() {
		msg := websocket.FormatCloseMessage(code, reason)
		if w.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait)) != nil {
			return
		}
		t := time.NewTimer(closeWait)
		defer t.Stop()
		select {
		case <-w.done:
		case <-t.C:
		}
	})
}

func (w *wsTransport) abort() { w.ws.Close() }

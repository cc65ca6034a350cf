package sockjs

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// streamConn is a streaming response (xhr_streaming, eventsource,
// htmlfile) on a connection taken over from net/http. No goroutine stays
// busy while its session idles: its pump writes frames on short-lived
// goroutines, and one small goroutine waits for the client to hang up.
type streamConn struct {
	h       *Handler
	p       *pump
	conn    net.Conn
	chunked bool // HTTP/1.1 chunked framing; HTTP/1.0 responses end with the connection
	end     sync.Once
}

// serveStream serves a streaming response on the hijacked connection. It
// returns false, having written nothing, when w cannot be hijacked (HTTP/2,
// or a wrapper that hides the connection); the caller then serves the
// response through net/http.
func (h *Handler) serveStream(w http.ResponseWriter, r *http.Request, s *session, created bool,
	prelude []byte, encode encodeFunc) bool {
	if r.ProtoMajor != 1 {
		return false
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	brw.Reader.Reset(nil) // the connection ends with this response

	c := &streamConn{h: h, conn: conn, chunked: r.ProtoMinor >= 1}
	c.p = &pump{s: s, conn: c, encode: encode, limit: h.opts.ResponseLimit}
	h.sessions.hold()
	head := c.head(w.Header(), r.ProtoMinor)
	head = c.chunk(head, prelude)
	if c.writeRaw(head) != nil {
		c.close(false, true)
		s.abandon(created)
		return true
	}
	if s.join(c.p, created) == busy {
		c.write(encode(nil, frameAnotherConn), lastFrame)
		c.close(false, false)
		return true
	}
	go c.watch()
	return true
}

// head renders the status line and headers of the response.
func (c *streamConn) head(hdr http.Header, minor int) []byte {
	var b bytes.Buffer
	if minor >= 1 {
		b.WriteString("HTTP/1.1 200 OK\r\n")
		hdr.Set("Transfer-Encoding", "chunked")
	} else {
		b.WriteString("HTTP/1.0 200 OK\r\n")
	}
	hdr.Set("Connection", "close")
	hdr.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	hdr.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}

// chunk appends p to dst in the response's framing.
func (c *streamConn) chunk(dst, p []byte) []byte {
	if !c.chunked {
		return append(dst, p...)
	}
	dst = strconv.AppendInt(dst, int64(len(p)), 16)
	dst = append(dst, '\r', '\n')
	dst = append(dst, p...)
	return append(dst, '\r', '\n')
}

// write writes one frame as one chunk.
func (c *streamConn) write(p []byte, _ frameKind) error {
	b := getBuf()
	defer putBuf(b)
	*b = c.chunk((*b)[:0], p)
	return c.writeRaw(*b)
}

// writeRaw writes p within the write timeout.
func (c *streamConn) writeRaw(p []byte) error {
	c.conn.SetWriteDeadline(time.Now().Add(c.h.opts.WriteTimeout))
	_, err := c.conn.Write(p)
	return err
}

// finish ends the response once its pump is done with it.
func (c *streamConn) finish(err error) { c.close(true, err != nil) }

// watch waits for the client to hang up, which no write may reveal for a
// long time.
func (c *streamConn) watch() {
	var b [1]byte
	for {
		if _, err := c.conn.Read(b[:]); err != nil {
			c.close(true, true)
			return
		}
		// A client that sends more is pipelining, which ends with the
		// stream: discard it.
	}
}

// close ends the response once: it detaches its pump from the session (an
// aborted response closes the session), ends the chunked body, and closes
// the connection.
func (c *streamConn) close(attached, aborted bool) {
	c.end.Do(func() {
		if attached {
			if aborted {
				c.p.s.detach(c.p, CloseInterrupted, reasonInterrupted)
			} else {
				c.p.s.detach(c.p, 0, "")
			}
		}
		if c.chunked && !aborted {
			c.writeRaw([]byte("0\r\n\r\n"))
		}
		c.conn.Close()
		c.h.sessions.release()
	})
}

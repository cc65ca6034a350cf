package sockjs

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// streamReceiver carries a session's frames over a streaming response
// (xhr_streaming, eventsource, htmlfile) on a connection taken over from
// net/http. It keeps no goroutine busy while the session idles: frames are
// written by a short-lived goroutine when they become pending, and one small
// goroutine waits for the client to hang up.
type streamReceiver struct {
	h       *Handler
	s       *session
	conn    net.Conn
	encode  encodeFunc
	chunked bool // HTTP/1.1 chunked framing; HTTP/1.0 responses end with the connection
	end     sync.Once

	// Guarded by s.mu.
	flushing bool
	sent     int
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

	rcv := &streamReceiver{h: h, s: s, conn: conn, encode: encode, chunked: r.ProtoMinor >= 1}
	h.sessions.hold()
	head := rcv.head(w.Header(), r.ProtoMinor)
	head = rcv.chunk(head, prelude)
	if rcv.write(head) != nil {
		rcv.finish(false, true)
		s.abandon(created)
		return true
	}
	if s.join(rcv, created) == busy {
		rcv.write(rcv.chunk(nil, encode(nil, frameAnotherConn)))
		rcv.finish(false, false)
		return true
	}
	go rcv.watch()
	return true
}

// head renders the status line and headers of the response.
func (rcv *streamReceiver) head(hdr http.Header, minor int) []byte {
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
func (rcv *streamReceiver) chunk(dst, p []byte) []byte {
	if !rcv.chunked {
		return append(dst, p...)
	}
	dst = strconv.AppendInt(dst, int64(len(p)), 16)
	dst = append(dst, '\r', '\n')
	dst = append(dst, p...)
	return append(dst, '\r', '\n')
}

// write writes p within the write timeout.
func (rcv *streamReceiver) write(p []byte) error {
	rcv.conn.SetWriteDeadline(time.Now().Add(rcv.h.opts.WriteTimeout))
	_, err := rcv.conn.Write(p)
	return err
}

// wake starts a writer unless one runs. Called with s.mu held.
func (rcv *streamReceiver) wake() {
	if !rcv.flushing {
		rcv.flushing = true
		go rcv.flush()
	}
}

// flush writes pending frames, each as one chunk, until none is left or the
// response is done.
func (rcv *streamReceiver) flush() {
	s := rcv.s
	fb, eb, ob := getBuf(), getBuf(), getBuf()
	defer putBuf(fb)
	defer putBuf(eb)
	defer putBuf(ob)
	for {
		s.mu.Lock()
		if s.rcv != rcv { // detached: the client went away
			s.mu.Unlock()
			return
		}
		f, last := s.nextLocked((*fb)[:0])
		if f == nil {
			rcv.flushing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		*fb = f
		*eb = rcv.encode((*eb)[:0], f)
		*ob = rcv.chunk((*ob)[:0], *eb)
		if err := rcv.write(*ob); err != nil {
			rcv.finish(true, true)
			return
		}
		s.mu.Lock()
		rcv.sent += len(*eb)
		done := last || rcv.sent >= rcv.h.opts.ResponseLimit
		s.mu.Unlock()
		if done {
			rcv.finish(true, false)
			return
		}
	}
}

// watch waits for the client to hang up, which no write may reveal for a
// long time.
func (rcv *streamReceiver) watch() {
	var b [1]byte
	for {
		if _, err := rcv.conn.Read(b[:]); err != nil {
			rcv.finish(true, true)
			return
		}
		// A client that sends more is pipelining, which ends with the
		// stream: discard it.
	}
}

// finish ends the response once: it detaches from the session (an aborted
// response closes it), ends the chunked body, and closes the connection.
func (rcv *streamReceiver) finish(attached, aborted bool) {
	rcv.end.Do(func() {
		if attached {
			rcv.s.detach(rcv, aborted)
		}
		if rcv.chunked && !aborted {
			rcv.write([]byte("0\r\n\r\n"))
		}
		rcv.conn.Close()
		rcv.h.sessions.release()
	})
}

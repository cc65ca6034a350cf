package sockjs

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// encodeFunc appends one frame in a transport's wire format to dst.
type encodeFunc func(dst, frame []byte) []byte

// A frameConn is the connection end of a receiver: a polling or streaming
// response, or a websocket.
type frameConn interface {
	// write writes one frame, already in the transport's format.
	write(p []byte, k frameKind) error
	// finish is called once the pump is done with the connection, when
	// it ran on a goroutine of its own; err is the write error that ended
	// it, if any.
	finish(err error)
}

// pinger is a connection that can probe its peer, as websockets do; the
// heartbeat timer pings it.
type pinger interface {
	ping()
}

// pump is the one loop that moves a session's frames to the connection of
// its receiver, for every transport. It is the session's receiver while
// attached. A pump either has a goroutine that waits for its frames (a
// polling response, or a streaming one served through net/http), or none:
// a wake then starts a short-lived goroutine that writes what is pending,
// so that an idle session keeps no goroutine busy.
type pump struct {
	s      *session
	conn   frameConn
	encode encodeFunc
	limit  int           // bytes after which the connection is done; 0: no limit
	once   bool          // the connection carries one frame (polling)
	wakec  chan struct{} // the waiting goroutine's wake-up, or nil
	sent   int           // bytes written; touched only by the goroutine in flush

	// Guarded by s.mu.
	running bool // a goroutine is in flush, or the pump is done
	held    bool // the connection's own goroutine flushes once it is free
	owed    bool // output became pending while held
}

// wake makes the pump write what is pending. Called with s.mu held.
func (p *pump) wake() {
	switch {
	case p.wakec != nil:
		select {
		case p.wakec <- struct{}{}:
		default:
		}
	case p.running:
	case p.held:
		p.owed = true
	default:
		p.running = true
		go p.run()
	}
}

// run flushes on a goroutine of its own and, when the connection is done
// with, finishes it.
func (p *pump) run() {
	if done, err := p.flush(); done {
		p.conn.finish(err)
	}
}

// flush writes pending frames until none is left, reporting false, or
// until the connection is done with, reporting true and the write error if
// one ended it. A done pump stays running: nothing more goes out.
func (p *pump) flush() (done bool, err error) {
	s := p.s
	fb, ob := getBuf(), getBuf()
	defer putBuf(fb)
	defer putBuf(ob)
	for {
		s.mu.Lock()
		if s.rcv != p { // detached: the client went away
			s.mu.Unlock()
			return false, nil
		}
		f, k := s.nextLocked((*fb)[:0])
		if f == nil {
			p.running = false
			s.mu.Unlock()
			return false, nil
		}
		s.mu.Unlock()
		*fb = f
		if p.encode != nil {
			*ob = p.encode((*ob)[:0], f)
			f = *ob
		}
		if err := p.conn.write(f, k); err != nil {
			s.logWriteFailure(err)
			return true, err
		}
		p.sent += len(f)
		if k == lastFrame || p.once || (p.limit > 0 && p.sent >= p.limit) {
			return true, nil
		}
	}
}

// hold defers the pump's writes while the connection's own goroutine runs
// callbacks (a websocket's reader), so that what they queue goes out in one
// flush when it calls release, on that goroutine.
func (p *pump) hold() {
	p.s.mu.Lock()
	p.held = true
	p.s.mu.Unlock()
}

func (p *pump) release() {
	s := p.s
	s.mu.Lock()
	p.held = false
	start := p.owed && !p.running
	p.owed = false
	if start {
		p.running = true
	}
	s.mu.Unlock()
	if start {
		p.run()
	}
}

// serve runs the pump on the calling goroutine until the connection is done
// with or done is closed, and then detaches it.
func (p *pump) serve(done <-chan struct{}) {
	for {
		finished, err := p.flush()
		switch {
		case err != nil:
			p.s.detach(p, CloseInterrupted, reasonInterrupted)
			return
		case finished:
			p.s.detach(p, 0, "")
			return
		}
		select {
		case <-p.wakec:
		case <-done:
			p.s.detach(p, CloseInterrupted, reasonInterrupted)
			return
		}
	}
}

// serveReceiver serves a receiving request of an HTTP transport: it opens
// or finds session sid and carries its frames until the response is done.
// Streaming responses over HTTP/1.x leave net/http at once (see
// serveStream); the others, polling and HTTP/2, are served here on the
// request's goroutine.
func (h *Handler) serveReceiver(w http.ResponseWriter, r *http.Request, sid string, t *transport) {
	var cb string
	if t.callback {
		var ok bool
		if cb, ok = callbackParam(w, r); !ok {
			return
		}
	}
	s, created := h.openSession(w, r, sid, t.id)
	if s == nil {
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", t.contentType)
	setNoCache(hdr)
	setCORS(hdr, r)
	h.setCookie(hdr, r)
	encode := t.encoder(cb)
	var prelude []byte
	if t.prelude != nil {
		prelude = t.prelude(cb)
	}
	streaming := t.kind == streaming
	if streaming {
		hdr.Set(headerNoBuffer, "no")
		if h.serveStream(w, r, s, created, prelude, encode) {
			return
		}
	}
	h.sessions.hold()
	defer h.sessions.release()

	c := &httpConn{w: w, rc: http.NewResponseController(w), streaming: streaming, timeout: h.opts.WriteTimeout}
	p := &pump{s: s, conn: c, encode: encode, once: !streaming, wakec: make(chan struct{}, 1)}
	if streaming {
		p.limit = h.opts.ResponseLimit
	}
	if prelude != nil {
		w.WriteHeader(http.StatusOK)
		if c.write(prelude, textFrame) != nil {
			s.abandon(created)
			return
		}
	}
	if s.join(p, created) == busy {
		c.write(encode(nil, frameAnotherConn), lastFrame)
		return
	}
	p.serve(r.Context().Done())
}

// httpConn is a response written through net/http: a polling response,
// which carries one frame, or a streaming one on a connection that cannot
// be taken over (HTTP/2).
type httpConn struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	streaming bool
	timeout   time.Duration
}

// write writes p within the write timeout: a polling response in one write
// with a Content-Length when the handler returns, a streaming one as a
// chunk, flushed.
func (c *httpConn) write(p []byte, _ frameKind) error {
	c.rc.SetWriteDeadline(time.Now().Add(c.timeout))
	if !c.streaming {
		c.w.Header().Set("Content-Length", strconv.Itoa(len(p)))
	}
	if _, err := c.w.Write(p); err != nil {
		return err
	}
	if !c.streaming {
		return nil
	}
	return c.rc.Flush()
}

// finish is never called: the request's goroutine runs the pump.
func (c *httpConn) finish(error) {}

// bufPool holds the buffers that frames are assembled in.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// getBuf and putBuf lend the buffers that frames are assembled in.
func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

package sockjs

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// encodeFunc appends one frame in a transport's wire format to dst.
type encodeFunc func(dst, frame []byte) []byte

// httpReceiver carries a session's frames over one HTTP response: either a
// polling response, which takes one frame and ends, or a streaming response,
// which takes frames until it has carried ResponseLimit bytes.
type httpReceiver struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	encode    encodeFunc
	streaming bool
	wakec     chan struct{}
}

func (r *httpReceiver) wake() {
	select {
	case r.wakec <- struct{}{}:
	default:
	}
}

// bufPool holds the buffers that frames are assembled in.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// serveReceiver runs a receiving request of an HTTP transport: it opens or
// finds session sid, writes prelude (the opening bytes of a streaming
// response) and carries the session's frames, each put in the transport's
// format by encode, until the response is done. Streaming responses over
// HTTP/1.x leave net/http at once (see serveStream); the others, polling
// and HTTP/2, are served here on the request's goroutine.
func (h *Handler) serveReceiver(w http.ResponseWriter, r *http.Request, sid, name string,
	contentType string, streaming bool, prelude []byte, encode encodeFunc) {
	s, created := h.openSession(sid, name, r)
	if s == nil {
		h.unavailable(w)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", contentType)
	setNoCache(hdr)
	setCORS(hdr, r)
	h.setCookie(hdr, r)
	if streaming {
		hdr.Set(headerNoBuffer, "no")
		if h.serveStream(w, r, s, created, prelude, encode) {
			return
		}
	}
	h.sessions.hold()
	defer h.sessions.release()

	rcv := &httpReceiver{
		w:         w,
		rc:        http.NewResponseController(w),
		encode:    encode,
		streaming: streaming,
		wakec:     make(chan struct{}, 1),
	}
	fb, ob := getBuf(), getBuf()
	defer putBuf(fb)
	defer putBuf(ob)

	if prelude != nil {
		w.WriteHeader(http.StatusOK)
		if rcv.write(prelude, h.opts.WriteTimeout) != nil {
			s.abandon(created)
			return
		}
	}
	if s.join(rcv, created) == busy {
		*ob = encode((*ob)[:0], frameAnotherConn)
		rcv.write(*ob, h.opts.WriteTimeout)
		return
	}

	sent := 0
	done := r.Context().Done()
	for {
		f, last := s.next((*fb)[:0])
		if f == nil {
			select {
			case <-rcv.wakec:
				continue
			case <-done:
				s.detach(rcv, true)
				return
			}
		}
		*fb = f
		*ob = encode((*ob)[:0], f)
		if err := rcv.write(*ob, h.opts.WriteTimeout); err != nil {
			s.detach(rcv, true)
			return
		}
		sent += len(*ob)
		if last || !streaming || sent >= h.opts.ResponseLimit {
			s.detach(rcv, false)
			return
		}
	}
}

// getBuf and putBuf lend the buffers that frames are assembled in.
func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

// write writes p as one chunk and flushes it, within timeout.
// A polling response carries one frame: it goes out with a Content-Length in
// one write when the handler returns, rather than chunked and flushed.
func (r *httpReceiver) write(p []byte, timeout time.Duration) error {
	r.rc.SetWriteDeadline(time.Now().Add(timeout))
	if !r.streaming {
		r.w.Header().Set("Content-Length", strconv.Itoa(len(p)))
	}
	if _, err := r.w.Write(p); err != nil {
		return err
	}
	if !r.streaming {
		return nil
	}
	return r.rc.Flush()
}

// join attaches rcv to the session and, when the request created the
// session, starts it. A new session is started even when another request
// attached first, so that it gets its EventInit and, later, EventClosed.
func (s *session) join(rcv receiver, created bool) attachResult {
	res := s.attach(rcv)
	if created {
		s.start()
	}
	return res
}

// abandon ends a session that the request created when the request failed
// before it could attach: the session is started and at once closed, so
// that the callback sees it begin and end.
func (s *session) abandon(created bool) {
	if !created {
		return
	}
	s.start()
	s.mu.Lock()
	drain := s.closeLocked(codeInterrupted, "Connection interrupted")
	s.mu.Unlock()
	if drain {
		s.drain()
	}
}

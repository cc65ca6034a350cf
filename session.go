package sockjs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gosockjs/sockjs/internal/frame"
)

// Close codes the server sends on its own.
const (
	codeGoAway      = 3000 // default code of Conn.Close
	codeAnotherConn = 2010 // a second receiver for a busy session
	codeInterrupted = 1002 // the receiving connection went away
	codeServerError = 1011 // the callback panicked
	codeQueueFull   = 1013 // the outbound queue overflowed
	codeShutdown    = 1001 // the handler is shutting down
	codeInvalidData = 1007 // a websocket text message was not valid UTF-8
)

// Close frames for the cases where the server itself ends a request or session.
var (
	frameAnotherConn = frame.AppendClose(nil, codeAnotherConn, "Another connection still open")
)

// A receiver is the transport currently attached to a session to carry its
// frames to the client. The session calls wake, with its lock held, whenever
// output becomes pending; wake must not block. The receiver then pulls the
// frames with session.next and writes them, never under the session's lock.
type receiver interface {
	wake()
}

// session is the one state machine behind a Conn: it holds the outbound
// queue, the attached receiver, the heartbeat and disconnect timers, and
// delivers events to the callback in order, one at a time.
type session struct {
	h    *Handler
	id   string // registry key; empty for websocket sessions, which are not registered
	raw  bool   // raw websocket: messages go out unframed
	conn Conn   // what the callback sees
	call func(*Conn, Event)

	mu          sync.Mutex
	opened      bool   // EventInit handled: the open frame may go out
	closed      bool   // the close frame is pending or sent; EventClosed is queued
	openSent    bool   // the open frame was taken by a receiver
	pend        []byte // encoded messages waiting, comma separated
	rawq        []string
	rawBytes    int // bytes in rawq
	closeFrame  []byte
	closeCode   int
	closeReason string
	rcv         receiver
	rcvGone     chan struct{} // closed when rcv detaches, made by a waiting attach
	hbDue       bool
	hbTimer     *time.Timer
	dcTimer     *time.Timer
	detachedAt  time.Time
	events      []Event
	dispatching bool
	finished    bool // EventClosed delivered
	expired     bool // removed from the registry
	ctx         context.Context
	cancel      context.CancelFunc
}

// attachResult tells a receiver what attach decided.
type attachResult uint8

const (
	attached attachResult = iota // the receiver now carries the session
	busy                         // another receiver is attached: answer 2010
)

// attachGrace is how long a new receiver waits for an attached one to
// detach before it is refused. A client that aborts a request and at once
// opens another can reach the server before the abort is noticed; the grace
// keeps it from getting a spurious 2010.
const attachGrace = 100 * time.Millisecond

// attach makes rcv the session's receiver. If another receiver is attached
// and does not detach within attachGrace, it returns busy.
func (s *session) attach(rcv receiver) attachResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rcv != nil {
		if s.rcvGone == nil {
			s.rcvGone = make(chan struct{})
		}
		gone := s.rcvGone
		s.mu.Unlock()
		t := time.NewTimer(attachGrace)
		select {
		case <-gone:
		case <-t.C:
		}
		t.Stop()
		s.mu.Lock()
		if s.rcv != nil {
			return busy
		}
	}
	s.rcv = rcv
	if s.dcTimer != nil {
		s.dcTimer.Stop()
	}
	if !s.closed {
		d := s.h.opts.HeartbeatDelay
		if s.hbTimer == nil {
			s.hbTimer = time.AfterFunc(d, s.heartbeat)
		} else {
			s.hbTimer.Reset(d)
		}
	}
	if s.pendingLocked() {
		rcv.wake()
	}
	return attached
}

// detach ends rcv's turn as the session's receiver. An aborted receiver,
// one whose client went away, closes the session with 1002 "Connection
// interrupted"; otherwise the disconnect timer starts.
func (s *session) detach(rcv receiver, aborted bool) {
	if aborted {
		s.detachClosing(rcv, codeInterrupted, "Connection interrupted")
	} else {
		s.detachClosing(rcv, 0, "")
	}
}

// detachClosing ends rcv's turn as the session's receiver, and closes the
// session with code and reason unless code is 0.
func (s *session) detachClosing(rcv receiver, code int, reason string) {
	s.mu.Lock()
	if s.rcv != rcv {
		s.mu.Unlock()
		return
	}
	s.rcv = nil
	s.hbDue = false
	if s.rcvGone != nil {
		close(s.rcvGone)
		s.rcvGone = nil
	}
	if s.hbTimer != nil {
		s.hbTimer.Stop()
	}
	drain := false
	if code != 0 && !s.closed {
		drain = s.closeLocked(code, reason)
	}
	if s.id == "" {
		// A websocket session ends with its socket.
		if !s.closed {
			drain = s.closeLocked(codeInterrupted, "Connection interrupted")
		}
		s.expireLocked()
	} else {
		s.detachedAt = time.Now()
		d := s.h.opts.DisconnectDelay
		if s.dcTimer == nil {
			s.dcTimer = time.AfterFunc(d, s.disconnectTimeout)
		} else {
			s.dcTimer.Reset(d)
		}
	}
	s.mu.Unlock()
	if drain {
		s.drain()
	}
}

// disconnectTimeout runs when the disconnect timer fires: a session that has
// had no receiver for DisconnectDelay is closed and forgotten.
func (s *session) disconnectTimeout() {
	s.mu.Lock()
	if s.rcv != nil || s.expired {
		s.mu.Unlock()
		return
	}
	if left := s.h.opts.DisconnectDelay - time.Since(s.detachedAt); left > 0 {
		s.dcTimer.Reset(left) // re-armed by a later detach
		s.mu.Unlock()
		return
	}
	drain := false
	if !s.closed {
		drain = s.closeLocked(codeInterrupted, "Connection interrupted")
	}
	s.expireLocked()
	s.mu.Unlock()
	if drain {
		s.drain()
	}
}

// expireLocked removes the session from its handler.
func (s *session) expireLocked() {
	if s.expired {
		return
	}
	s.expired = true
	if s.hbTimer != nil {
		s.hbTimer.Stop()
	}
	s.pend, s.rawq, s.rawBytes = nil, nil, 0
	s.h.sessions.remove(s)
}

// heartbeat runs every HeartbeatDelay while a receiver is attached.
func (s *session) heartbeat() {
	s.mu.Lock()
	if s.rcv == nil || s.closed {
		s.mu.Unlock()
		return
	}
	s.hbDue = true
	s.rcv.wake()
	s.hbTimer.Reset(s.h.opts.HeartbeatDelay)
	p, _ := s.rcv.(pinger)
	s.mu.Unlock()
	if p != nil {
		p.ping()
	}
}

// pinger is a receiver that can probe its peer, as websockets do.
type pinger interface {
	ping()
}

// pendingLocked reports whether next would return a frame.
func (s *session) pendingLocked() bool {
	switch {
	case !s.opened:
		return false
	case !s.openSent, len(s.pend) > 0, len(s.rawq) > 0, s.closed, s.hbDue:
		return true
	}
	return false
}

// next appends the next frame to write to dst and returns it. It returns nil
// when nothing is pending. last reports that the frame is the close frame,
// after which the receiver must end.
func (s *session) next(dst []byte) (f []byte, last bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextLocked(dst)
}

func (s *session) nextLocked(dst []byte) (f []byte, last bool) {
	switch {
	case !s.opened:
		return nil, false
	case s.raw:
		return s.nextRawLocked(dst)
	case !s.openSent:
		s.openSent = true
		return append(dst, frame.Open...), false
	case len(s.pend) > 0:
		dst = append(dst, 'a', '[')
		dst = append(dst, s.pend...)
		dst = append(dst, ']')
		s.pend = recycle(s.pend)
		s.hbDue = false
		return dst, false
	case s.closed:
		return append(dst, s.closeFrame...), true
	case s.hbDue:
		s.hbDue = false
		return append(dst, frame.Heartbeat...), false
	}
	return nil, false
}

// nextRawLocked is nextLocked for raw websocket sessions, which carry one
// message per frame and no open or heartbeat frames.
func (s *session) nextRawLocked(dst []byte) (f []byte, last bool) {
	s.hbDue = false
	if len(s.rawq) > 0 {
		dst = append(dst, s.rawq[0]...)
		s.rawBytes -= len(s.rawq[0])
		s.rawq[0] = ""
		s.rawq = s.rawq[1:]
		if len(s.rawq) == 0 {
			s.rawq = nil
		}
		return dst, false
	}
	if s.closed {
		return dst, true
	}
	return nil, false
}

// recycle empties a buffer for reuse, dropping it when it grew large so that
// an idle session does not pin a burst's memory.
func recycle(b []byte) []byte {
	if cap(b) > 64<<10 {
		return nil
	}
	return b[:0]
}

// send queues msg for the client. enc is msg already encoded as a JSON
// string, as broadcasts pass it to encode once for every session, or nil.
func (s *session) send(msg string, enc []byte) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.raw {
		msg = frame.ToValidUTF8(msg) // a text frame must hold valid UTF-8
		s.rawq = append(s.rawq, msg)
		s.rawBytes += len(msg)
	} else {
		if len(s.pend) > 0 {
			s.pend = append(s.pend, ',')
		}
		if enc != nil {
			s.pend = append(s.pend, enc...)
		} else {
			s.pend = frame.AppendString(s.pend, msg)
		}
	}
	if n := len(s.pend) + s.rawBytes; n > s.h.opts.MaxQueuedBytes {
		s.pend, s.rawq, s.rawBytes = nil, nil, 0
		drain := s.closeLocked(codeQueueFull, "Outbound queue full")
		s.mu.Unlock()
		s.h.logger.LogAttrs(context.Background(), slog.LevelWarn, "sockjs: outbound queue full, session closed",
			slog.String("prefix", s.h.prefix), slog.String("conn", s.conn.ID()), slog.Int("queued", n))
		s.h.stats.queueOverflows.Add(1)
		if drain {
			go s.drain()
		}
		return ErrQueueFull
	}
	if s.rcv != nil {
		s.rcv.wake()
	}
	s.mu.Unlock()
	s.h.stats.messagesOut.Add(1)
	s.h.stats.bytesOut.Add(uint64(len(msg)))
	return nil
}

// closeLocked closes the session: it queues the close frame behind the
// pending messages and queues EventClosed. It reports whether the caller must
// see that the events get dispatched (see drainLater and drain).
func (s *session) closeLocked(code int, reason string) (drain bool) {
	if s.closed {
		return false
	}
	s.closed = true
	s.closeFrame = frame.AppendClose(nil, code, reason)
	s.closeCode, s.closeReason = code, reason
	s.h.stats.sessionClosed(s.conn.transport, code)
	if s.hbTimer != nil {
		s.hbTimer.Stop()
	}
	if s.cancel != nil {
		s.cancel()
	}
	if s.rcv != nil {
		s.rcv.wake()
	}
	return s.enqueueLocked(Event{Type: EventClosed})
}

// closeStatus returns the code and reason of a closed session.
func (s *session) closeStatus() (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeCode, s.closeReason
}

// enqueueLocked queues ev for the callback. It reports whether the caller
// must start a dispatch (no other goroutine is dispatching).
func (s *session) enqueueLocked(ev Event) bool {
	if s.finished {
		return false
	}
	s.events = append(s.events, ev)
	if s.dispatching {
		return false
	}
	s.dispatching = true
	return true
}

// receive hands inbound messages to the callback, in order. The calling
// goroutine dispatches them itself unless another goroutine already is.
func (s *session) receive(msgs []string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	drain := false
	for _, m := range msgs {
		if s.enqueueLocked(Event{Type: EventRecv, Data: m}) {
			drain = true
		}
	}
	s.mu.Unlock()
	s.h.stats.messagesIn.Add(uint64(len(msgs)))
	if drain {
		s.drain()
	}
	return nil
}

// post queues an EventInfo from any goroutine, dispatched on another
// goroutine so that the poster never runs the callback.
func (s *session) post(info any) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	drain := s.enqueueLocked(Event{Type: EventInfo, Info: info})
	s.mu.Unlock()
	if drain {
		go s.drain()
	}
	return nil
}

// close closes the session on the application's request.
func (s *session) close(code int, reason string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	drain := s.closeLocked(code, reason)
	s.mu.Unlock()
	if drain {
		go s.drain()
	}
	return nil
}

// drain delivers queued events to the callback until the queue is empty. Only
// the goroutine that set dispatching runs it.
func (s *session) drain() {
	for {
		s.mu.Lock()
		if len(s.events) == 0 {
			s.events = s.events[:0]
			s.dispatching = false
			s.mu.Unlock()
			return
		}
		ev := s.events[0]
		s.events[0] = Event{}
		s.events = s.events[1:]
		if ev.Type == EventClosed {
			s.finished = true
			s.events = nil
		}
		s.mu.Unlock()

		s.dispatch(ev)
		if ev.Type == EventClosed {
			s.h.sessions.release()
			code, reason := s.closeStatus()
			s.logDebug("sockjs: session closed", slog.Int("code", code), slog.String("reason", reason))
		}

		if ev.Type == EventInit {
			s.mu.Lock()
			s.opened = true
			if s.rcv != nil {
				s.rcv.wake()
			}
			s.mu.Unlock()
		}
	}
}

// dispatch runs the callback for one event. A panic closes the session.
func (s *session) dispatch(ev Event) {
	defer func() {
		if v := recover(); v != nil {
			s.h.stats.panics.Add(1)
			s.h.logger.LogAttrs(context.Background(), slog.LevelError, "sockjs: callback panicked",
				slog.String("prefix", s.h.prefix), slog.String("conn", s.conn.ID()),
				slog.String("event", ev.Type.String()), slog.String("panic", fmt.Sprint(v)))
			s.mu.Lock()
			s.opened = true // the open frame must precede the close frame
			s.closeLocked(codeServerError, "Internal server error")
			s.mu.Unlock()
			// The queued EventClosed is delivered by the drain loop of the caller.
		}
	}()
	s.call(&s.conn, ev)
}

// logDebug logs a session event at debug level, when enabled.
func (s *session) logDebug(msg string, attrs ...slog.Attr) {
	ctx := context.Background()
	if !s.h.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs = append(attrs, slog.String("prefix", s.h.prefix), slog.String("transport", s.conn.transport),
		slog.String("conn", s.conn.ID()))
	s.h.logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

// context returns the session's context, made on first use.
func (s *session) context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		if s.closed {
			s.cancel()
		}
	}
	return s.ctx
}

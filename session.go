package sockjs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gosockjs/sockjs/internal/frame"
)

// frameAnotherConn refuses a second receiver of a session.
var frameAnotherConn = frame.AppendClose(nil, CloseAnotherConnection, reasonAnotherConn)

// phase is where a session is in its life. It only moves forward.
type phase uint8

const (
	// phaseOpen: messages flow both ways.
	phaseOpen phase = iota
	// phaseClosed: the close frame waits behind the queued messages, and
	// is repeated to every later receiver; EventClosed waits behind the
	// queued events. Nothing more is accepted.
	phaseClosed
	// phaseGone: out of the registry, with nothing queued.
	phaseGone
)

// output is what the session lets out to its receivers.
type output uint8

const (
	// outHeld: EventInit has not returned, and nothing goes out, so that
	// the first frames show what the callback did on EventInit.
	outHeld output = iota
	// outOpenDue: the open frame goes out next.
	outOpenDue
	// outFlowing: the open frame is out (raw sessions have none):
	// messages, heartbeats and, last, the close frame follow.
	outFlowing
)

// session is the one state machine behind a Conn: it holds the outbound
// queue, the attached receiver, the heartbeat and disconnect timers, and
// delivers events to the callback in order, one at a time. Every field
// below mu is guarded by it.
type session struct {
	h    *Handler
	id   string // registry key; empty for websocket sessions, which are not registered
	raw  bool   // raw websocket: messages go out unframed
	conn Conn   // what the callback sees
	call func(*Conn, Event)

	mu    sync.Mutex
	phase phase
	out   output
	hbDue bool // a heartbeat frame is owed

	pend     []byte   // encoded messages waiting, comma separated
	rawq     []rawMsg // raw sessions: messages waiting
	rawBytes int      // bytes in rawq

	closeCode   int
	closeReason string
	closeFrame  []byte

	rcv        *pump         // the attached receiver, or nil
	rcvGone    chan struct{} // closed when rcv detaches, made by a waiting attach
	hbTimer    *time.Timer
	dcTimer    *time.Timer
	detachedAt time.Time

	events     []Event // waiting for the callback
	delivering bool    // a goroutine is running deliver

	ctx    context.Context
	cancel context.CancelFunc
}

// newSession makes a session that is not yet registered. Its EventInit is
// queued at once, so that it is the first event whoever delivers first.
func (h *Handler) newSession(sid string, transport Transport, r *http.Request, raw bool, identity any) *session {
	s := &session{h: h, id: sid, raw: raw, call: h.newCall()}
	s.conn.init(s, transport, r)
	s.conn.identity = identity
	s.events = append(s.events, Event{Type: EventInit})
	return s
}

// A dispatch tells a method that may make events ready where the callback
// runs for them.
type dispatch bool

const (
	// here: on the calling goroutine, that of a transport or a timer.
	here dispatch = false
	// elsewhere: on a new goroutine, because the caller is the
	// application's, which must not run a session's callback.
	elsewhere dispatch = true
)

// kick delivers the queued events if the caller claimed the delivery (see
// claimLocked).
func (s *session) kick(claimed bool, where dispatch) {
	switch {
	case !claimed:
	case where == elsewhere:
		go s.deliver()
	default:
		s.deliver()
	}
}

// claimLocked claims the delivery of the queued events for the caller,
// unless another goroutine delivers already or none is queued.
func (s *session) claimLocked() bool {
	if s.delivering || len(s.events) == 0 {
		return false
	}
	s.delivering = true
	return true
}

// start delivers the events queued so far, EventInit first, on the calling
// goroutine, unless another goroutine already does. The request that made
// the session calls it once.
func (s *session) start() {
	s.logDebug("sockjs: session opened", slog.String("remote", s.conn.remote))
	s.mu.Lock()
	claimed := s.claimLocked()
	s.mu.Unlock()
	s.kick(claimed, here)
}

// deliver runs the callback for the queued events until none is left.
func (s *session) deliver() {
	for {
		s.mu.Lock()
		if len(s.events) == 0 {
			s.events = s.events[:0]
			s.delivering = false
			s.mu.Unlock()
			return
		}
		ev := s.events[0]
		s.events[0] = Event{}
		s.events = s.events[1:]
		s.mu.Unlock()

		// The counts follow the events the callback sees, so that
		// a session is counted closed only once it was counted open,
		// and each is counted by the time its callback hears of it.
		switch ev.Type {
		case EventInit:
			s.h.stats.sessionOpened(s.conn.transport)
		case EventClosed:
			s.h.stats.sessionClosed(s.conn.transport, ev.Code)
		}
		s.callback(ev)

		switch ev.Type {
		case EventInit:
			s.mu.Lock()
			s.out = outOpenDue
			if s.raw {
				s.out = outFlowing
			}
			s.wakeLocked()
			s.mu.Unlock()
		case EventClosed:
			s.h.sessions.release()
			s.logDebug("sockjs: session closed", slog.Int("code", ev.Code), slog.String("reason", ev.Reason))
		}
	}
}

// callback runs the callback for one event. A panic closes the session.
func (s *session) callback(ev Event) {
	defer func() {
		if v := recover(); v != nil {
			s.h.stats.panics.Add(1)
			s.h.logger.LogAttrs(context.Background(), slog.LevelError, "sockjs: callback panicked",
				slog.String("prefix", s.h.prefix), slog.String("conn", s.conn.ID()),
				slog.String("event", ev.Type.String()), slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			s.mu.Lock()
			s.closeLocked(CloseServerError, reasonServerError)
			s.mu.Unlock()
			// deliver, which runs this, delivers the EventClosed queued.
		}
	}()
	s.call(&s.conn, ev)
}

// closeLocked is the one way a session closes, whoever closes it: the
// application, the client, a timer, a limit, a panic or Shutdown. It queues
// the close frame behind the pending messages and EventClosed behind the
// pending events, and reports whether the caller claimed their delivery
// (see kick). It does nothing on a closed session.
func (s *session) closeLocked(code int, reason string) (claimed bool) {
	if s.phase != phaseOpen {
		return false
	}
	s.phase = phaseClosed
	s.closeCode, s.closeReason = code, reason
	s.closeFrame = frame.AppendClose(nil, code, reason)
	if s.hbTimer != nil {
		s.hbTimer.Stop()
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wakeLocked()
	s.events = append(s.events, Event{Type: EventClosed, Code: code, Reason: reason})
	return s.claimLocked()
}

// close closes the session (see closeLocked) and delivers EventClosed where
// the caller says. It returns ErrClosed if the session had closed already.
func (s *session) close(code int, reason string, where dispatch) error {
	s.mu.Lock()
	if s.phase != phaseOpen {
		s.mu.Unlock()
		return ErrClosed
	}
	claimed := s.closeLocked(code, reason)
	s.mu.Unlock()
	s.kick(claimed, where)
	return nil
}

// expireLocked takes a closed session out of its handler's registry.
func (s *session) expireLocked() {
	if s.phase == phaseGone {
		return
	}
	s.phase = phaseGone
	s.pend, s.rawq, s.rawBytes = nil, nil, 0
	s.h.sessions.remove(s)
}

// rawMsg is a message of a raw websocket session.
type rawMsg struct {
	data   string
	binary bool
}

// send queues msg for the client. enc is msg already encoded as a JSON
// string, as broadcasts pass it to encode once for every session, or nil.
// binary sends it as a binary message (raw sessions only).
func (s *session) send(msg string, enc []byte, binary bool) error {
	s.mu.Lock()
	if s.phase != phaseOpen {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.raw {
		if !binary {
			msg = frame.ToValidUTF8(msg) // a text frame must hold valid UTF-8
		}
		s.rawq = append(s.rawq, rawMsg{msg, binary})
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
		claimed := s.closeLocked(CloseQueueFull, reasonQueueFull)
		s.mu.Unlock()
		s.h.logger.LogAttrs(context.Background(), slog.LevelWarn, "sockjs: outbound queue full, session closed",
			slog.String("prefix", s.h.prefix), slog.String("conn", s.conn.ID()), slog.Int("queued", n))
		s.h.stats.queueOverflows.Add(1)
		s.kick(claimed, elsewhere)
		return ErrQueueFull
	}
	s.wakeLocked()
	s.mu.Unlock()
	s.h.stats.messagesOut.Add(1)
	s.h.stats.bytesOut.Add(uint64(len(msg)))
	return nil
}

// receive hands inbound messages to the callback, in order, on the calling
// goroutine unless another goroutine delivers already. binary marks them
// as binary messages of a raw session.
func (s *session) receive(msgs []string, binary bool) error {
	s.mu.Lock()
	if s.phase != phaseOpen {
		s.mu.Unlock()
		return ErrClosed
	}
	for _, m := range msgs {
		s.events = append(s.events, Event{Type: EventRecv, Data: m, Binary: binary})
	}
	claimed := s.claimLocked()
	s.mu.Unlock()
	s.h.stats.messagesIn.Add(uint64(len(msgs)))
	s.kick(claimed, here)
	return nil
}

// post queues an EventInfo from any goroutine, delivered on another
// goroutine so that the poster never runs the callback.
func (s *session) post(info any) error {
	s.mu.Lock()
	if s.phase != phaseOpen {
		s.mu.Unlock()
		return ErrClosed
	}
	s.events = append(s.events, Event{Type: EventInfo, Info: info})
	claimed := s.claimLocked()
	s.mu.Unlock()
	s.kick(claimed, elsewhere)
	return nil
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

// join attaches p to the session and, when the request created the
// session, starts it. A new session is started even when another request
// attached first, so that it gets its EventInit and, later, EventClosed.
func (s *session) join(p *pump, created bool) attachResult {
	res := s.attach(p)
	if created {
		s.start()
	}
	return res
}

// attach makes p the session's receiver. If another receiver is attached
// and does not detach within attachGrace, it returns busy.
func (s *session) attach(p *pump) attachResult {
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
	s.rcv = p
	if s.dcTimer != nil {
		s.dcTimer.Stop()
	}
	if s.phase == phaseOpen && !s.h.opts.DisableHeartbeats {
		d := s.h.opts.HeartbeatDelay
		if s.hbTimer == nil {
			s.hbTimer = time.AfterFunc(d, s.heartbeat)
		} else {
			s.hbTimer.Reset(d)
		}
	}
	s.wakeLocked()
	return attached
}

// detach ends p's turn as the session's receiver. A code other than 0
// closes the session with it and its reason: 1002 "Connection interrupted"
// for a receiver whose client went away, or what failed the connection.
// A websocket session ends with its socket; an HTTP session waits
// DisconnectDelay for its next receiver.
func (s *session) detach(p *pump, code int, reason string) {
	s.mu.Lock()
	if s.rcv != p {
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
	if s.id == "" && code == 0 {
		code, reason = CloseInterrupted, reasonInterrupted
	}
	claimed := false
	if code != 0 {
		claimed = s.closeLocked(code, reason)
	}
	if s.id == "" {
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
	s.kick(claimed, here)
}

// abandon ends a session that the request created when the request failed
// before it could attach: the session is started and at once closed, so
// that the callback sees it begin and end.
func (s *session) abandon(created bool) {
	if created {
		s.start()
		s.close(CloseInterrupted, reasonInterrupted, here)
	}
}

// disconnectTimeout runs when the disconnect timer fires: a session that has
// had no receiver for DisconnectDelay is closed and forgotten.
func (s *session) disconnectTimeout() {
	s.mu.Lock()
	if s.rcv != nil || s.phase == phaseGone {
		s.mu.Unlock()
		return
	}
	if left := s.h.opts.DisconnectDelay - time.Since(s.detachedAt); left > 0 {
		s.dcTimer.Reset(left) // re-armed by a later detach
		s.mu.Unlock()
		return
	}
	claimed := s.closeLocked(CloseInterrupted, reasonTimedOut)
	s.expireLocked()
	s.mu.Unlock()
	s.kick(claimed, here)
}

// heartbeat runs every HeartbeatDelay while a receiver is attached.
func (s *session) heartbeat() {
	s.mu.Lock()
	if s.rcv == nil || s.phase != phaseOpen {
		s.mu.Unlock()
		return
	}
	s.hbDue = true
	s.wakeLocked()
	s.hbTimer.Reset(s.h.opts.HeartbeatDelay)
	p, _ := s.rcv.conn.(pinger)
	s.mu.Unlock()
	if p != nil {
		p.ping()
	}
}

// wakeLocked tells the receiver, if one is attached, that output may be
// pending.
func (s *session) wakeLocked() {
	if s.rcv != nil && s.pendingLocked() {
		s.rcv.wake()
	}
}

// pendingLocked reports whether nextLocked would return a frame.
func (s *session) pendingLocked() bool {
	switch s.out {
	case outHeld:
		return false
	case outOpenDue:
		return true
	}
	return len(s.pend) > 0 || len(s.rawq) > 0 || s.phase != phaseOpen || s.hbDue
}

// frameKind tells what a frame is.
type frameKind uint8

const (
	textFrame   frameKind = iota
	binaryFrame           // a binary message of a raw session
	lastFrame             // the close frame, after which the receiver must end
)

// nextLocked appends the next frame to write to dst and returns it with its
// kind, or nil when nothing is pending.
func (s *session) nextLocked(dst []byte) (f []byte, k frameKind) {
	switch s.out {
	case outHeld:
		return nil, textFrame
	case outOpenDue:
		s.out = outFlowing
		return append(dst, frame.Open...), textFrame
	}
	if s.raw {
		return s.nextRawLocked(dst)
	}
	switch {
	case len(s.pend) > 0:
		dst = append(dst, 'a', '[')
		dst = append(dst, s.pend...)
		dst = append(dst, ']')
		s.pend = recycle(s.pend)
		s.hbDue = false
		return dst, textFrame
	case s.phase != phaseOpen:
		return append(dst, s.closeFrame...), lastFrame
	case s.hbDue:
		s.hbDue = false
		return append(dst, frame.Heartbeat...), textFrame
	}
	return nil, textFrame
}

// nextRawLocked is nextLocked for raw websocket sessions, which carry one
// message per frame and no heartbeat frames; their last frame is empty.
func (s *session) nextRawLocked(dst []byte) (f []byte, k frameKind) {
	s.hbDue = false
	if len(s.rawq) > 0 {
		m := s.rawq[0]
		s.rawBytes -= len(m.data)
		s.rawq[0] = rawMsg{}
		s.rawq = s.rawq[1:]
		if len(s.rawq) == 0 {
			s.rawq = nil
		}
		if m.binary {
			return append(dst, m.data...), binaryFrame
		}
		return append(dst, m.data...), textFrame
	}
	if s.phase != phaseOpen {
		return dst, lastFrame
	}
	return nil, textFrame
}

// recycle empties a buffer for reuse, dropping it when it grew large so that
// an idle session does not pin a burst's memory.
func recycle(b []byte) []byte {
	if cap(b) > 64<<10 {
		return nil
	}
	return b[:0]
}

// closeStatus returns the code and reason of a closed session.
func (s *session) closeStatus() (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeCode, s.closeReason
}

// context returns the session's context, made on first use.
func (s *session) context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		if s.phase != phaseOpen {
			s.cancel()
		}
	}
	return s.ctx
}

// logWriteFailure logs a write to the client that failed, once per
// connection, since the connection ends with it: a warning for a client
// too slow to take it within WriteTimeout, a debug record for one that went
// away.
func (s *session) logWriteFailure(err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		s.h.logger.LogAttrs(context.Background(), slog.LevelWarn, "sockjs: write timed out, client too slow",
			slog.String("prefix", s.h.prefix), slog.String("transport", string(s.conn.transport)),
			slog.String("conn", s.conn.ID()), slog.Duration("timeout", s.h.opts.WriteTimeout))
		return
	}
	s.logDebug("sockjs: write failed", slog.String("error", err.Error()))
}

// logDebug logs a session event at debug level, when enabled.
func (s *session) logDebug(msg string, attrs ...slog.Attr) {
	ctx := context.Background()
	if !s.h.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs = append(attrs, slog.String("prefix", s.h.prefix), slog.String("transport", string(s.conn.transport)),
		slog.String("conn", s.conn.ID()))
	s.h.logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

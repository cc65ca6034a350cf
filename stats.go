package sockjs

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Stats is a snapshot of a handler's counters and gauges, for metrics
// exporters. Counters only grow; gauges go up and down.
type Stats struct {
	// Sessions is the number of live sessions (a gauge), including closed
	// HTTP sessions that still answer their close frame until they expire.
	Sessions int
	// SessionsByTransport counts the sessions not yet closed by the
	// transport that opened them (a gauge).
	SessionsByTransport map[Transport]int
	// SessionsOpened and SessionsClosed count sessions since the handler
	// was made.
	SessionsOpened, SessionsClosed uint64
	// ClosedByCode counts closed sessions by the code of their close frame.
	ClosedByCode map[int]uint64
	// MessagesIn and MessagesOut count messages received from and queued for
	// clients; BytesIn and BytesOut count their payload bytes.
	MessagesIn, MessagesOut, BytesIn, BytesOut uint64
	// QueueOverflows counts sessions closed because their outbound queue
	// went over Options.MaxQueuedBytes.
	QueueOverflows uint64
	// Panics counts callback panics recovered.
	Panics uint64
}

// counters are the live values behind Stats.
type counters struct {
	messagesIn, messagesOut, bytesIn, bytesOut atomic.Uint64
	queueOverflows, panics                     atomic.Uint64

	mu             sync.Mutex
	opened, closed uint64
	byTransport    map[Transport]int
	byCode         map[int]uint64
}

// sessionOpened counts a session opened over transport.
func (c *counters) sessionOpened(transport Transport) {
	c.mu.Lock()
	if c.byTransport == nil {
		c.byTransport = make(map[Transport]int)
	}
	c.byTransport[transport]++
	c.opened++
	c.mu.Unlock()
}

// sessionClosed counts a session of transport closed with code.
func (c *counters) sessionClosed(transport Transport, code int) {
	c.mu.Lock()
	if c.byCode == nil {
		c.byCode = make(map[int]uint64)
	}
	c.byTransport[transport]--
	c.byCode[code]++
	c.closed++
	c.mu.Unlock()
}

// Stats returns a snapshot of the handler's counters and gauges.
func (h *Handler) Stats() Stats {
	st := Stats{
		Sessions:       h.sessions.len(),
		MessagesIn:     h.stats.messagesIn.Load(),
		MessagesOut:    h.stats.messagesOut.Load(),
		BytesIn:        h.stats.bytesIn.Load(),
		BytesOut:       h.stats.bytesOut.Load(),
		QueueOverflows: h.stats.queueOverflows.Load(),
		Panics:         h.stats.panics.Load(),
	}
	c := &h.stats
	c.mu.Lock()
	st.SessionsOpened, st.SessionsClosed = c.opened, c.closed
	st.SessionsByTransport = maps.Clone(c.byTransport)
	st.ClosedByCode = maps.Clone(c.byCode)
	c.mu.Unlock()
	if st.SessionsByTransport == nil {
		st.SessionsByTransport = map[Transport]int{}
	}
	if st.ClosedByCode == nil {
		st.ClosedByCode = map[int]uint64{}
	}
	return st
}

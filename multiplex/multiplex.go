// Package multiplex carries many named channels over one SockJS connection,
// like sockjs-erlang's sockjs_multiplex, speaking the wire format of the npm
// websocket-multiplex client.
//
// Every message on the connection starts with a type and a topic, separated
// by commas. The client sends
//
//	sub,<topic>            open the channel <topic>
//	uns,<topic>            close it
//	msg,<topic>,<payload>  send <payload> on it
//
// and the server sends
//
//	msg,<topic>,<payload>  a message on the channel <topic>
//	uns,<topic>            the server closed the channel
//
// Each topic has its own callback and state, with the callback model of the
// sockjs package: a channel's callback gets EventInit when the client
// subscribes, EventRecv for each message, EventInfo for each value posted
// with Channel.Post, and EventClosed exactly once, when either side closes
// the channel or the connection ends. The callbacks of all the channels of a
// connection run inside that connection's sockjs callback, so they never
// overlap and their state needs no lock.
//
//	m := multiplex.New()
//	multiplex.Handle(m, "ann", ann, 0)
//	multiplex.Handle(m, "bob", bob, "")
//	h := m.NewHandler("/multiplex", sockjs.Options{})
//
// Messages for topics that have no handler, or that the client has not
// subscribed to, are ignored, as are messages of unknown types. Subscribing
// to an open channel again changes nothing.
//
// The channels share their connection's fate: a channel callback that
// panics ends the connection (the sockjs handler recovers the panic), and
// when the connection ends, for whatever reason, every open channel gets
// EventClosed, in the order of their topics. Values posted to the connection
// with sockjs.Conn.Post rather than Channel.Post reach no channel.
package multiplex

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gosockjs/sockjs"
)

// Callback handles the events of one channel: it gets the channel, the event
// and the channel's current state, and returns the channel's new state. Each
// channel starts from the state given to Handle. Calls for the channels of one
// connection never overlap.
type Callback[S any] func(ch *Channel, ev sockjs.Event, state S) S

// Multiplexer routes the channels of SockJS connections to the callbacks
// registered for their topics. Create it with New, register topics with
// Handle, and serve it with NewHandler, or pass Callback and State to
// sockjs.NewHandler. Its methods are safe for concurrent use.
type Multiplexer struct {
	mu     sync.RWMutex
	topics map[string]func() func(*Channel, sockjs.Event)
}

// New returns a Multiplexer with no topics.
func New() *Multiplexer {
	return &Multiplexer{topics: make(map[string]func() func(*Channel, sockjs.Event))}
}

// Handle registers callback for the channels named topic; each channel
// starts from state. A topic registered after connections were opened is
// available to their later subscriptions. Handle panics if topic is empty,
// contains a comma, or is already registered.
func Handle[S any](m *Multiplexer, topic string, callback Callback[S], state S) {
	if topic == "" || strings.Contains(topic, ",") {
		panic(fmt.Sprintf("multiplex: invalid topic %q", topic))
	}
	if callback == nil {
		panic("multiplex: nil callback for topic " + topic)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.topics[topic]; dup {
		panic("multiplex: topic registered twice: " + topic)
	}
	m.topics[topic] = func() func(*Channel, sockjs.Event) {
		st := state
		return func(ch *Channel, ev sockjs.Event) { st = callback(ch, ev, st) }
	}
}

// Topics returns the registered topics, sorted.
func (m *Multiplexer) Topics() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ts := make([]string, 0, len(m.topics))
	for t := range m.topics {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}

// lookup returns the factory of channel callbacks for topic, or nil.
func (m *Multiplexer) lookup(topic string) func() func(*Channel, sockjs.Event) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.topics[topic]
}

// NewHandler returns a sockjs.Handler that serves m at prefix with opts. It
// is sockjs.NewHandler(prefix, m.Callback, m.State(), opts).
func (m *Multiplexer) NewHandler(prefix string, opts sockjs.Options) *sockjs.Handler {
	return sockjs.NewHandler(prefix, m.Callback, m.State(), opts)
}

// Session is the multiplexer's state for one SockJS connection: the channels
// open on it. It is opaque; the sockjs handler keeps it between calls of
// Callback.
type Session struct {
	channels map[string]*Channel
}

// State returns the initial state of a connection for sockjs.NewHandler,
// to pass along with Callback. Every connection makes its own Session on its
// first event.
func (m *Multiplexer) State() *Session { return nil }

// Callback is the sockjs.Callback that demultiplexes a connection: it opens,
// feeds and closes the connection's channels and runs their callbacks.
func (m *Multiplexer) Callback(c *sockjs.Conn, ev sockjs.Event, s *Session) *Session {
	if s == nil {
		s = &Session{channels: make(map[string]*Channel)}
	}
	switch ev.Type {
	case sockjs.EventRecv:
		m.recv(c, s, ev.Data)
	case sockjs.EventInfo:
		switch v := ev.Info.(type) {
		case channelInfo:
			if s.channels[v.ch.topic] == v.ch {
				v.ch.call(v.ch, sockjs.Event{Type: sockjs.EventInfo, Info: v.info})
			}
		case closeRequest:
			if s.channels[v.ch.topic] == v.ch {
				s.end(v.ch)
			}
		}
	case sockjs.EventClosed:
		topics := make([]string, 0, len(s.channels))
		for t := range s.channels {
			topics = append(topics, t)
		}
		slices.Sort(topics)
		for _, t := range topics {
			s.end(s.channels[t])
		}
	}
	return s
}

// recv handles one message from the client.
func (m *Multiplexer) recv(c *sockjs.Conn, s *Session, msg string) {
	typ, rest, _ := strings.Cut(msg, ",")
	topic, payload, _ := strings.Cut(rest, ",")
	switch typ {
	case "sub":
		if ch := s.channels[topic]; ch != nil {
			if !ch.closed.Load() {
				return // already open
			}
			// The server closed it and the client subscribes again before
			// the close was handled: finish the old channel first.
			s.end(ch)
		}
		mk := m.lookup(topic)
		if mk == nil {
			return
		}
		ch := &Channel{conn: c, topic: topic, call: mk()}
		s.channels[topic] = ch
		ch.call(ch, sockjs.Event{Type: sockjs.EventInit})
	case "uns":
		if ch := s.channels[topic]; ch != nil {
			s.end(ch)
		}
	case "msg":
		if ch := s.channels[topic]; ch != nil && !ch.closed.Load() {
			ch.call(ch, sockjs.Event{Type: sockjs.EventRecv, Data: payload})
		}
	}
}

// end forgets ch and delivers its EventClosed.
func (s *Session) end(ch *Channel) {
	delete(s.channels, ch.topic)
	ch.closed.Store(true)
	ch.call(ch, sockjs.Event{Type: sockjs.EventClosed})
}

// channelInfo carries a value posted with Channel.Post through the
// connection's event queue.
type channelInfo struct {
	ch   *Channel
	info any
}

// closeRequest asks the connection's callback to finish a channel that the
// server closed.
type closeRequest struct{ ch *Channel }

// Channel is one topic subscribed on one connection. Its methods are safe for
// concurrent use.
type Channel struct {
	conn   *sockjs.Conn
	topic  string
	call   func(*Channel, sockjs.Event)
	closed atomic.Bool
}

// Topic returns the channel's name.
func (ch *Channel) Topic() string { return ch.topic }

// Conn returns the SockJS connection that carries the channel.
func (ch *Channel) Conn() *sockjs.Conn { return ch.conn }

// Send queues msg for the client on the channel, as "msg,<topic>,<msg>". It
// returns sockjs.ErrClosed once the channel or its connection has closed,
// and the other errors of sockjs.Conn.Send.
func (ch *Channel) Send(msg string) error {
	if ch.closed.Load() {
		return sockjs.ErrClosed
	}
	return ch.conn.Send("msg," + ch.topic + "," + msg)
}

// Close closes the channel from the server side: the client gets
// "uns,<topic>", and the channel's callback gets EventClosed after the event
// it is handling, if any. The connection and its other channels stay open.
// Close returns sockjs.ErrClosed if the channel was already closed.
func (ch *Channel) Close() error {
	if !ch.closed.CompareAndSwap(false, true) {
		return sockjs.ErrClosed
	}
	ch.conn.Send("uns," + ch.topic)
	// If the connection has closed, its EventClosed finishes the channel.
	ch.conn.Post(closeRequest{ch})
	return nil
}

// Post delivers info to the channel's callback as EventInfo, in order with
// the connection's other events, like sockjs.Conn.Post. It returns
// sockjs.ErrClosed if the channel or its connection has closed; a value
// posted just before the channel closes is dropped.
func (ch *Channel) Post(info any) error {
	if ch.closed.Load() {
		return sockjs.ErrClosed
	}
	return ch.conn.Post(channelInfo{ch, info})
}

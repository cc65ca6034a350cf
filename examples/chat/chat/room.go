package chat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/pubsub"
)

// historyPage is how many events a join asks the relay for at a time.
const historyPage = 500

// room is a room with local members: its subscription to the room's
// channel, and its members.
type room struct {
	name   string
	ready  chan struct{} // closed once subscribed, or failed (err)
	cancel context.CancelFunc

	mu      sync.Mutex // members; held while delivering
	members map[*sockjs.Conn]*member
	sub     pubsub.Subscription
	err     error
}

// member is a session in a room: the offset of the last event it was sent,
// and, while it catches up, the events it is to be sent after its history.
type member struct {
	last     pubsub.Offset
	catching bool
	pending  []pubsub.Message
}

// join makes c a member of room name, at once, then, on a goroutine, waits
// for the room's subscription, sends c the history after after (if not
// zero) and the events since, each once, and announces c to the room.
func (h *Hub) join(c *sockjs.Conn, name, nick string, after pubsub.Offset) {
	m := &member{last: after, catching: true}
	h.mu.Lock()
	if h.ctx.Err() != nil {
		h.mu.Unlock()
		send(c, Event{Type: "error", Room: name, Text: "the server is shutting down"})
		return
	}
	r := h.rooms[name]
	if r == nil {
		r = &room{name: name, ready: make(chan struct{}), members: make(map[*sockjs.Conn]*member)}
		var ctx context.Context
		ctx, r.cancel = context.WithCancel(h.ctx)
		h.rooms[name] = r
		h.wg.Add(1)
		go h.subscribe(ctx, r)
	}
	r.mu.Lock()
	r.members[c] = m
	r.mu.Unlock()
	h.wg.Add(1)
	h.mu.Unlock()
	go h.catchUp(c, r, m, nick, after)
}

// subscribe subscribes r to its channel, retrying while the broker is down,
// until r is stopped.
func (h *Hub) subscribe(ctx context.Context, r *room) {
	defer h.wg.Done()
	sub, err := h.relay.Subscribe(ctx, h.channel+r.name, receiver{r})
	r.mu.Lock()
	r.sub, r.err = sub, err
	r.mu.Unlock()
	close(r.ready)
	if err == nil && ctx.Err() != nil {
		sub.Close() // stopped meanwhile
	}
}

// catchUp sends member m of r its history and what came since, then
// announces it.
func (h *Hub) catchUp(c *sockjs.Conn, r *room, m *member, nick string, after pubsub.Offset) {
	defer h.wg.Done()
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	stop := context.AfterFunc(c.Context(), cancel) // the session closed
	defer stop()
	select {
	case <-r.ready:
	case <-ctx.Done():
		return
	}
	if r.err != nil {
		return // the room was stopped: the hub closes
	}
	history, gap := h.history(ctx, r.name, after)
	if ctx.Err() != nil {
		return
	}
	r.mu.Lock()
	if r.members[c] != m {
		r.mu.Unlock()
		return // it left meanwhile
	}
	if gap {
		send(c, Event{Type: "gap", Room: r.name, Text: "Some messages are too old to show."})
	}
	// History and the events delivered since the join overlap: the offset
	// of the last event sent drops what was sent already.
	for _, msgs := range [][]pubsub.Message{history, m.pending} {
		for _, msg := range msgs {
			if msg.Offset.Compare(m.last) > 0 {
				c.Send(withOffset(msg))
				m.last = msg.Offset
			}
		}
	}
	m.catching, m.pending = false, nil
	r.mu.Unlock()
	h.emit(c, Event{Type: "joined", Room: r.name, Nick: nick})
}

// history returns the events of room name after after, and whether some
// are no longer kept. It retries while the broker fails, until ctx ends.
func (h *Hub) history(ctx context.Context, name string, after pubsub.Offset) ([]pubsub.Message, bool) {
	var all []pubsub.Message
	backoff := 50 * time.Millisecond
	for !after.IsZero() {
		page, err := h.relay.History(ctx, h.channel+name, after, historyPage)
		switch {
		case errors.Is(err, pubsub.ErrGap):
			return nil, true
		case err != nil:
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, false
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		all = append(all, page...)
		if len(page) < historyPage {
			break
		}
		after = page[len(page)-1].Offset
	}
	return all, false
}

// receiver delivers the events of a room's channel to its local members.
type receiver struct{ r *room }

// Receive sends an event to the members that have not had it, encoded
// once, and keeps it for those catching up.
func (rc receiver) Receive(msg pubsub.Message) {
	r := rc.r
	r.mu.Lock()
	defer r.mu.Unlock()
	to := make([]*sockjs.Conn, 0, len(r.members))
	for c, m := range r.members {
		switch {
		case m.catching:
			m.pending = append(m.pending, msg)
		case msg.Offset.Compare(m.last) > 0:
			m.last = msg.Offset
			to = append(to, c)
		}
	}
	sockjs.Broadcast(to, withOffset(msg))
}

// Lost tells the members that events of the room were lost.
func (rc receiver) Lost(l pubsub.Loss) {
	text := "Some messages of this room were lost between the servers."
	if l.Count > 0 {
		text = fmt.Sprintf("%d message(s) of this room were lost between the servers.", l.Count)
	}
	r := rc.r
	r.mu.Lock()
	defer r.mu.Unlock()
	to := make([]*sockjs.Conn, 0, len(r.members))
	for c := range r.members {
		to = append(to, c)
	}
	sockjs.Broadcast(to, encode(Event{Type: "notice", Room: r.name, Text: text}))
}

// withOffset returns the event of msg, a JSON object, with its offset.
func withOffset(msg pubsub.Message) string {
	if len(msg.Data) < 2 || msg.Data[0] != '{' {
		return msg.Data
	}
	sep := ","
	if msg.Data == "{}" {
		sep = ""
	}
	return `{"offset":"` + msg.Offset.String() + `"` + sep + msg.Data[1:]
}

// leave removes c from room name and tells the room.
func (h *Hub) leave(c *sockjs.Conn, name, nick string) {
	h.mu.Lock()
	r := h.rooms[name]
	empty := false
	if r != nil {
		r.mu.Lock()
		delete(r.members, c)
		empty = len(r.members) == 0
		r.mu.Unlock()
		if empty {
			delete(h.rooms, name)
		}
	}
	h.mu.Unlock()
	if empty {
		r.stop()
	}
	h.emit(c, Event{Type: "left", Room: name, Nick: nick})
}

// stop ends r's subscription, or its attempt to subscribe.
func (r *room) stop() {
	r.cancel()
	select {
	case <-r.ready:
		if r.sub != nil {
			r.sub.Close()
		}
	default: // subscribe closes it
	}
}

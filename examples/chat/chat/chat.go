// Package chat is a multi-room chat service on SockJS, reusable by the
// single-node example (examples/chat) and the cluster example
// (examples/cluster). Its rooms are channels of a pubsub.Relay: on one node
// a relay on pubsub.Local, on several nodes a relay on a shared broker such
// as Redis Streams (github.com/gosockjs/sockjs/pubsub/redis).
//
// # Protocol
//
// Every message, both ways, is a JSON object with a "type". The client
// sends:
//
//	{"type":"nick","nick":"ada"}                         choose a nickname (1 to 24 characters)
//	{"type":"join","room":"lobby"}                       join a room (1 to 32 of a-z 0-9 - _)
//	{"type":"join","room":"lobby","after":"1700000000000-42"}  join again, with what followed that offset first
//	{"type":"leave","room":"lobby"}                      leave it
//	{"type":"say","room":"lobby","text":"hi"}            say something in a room one has joined
//
// and receives:
//
//	{"type":"welcome","id":"…","nick":"guest-1f2e","node":"n1"}
//	{"type":"nick","nick":"ada"}                                     its nickname changed
//	{"offset":"…","type":"joined","room":"lobby","nick":"ada","id":"…","node":"n1"}  someone, maybe itself, joined
//	{"offset":"…","type":"left","room":"lobby","nick":"ada","id":"…","node":"n1"}
//	{"offset":"…","type":"message","room":"lobby","nick":"ada","id":"…","node":"n1","text":"hi","ts":1700000000000}
//	{"type":"gap","room":"lobby","text":"…"}  what followed "after" is no longer kept
//	{"type":"notice","room":"lobby","text":"…"}  about the service, such as messages lost between nodes
//	{"type":"error","text":"…"}      a request that was refused
//
// # Offsets and reconnecting clients
//
// The events of a room ("joined", "left", "message") go through the room's
// log: every member of the room, on every node, gets them in the log's
// order, each once, with their offset. A client keeps the offset of the
// last event it got in each room; when it reconnects (a reloaded tab, a
// dropped network, a node that died) it joins again with that offset as
// "after", and gets every event it missed, each once, before the new ones,
// or a "gap" event if the log no longer holds them. The page (Page) does
// so.
package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/pubsub"
)

// Limits of the protocol.
const (
	MaxNick         = 24
	MaxRoom         = 32
	MaxText         = 2000
	MaxRoomsPerConn = 16
)

// Event is a message of the protocol, both ways.
type Event struct {
	Offset string `json:"offset,omitempty"` // the event's offset in its room's log
	Type   string `json:"type"`
	After  string `json:"after,omitempty"` // join: the offset of the last event seen
	Room   string `json:"room,omitempty"`
	Nick   string `json:"nick,omitempty"`
	Text   string `json:"text,omitempty"`
	ID     string `json:"id,omitempty"`   // the sender's connection id
	Node   string `json:"node,omitempty"` // the node of the sender
	TS     int64  `json:"ts,omitempty"`   // milliseconds since the epoch
}

// Options configures a Hub.
type Options struct {
	// Node names this server in welcome messages and events. Default: "".
	Node string
	// Channel is prepended to a room's name to name its channel on the
	// relay. Default: "chat:".
	Channel string
	// SockJS configures the SockJS handler.
	SockJS sockjs.Options
}

// Hub is the chat service of one node: its SockJS handler and the local
// members of every room.
type Hub struct {
	node    string
	channel string
	relay   *pubsub.Relay
	handler *sockjs.Handler

	ctx    context.Context // cancelled by Close: ends joins and subscriptions
	cancel context.CancelFunc
	wg     sync.WaitGroup // the joins and subscriptions under way

	mu    sync.Mutex
	rooms map[string]*room // the rooms with local members
}

// session is the state of one chat session.
type session struct {
	nick  string
	rooms map[string]struct{}
}

// NewHub returns a hub serving the chat at prefix, whose rooms are channels
// of relay.
func NewHub(prefix string, relay *pubsub.Relay, opts Options) *Hub {
	if opts.Channel == "" {
		opts.Channel = "chat:"
	}
	h := &Hub{node: opts.Node, channel: opts.Channel, relay: relay, rooms: make(map[string]*room)}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.handler = sockjs.NewHandler(prefix, h.callback, session{}, opts.SockJS)
	return h
}

// Handler returns the hub's SockJS handler, to mount at its prefix and
// everything under it, and to shut down.
func (h *Hub) Handler() *sockjs.Handler { return h.handler }

// Close ends the joins under way and the hub's subscriptions, waiting for
// them. Call it after Handler().Shutdown, which makes every member leave,
// and before the relay's Shutdown, which appends their "left" events.
func (h *Hub) Close() error {
	h.cancel()
	h.mu.Lock()
	rooms := h.rooms
	h.rooms = make(map[string]*room)
	h.mu.Unlock()
	for _, r := range rooms {
		r.stop()
	}
	h.wg.Wait()
	return nil
}

// Notice sends a notice to every session of this node. The frame is encoded
// once for all of them.
func (h *Hub) Notice(text string) {
	h.handler.Broadcast(encode(Event{Type: "notice", Text: text}))
}

// Rooms returns the number of local members of every room that has some.
func (h *Hub) Rooms() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := make(map[string]int, len(h.rooms))
	for name, r := range h.rooms {
		r.mu.Lock()
		m[name] = len(r.members)
		r.mu.Unlock()
	}
	return m
}

func encode(ev Event) string {
	b, _ := json.Marshal(ev)
	return string(b)
}

// send sends ev to c alone.
func send(c *sockjs.Conn, ev Event) { c.Send(encode(ev)) }

// emit publishes a room event from c.
func (h *Hub) emit(c *sockjs.Conn, ev Event) {
	ev.ID = c.ID()
	ev.Node = h.node
	if err := h.relay.Publish(h.channel+ev.Room, encode(ev)); err != nil {
		send(c, Event{Type: "error", Text: "not delivered: " + err.Error()})
	}
}

// callback is the SockJS callback of the chat.
func (h *Hub) callback(c *sockjs.Conn, ev sockjs.Event, s session) session {
	switch ev.Type {
	case sockjs.EventInit:
		s = session{nick: "guest-" + randomHex(2), rooms: make(map[string]struct{})}
		send(c, Event{Type: "welcome", ID: c.ID(), Nick: s.nick, Node: h.node})
	case sockjs.EventRecv:
		var in Event
		if err := json.Unmarshal([]byte(ev.Data), &in); err != nil {
			send(c, Event{Type: "error", Text: "not a JSON object"})
			return s
		}
		h.handle(c, in, &s)
	case sockjs.EventClosed:
		for r := range s.rooms {
			h.leave(c, r, s.nick)
		}
	}
	return s
}

// handle carries out one request of the client.
func (h *Hub) handle(c *sockjs.Conn, in Event, s *session) {
	fail := func(text string) { send(c, Event{Type: "error", Text: text}) }
	switch in.Type {
	case "nick":
		nick := strings.TrimSpace(in.Nick)
		if nick == "" || utf8.RuneCountInString(nick) > MaxNick || !utf8.ValidString(nick) {
			fail("a nickname has 1 to 24 characters")
			return
		}
		s.nick = nick
		send(c, Event{Type: "nick", Nick: nick})
	case "join":
		if !validRoom(in.Room) {
			fail("a room name has 1 to 32 of a-z 0-9 - _")
			return
		}
		var after pubsub.Offset
		if in.After != "" {
			var err error
			if after, err = pubsub.ParseOffset(in.After); err != nil {
				fail("a bad offset")
				return
			}
		}
		if _, ok := s.rooms[in.Room]; ok {
			return
		}
		if len(s.rooms) >= MaxRoomsPerConn {
			fail("too many rooms")
			return
		}
		s.rooms[in.Room] = struct{}{}
		h.join(c, in.Room, s.nick, after)
	case "leave":
		if _, ok := s.rooms[in.Room]; !ok {
			return
		}
		delete(s.rooms, in.Room)
		h.leave(c, in.Room, s.nick)
		// The leaver is no longer a member: tell it directly.
		send(c, Event{Type: "left", Room: in.Room, Nick: s.nick, ID: c.ID(), Node: h.node})
	case "say":
		if _, ok := s.rooms[in.Room]; !ok {
			fail("join the room first")
			return
		}
		text := strings.TrimSpace(in.Text)
		if text == "" {
			return
		}
		if utf8.RuneCountInString(text) > MaxText || !utf8.ValidString(text) {
			fail("a message has at most 2000 characters")
			return
		}
		h.emit(c, Event{Type: "message", Room: in.Room, Nick: s.nick, Text: text, TS: time.Now().UnixMilli()})
	default:
		fail("unknown request type")
	}
}

// validRoom reports whether r is a valid room name.
func validRoom(r string) bool {
	if r == "" || len(r) > MaxRoom {
		return false
	}
	for i := 0; i < len(r); i++ {
		b := r[i]
		if !('a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

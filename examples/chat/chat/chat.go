// Package chat is a multi-room chat service on SockJS, reusable by the
// single-node example (examples/chat) and the cluster example
// (examples/cluster), where a pubsub.Relay carries its events between
// nodes.
//
// # Protocol
//
// Every message, both ways, is a JSON object with a "type". The client
// sends:
//
//	{"type":"nick","nick":"ada"}                 choose a nickname (1 to 24 characters)
//	{"type":"join","room":"lobby"}               join a room (1 to 32 of a-z 0-9 - _)
//	{"type":"leave","room":"lobby"}              leave it
//	{"type":"say","room":"lobby","text":"hi"}    say something in a room one has joined
//
// and receives:
//
//	{"type":"welcome","id":"…","nick":"guest-1f2e","node":"n1"}
//	{"type":"nick","nick":"ada"}                                     its nickname changed
//	{"type":"joined","room":"lobby","nick":"ada","id":"…","node":"n1"}  someone, maybe itself, joined
//	{"type":"left","room":"lobby","nick":"ada","id":"…","node":"n1"}
//	{"type":"message","room":"lobby","nick":"ada","id":"…","node":"n1","text":"hi","ts":1700000000000}
//	{"type":"notice","text":"…"}     about the service itself, such as messages lost between nodes
//	{"type":"error","text":"…"}      a request that was refused
//
// The events of a room ("joined", "left", "message") go through the
// Publish function given to the Hub, which on a cluster is a pubsub.Relay
// whose target is the Hub; each node then delivers them to its local
// members of the room with Hub.Broadcast. The messages of one sender reach
// every member of the room once, in the order they were sent.
package chat

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gosockjs/sockjs"
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
	Type string `json:"type"`
	Room string `json:"room,omitempty"`
	Nick string `json:"nick,omitempty"`
	Text string `json:"text,omitempty"`
	ID   string `json:"id,omitempty"`   // the sender's connection id
	Node string `json:"node,omitempty"` // the node of the sender
	TS   int64  `json:"ts,omitempty"`   // milliseconds since the epoch
}

// Options configures a Hub.
type Options struct {
	// Node names this server in welcome messages and events. Default: "".
	Node string
	// SockJS configures the SockJS handler.
	SockJS sockjs.Options
}

// Hub is the chat service of one node: its SockJS handler and the local
// members of every room.
type Hub struct {
	node    string
	handler *sockjs.Handler

	mu      sync.RWMutex
	rooms   map[string]map[*sockjs.Conn]struct{}
	publish func(msg string) error
}

// session is the state of one chat session.
type session struct {
	nick  string
	rooms map[string]struct{}
}

// NewHub returns a hub serving the chat at prefix. Until SetPublish is
// called, room events are delivered on this node only.
func NewHub(prefix string, opts Options) *Hub {
	h := &Hub{node: opts.Node, rooms: make(map[string]map[*sockjs.Conn]struct{})}
	h.publish = func(msg string) error { h.Broadcast(msg); return nil }
	h.handler = sockjs.NewHandler(prefix, h.callback, session{}, opts.SockJS)
	return h
}

// Handler returns the hub's SockJS handler, to mount at its prefix and
// everything under it, and to shut down.
func (h *Hub) Handler() *sockjs.Handler { return h.handler }

// SetPublish makes the hub send room events through publish, such as the
// Publish method of a pubsub.Relay whose target is the hub. Call it before
// serving.
func (h *Hub) SetPublish(publish func(msg string) error) {
	h.mu.Lock()
	h.publish = publish
	h.mu.Unlock()
}

// Broadcast delivers a room event, as published, to the local members of
// its room. It makes the Hub a pubsub.Target.
func (h *Hub) Broadcast(msg string) {
	var ev struct {
		Room string `json:"room"`
	}
	if json.Unmarshal([]byte(msg), &ev) != nil || ev.Room == "" {
		return
	}
	h.mu.RLock()
	members := make([]*sockjs.Conn, 0, len(h.rooms[ev.Room]))
	for c := range h.rooms[ev.Room] {
		members = append(members, c)
	}
	h.mu.RUnlock()
	sockjs.Broadcast(members, msg) // encoded once for the whole room
}

// Notice sends a notice to every session of this node. The frame is encoded
// once for all of them.
func (h *Hub) Notice(text string) {
	h.handler.Broadcast(encode(Event{Type: "notice", Text: text}))
}

// Rooms returns the number of local members of every room that has some.
func (h *Hub) Rooms() map[string]int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	m := make(map[string]int, len(h.rooms))
	for r, members := range h.rooms {
		m[r] = len(members)
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
	h.mu.RLock()
	publish := h.publish
	h.mu.RUnlock()
	if err := publish(encode(ev)); err != nil {
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
		if _, ok := s.rooms[in.Room]; ok {
			return
		}
		if len(s.rooms) >= MaxRoomsPerConn {
			fail("too many rooms")
			return
		}
		s.rooms[in.Room] = struct{}{}
		h.mu.Lock()
		m := h.rooms[in.Room]
		if m == nil {
			m = make(map[*sockjs.Conn]struct{})
			h.rooms[in.Room] = m
		}
		m[c] = struct{}{}
		h.mu.Unlock()
		h.emit(c, Event{Type: "joined", Room: in.Room, Nick: s.nick})
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

// leave removes c from room and tells the room.
func (h *Hub) leave(c *sockjs.Conn, room, nick string) {
	h.mu.Lock()
	if m := h.rooms[room]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(h.rooms, room)
		}
	}
	h.mu.Unlock()
	h.emit(c, Event{Type: "left", Room: room, Nick: nick})
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

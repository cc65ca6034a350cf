package main

import (
	"fmt"
	"strconv"
	"strings"
)

// payloadKinds names the echo payloads. Every payload carries its send
// time, for the latency figures; "x" is "<ns>-xxx…" padded to -payload
// bytes (what the load generator has always sent: it compresses to
// nothing, so it says nothing about compression), the others are JSON
// documents of the sizes applications send, {"ts":<ns>,…}:
//
//	small  ~64 B, a typing notification
//	chat   ~200 B, a chat message with its author
//	doc    ~4 KB, a page of a product list: the same keys on every row
var payloadKinds = []string{"x", "small", "chat", "doc"}

// payloads makes the messages of one echo run. The JSON kinds rotate over
// a few prebuilt bodies, so that making a message costs the load generator
// little; each body is compressed on its own (gorilla/websocket has no
// context takeover), so the rotation does not help compression.
type payloads struct {
	kind   string
	size   int      // kind x
	pad    string   // kind x: size x's
	bodies []string // JSON kinds: everything after {"ts":<ns>
}

var (
	chatUsers = []string{"alice", "bob", "carol", "dmitri", "eun-ji", "farid", "grace", "hiro"}
	chatTexts = []string{
		"Did anyone look at the deploy logs from this morning?",
		"Yes, the second node restarted twice, looking into it now.",
		"Lunch at noon? The new place on the corner has a terrace.",
		"I pushed the fix for the login redirect, please review.",
		"Meeting moved to 3pm, same room, bring the slides.",
		"Thanks! That was exactly what I needed.",
	}
	products = []string{"Widget", "Gadget", "Sprocket", "Flange", "Gizmo", "Bracket"}
)

func newPayloads(kind string, size int) (*payloads, error) {
	p := &payloads{kind: kind, size: size}
	switch kind {
	case "x":
		p.pad = strings.Repeat("x", max(size, 0))
	case "small":
		for i, u := range chatUsers {
			p.bodies = append(p.bodies, fmt.Sprintf(`,"t":"typing","u":%q,"r":"room-%d"}`, u, i%3))
		}
	case "chat":
		for i := range 24 {
			u := chatUsers[i%len(chatUsers)]
			p.bodies = append(p.bodies, fmt.Sprintf(
				`,"type":"message","room":"general","id":"m-%06d","user":{"id":%d,"name":%q},"text":%q,"sent":"2026-11-25T21:%02d:%02dZ","mentions":[]}`,
				1000+i*37, 4800+i%len(chatUsers), u, chatTexts[i%len(chatTexts)], i, i*7%60))
		}
	case "doc":
		for i := range 4 {
			var b strings.Builder
			fmt.Fprintf(&b, `,"type":"inventory","page":%d,"items":[`, i+1)
			for j := range 33 {
				id := 1000 + i*33 + j
				if j > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"id":%d,"sku":"SKU-%05d","name":"%s %d","category":"hardware","price":%d.%02d,"currency":"EUR","in_stock":%t}`,
					id, id, products[id%len(products)], id, 5+id%40, id%100, id%3 != 0)
			}
			b.WriteString("]}")
			p.bodies = append(p.bodies, b.String())
		}
	default:
		return nil, fmt.Errorf("unknown payload kind %q (want one of %v)", kind, payloadKinds)
	}
	return p, nil
}

// make returns the seq-th message, sent at ns.
func (p *payloads) make(ns int64, seq int) string {
	if p.bodies == nil {
		s := strconv.FormatInt(ns, 10) + "-"
		if n := p.size - len(s); n > 0 {
			s += p.pad[:n]
		}
		return s
	}
	return `{"ts":` + strconv.FormatInt(ns, 10) + p.bodies[seq%len(p.bodies)]
}

// sentAt returns the send time a message made by payloads carries.
func sentAt(msg string) (int64, bool) {
	msg = strings.TrimPrefix(msg, `{"ts":`)
	i := 0
	for i < len(msg) && msg[i] >= '0' && msg[i] <= '9' {
		i++
	}
	if i == 0 || i == len(msg) || (msg[i] != '-' && msg[i] != ',') {
		return 0, false
	}
	v, err := strconv.ParseInt(msg[:i], 10, 64)
	return v, err == nil
}

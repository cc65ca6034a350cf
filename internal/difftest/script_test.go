package difftest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/gosockjs/sockjs/internal/clientdecode"
	"github.com/gosockjs/sockjs/internal/teststrings"
)

// A script is what the differential test does to both servers: sessions,
// each on one service and one receiving transport, and the steps the
// client takes on them. It prints as a readable list.
type script struct {
	Sessions []sessionSpec
	Steps    []step
}

type sessionSpec struct {
	Service   string // a prefix of server.js: "/echo", "/cmd", ...
	Transport string // one of receivingTransports
	Callback  string // the c parameter of htmlfile and JSONP; "" sends none
}

// receivingTransports are the transports a session can receive on.
var receivingTransports = []string{"websocket", "rawwebsocket", "xhr", "xhr_streaming", "eventsource", "htmlfile", "jsonp"}

func (s sessionSpec) websocket() bool { return strings.HasSuffix(s.Transport, "websocket") }

func (s sessionSpec) polling() bool { return s.Transport == "xhr" || s.Transport == "jsonp" }

// responseLimit returns the response limit of the session's service.
func (s sessionSpec) responseLimit() int {
	if s.Service == "/echo" || s.Service == "/cmd" {
		return responseLimit
	}
	return 128 << 10
}

type op uint8

const (
	// opRecv reads what the session should have sent by now, opening a
	// receiving request (or the websocket) when none is open, and reopens
	// a receiving request that the server ended, as sockjs-client does.
	opRecv op = iota
	// opSend sends Msgs, with Via.
	opSend
	// opSendRaw sends the body Raw, mostly broken, with Via.
	opSendRaw
	// opSecond opens a second receiving request while one is open.
	opSecond
	// opAbort is the client's close: it aborts the receiving request or
	// closes the websocket (code 1000).
	opAbort
)

type step struct {
	S     int // the index of the session
	Op    op
	Via   string // opSend, opSendRaw: "xhr_send", "jsonp_send", "jsonp_send_form" or "websocket"
	Msgs  []clientdecode.UTF16
	Raw   string
	Style int // how the client escapes Msgs in JSON (see encodeBatch)
}

func (sc script) String() string {
	var b strings.Builder
	for i, s := range sc.Sessions {
		fmt.Fprintf(&b, "  session s%d: %s over %s", i+1, s.Service, s.Transport)
		if s.Transport == "htmlfile" || s.Transport == "jsonp" {
			fmt.Fprintf(&b, " (callback %q)", s.Callback)
		}
		b.WriteByte('\n')
	}
	for i, st := range sc.Steps {
		fmt.Fprintf(&b, "  %2d. %s\n", i+1, st)
	}
	return b.String()
}

func (st step) String() string {
	s := fmt.Sprintf("s%d ", st.S+1)
	switch st.Op {
	case opRecv:
		return s + "recv"
	case opSecond:
		return s + "second receiver"
	case opAbort:
		return s + "client close"
	case opSendRaw:
		return s + fmt.Sprintf("send %s raw body %q", st.Via, st.Raw)
	}
	msgs := make([]string, len(st.Msgs))
	for i, m := range st.Msgs {
		msgs[i] = m.String()
	}
	return s + fmt.Sprintf("send %s (style %d) [%s]", st.Via, st.Style, strings.Join(msgs, ","))
}

// gen generates scripts: their shape from rng, their messages from the
// strings of internal/teststrings.
type gen struct {
	rng     *rand.Rand
	strings [][]uint16
}

// newGen returns the generator of the scripts of seed.
func newGen(seed uint64) *gen {
	return &gen{rand.New(rand.NewPCG(seed, 0)), teststrings.Generate(uint32(seed), teststrings.DefaultCount)}
}

// script returns a script of one or two sessions and up to 16 steps.
func (g *gen) script() script {
	var sc script
	n := 1
	if g.rng.IntN(4) == 0 {
		n = 2
	}
	for range n {
		sc.Sessions = append(sc.Sessions, g.session())
	}
	if n == 2 && g.rng.IntN(2) == 0 {
		sc.Sessions[0].Service, sc.Sessions[1].Service = "/broadcast", "/broadcast"
	}
	for i := range sc.Sessions {
		sc.Steps = append(sc.Steps, step{S: i, Op: opRecv})
	}
	done := make([]bool, n) // no more steps after a client close and a recv
	for range 2 + g.rng.IntN(14) {
		s := g.rng.IntN(n)
		if done[s] {
			continue
		}
		spec := sc.Sessions[s]
		st := step{S: s}
		switch k := g.rng.IntN(100); {
		case k < 45:
			st.Op, st.Via, st.Style = opSend, g.via(spec), g.rng.IntN(3)
			st.Msgs = g.batch(spec.Service)
		case k < 53:
			st.Op, st.Via = opSendRaw, g.via(spec)
			st.Raw = g.raw(spec, st.Via)
		case k < 60 && !spec.websocket():
			st.Op = opSecond
		case k < 65:
			st.Op = opAbort
			done[s] = true
			sc.Steps = append(sc.Steps, st)
			if g.rng.IntN(3) > 0 {
				sc.Steps = append(sc.Steps, step{S: s, Op: opRecv})
			}
			continue
		default:
			st.Op = opRecv
		}
		sc.Steps = append(sc.Steps, st)
		if st.Op == opSend && g.rng.IntN(2) == 0 {
			sc.Steps = append(sc.Steps, step{S: s, Op: opRecv})
		}
	}
	return sc
}

func (g *gen) session() sessionSpec {
	services := []string{"/echo", "/echo", "/echo", "/echo", "/cmd", "/cmd", "/cmd", "/amplify", "/broadcast",
		"/close", "/disabled_websocket_echo", "/cookie_needed_echo"}
	s := sessionSpec{
		Service:   services[g.rng.IntN(len(services))],
		Transport: receivingTransports[g.rng.IntN(len(receivingTransports))],
	}
	if s.Transport == "htmlfile" || s.Transport == "jsonp" {
		s.Callback = "_jp.a" + g.name(6)
		switch g.rng.IntN(12) {
		case 0:
			s.Callback = ""
		case 1:
			s.Callback = []string{"a b", "x<y", "f(1)", "a;b", "é"}[g.rng.IntN(5)]
		case 2:
			s.Callback = "cb_long." + g.name(33) // too long for node's JSONP
		}
	}
	return s
}

func (g *gen) name(n int) string {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[g.rng.IntN(len(alnum))]
	}
	return string(b)
}

// via picks how a session sends: on its websocket, or over one of the
// HTTP send transports (which a websocket session has no use for, but may
// try).
func (g *gen) via(spec sessionSpec) string {
	if spec.websocket() && g.rng.IntN(8) > 0 {
		return "websocket"
	}
	return []string{"xhr_send", "xhr_send", "jsonp_send", "jsonp_send_form"}[g.rng.IntN(4)]
}

// batch returns the messages of one send, shaped for the service.
func (g *gen) batch(service string) []clientdecode.UTF16 {
	n := 1 + g.rng.IntN(5)
	if g.rng.IntN(10) == 0 {
		n = 0
	}
	msgs := make([]clientdecode.UTF16, n)
	for i := range msgs {
		switch {
		case service == "/amplify":
			msgs[i] = ascii(strconv.Itoa(1 + g.rng.IntN(14)))
		case service == "/cmd" && g.rng.IntN(6) == 0:
			code := []int{1000, 3000, 3001, 3999, 4000, 4999}[g.rng.IntN(6)]
			reason := g.message(20)
			if g.rng.IntN(8) == 0 {
				reason = ascii(strings.Repeat("r", 110+g.rng.IntN(30))) // about the 123 bytes a websocket close allows
			}
			msgs[i] = append(ascii(fmt.Sprintf("close %d ", code)), reason...)
		case service == "/cmd" && g.rng.IntN(5) == 0:
			msgs[i] = ascii(fmt.Sprintf("send %d", g.rng.IntN(1200)))
		default:
			msgs[i] = g.message(0)
		}
	}
	return msgs
}

func ascii(s string) clientdecode.UTF16 { return clientdecode.FromGo(s) }

// message returns one of the strings of internal/teststrings, which the
// browser suite sends too: code units of every kind and sequences that some
// transport treats specially, from empty to tens of KiB. A message longer
// than max, if max is not 0, is cut to max code units (which may leave
// half a surrogate pair).
func (g *gen) message(max int) clientdecode.UTF16 {
	m := g.strings[g.rng.IntN(len(g.strings))]
	if max > 0 && len(m) > max {
		m = m[:max]
	}
	return clientdecode.UTF16(m)
}

// raw returns a body that a client could send by mistake, or on
// purpose, for the send transport via.
func (g *gen) raw(spec sessionSpec, via string) string {
	if via == "websocket" {
		if spec.Transport == "rawwebsocket" {
			return []string{"a\xffb", "\xed\xa0\x80", "", "ok"}[g.rng.IntN(4)]
		}
		return []string{`"a`, `["a"`, "", `"bare"`, `[]`, "[\"\xff\"]", "a\xc0\xaf"}[g.rng.IntN(7)]
	}
	bodies := []string{"", " ", "[", `["a"`, `["a",]`, `"bare"`, `[1]`, `{}`, `null`, `[]`, "[\"\xff\xfe\xe2\x82\"]",
		`["a"] x`, `["\u12"]`, `["\ud800"]`, "[\"a\"]\n"}
	if via == "jsonp_send_form" {
		bodies = append(bodies, "d=", "x=1", "d=%5B", "d=%5B%22a%22%5D&d=x", "%zz")
	}
	return bodies[g.rng.IntN(len(bodies))]
}

package difftest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/gosockjs/sockjs/internal/clientdecode"
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

// genScript returns a script of one or two sessions and up to 16 steps.
func genScript(rng *rand.Rand) script {
	var sc script
	n := 1
	if rng.IntN(4) == 0 {
		n = 2
	}
	for range n {
		sc.Sessions = append(sc.Sessions, genSession(rng))
	}
	if n == 2 && rng.IntN(2) == 0 {
		sc.Sessions[0].Service, sc.Sessions[1].Service = "/broadcast", "/broadcast"
	}
	for i := range sc.Sessions {
		sc.Steps = append(sc.Steps, step{S: i, Op: opRecv})
	}
	done := make([]bool, n) // no more steps after a client close and a recv
	for range 2 + rng.IntN(14) {
		s := rng.IntN(n)
		if done[s] {
			continue
		}
		spec := sc.Sessions[s]
		st := step{S: s}
		switch k := rng.IntN(100); {
		case k < 45:
			st.Op, st.Via, st.Style = opSend, genVia(rng, spec), rng.IntN(3)
			st.Msgs = genBatch(rng, spec.Service)
		case k < 53:
			st.Op, st.Via = opSendRaw, genVia(rng, spec)
			st.Raw = genRaw(rng, spec, st.Via)
		case k < 60 && !spec.websocket():
			st.Op = opSecond
		case k < 65:
			st.Op = opAbort
			done[s] = true
			sc.Steps = append(sc.Steps, st)
			if rng.IntN(3) > 0 {
				sc.Steps = append(sc.Steps, step{S: s, Op: opRecv})
			}
			continue
		default:
			st.Op = opRecv
		}
		sc.Steps = append(sc.Steps, st)
		if st.Op == opSend && rng.IntN(2) == 0 {
			sc.Steps = append(sc.Steps, step{S: s, Op: opRecv})
		}
	}
	return sc
}

func genSession(rng *rand.Rand) sessionSpec {
	services := []string{"/echo", "/echo", "/echo", "/echo", "/cmd", "/cmd", "/cmd", "/amplify", "/broadcast",
		"/close", "/disabled_websocket_echo", "/cookie_needed_echo"}
	s := sessionSpec{
		Service:   services[rng.IntN(len(services))],
		Transport: receivingTransports[rng.IntN(len(receivingTransports))],
	}
	if s.Transport == "htmlfile" || s.Transport == "jsonp" {
		s.Callback = "_jp.a" + genName(rng, 6)
		switch rng.IntN(12) {
		case 0:
			s.Callback = ""
		case 1:
			s.Callback = []string{"a b", "x<y", "f(1)", "a;b", "é"}[rng.IntN(5)]
		case 2:
			s.Callback = "cb_long." + genName(rng, 33) // too long for node's JSONP
		}
	}
	return s
}

func genName(rng *rand.Rand, n int) string {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[rng.IntN(len(alnum))]
	}
	return string(b)
}

// genVia picks how a session sends: on its websocket, or over one of the
// HTTP send transports (which a websocket session has no use for, but may
// try).
func genVia(rng *rand.Rand, spec sessionSpec) string {
	if spec.websocket() && rng.IntN(8) > 0 {
		return "websocket"
	}
	return []string{"xhr_send", "xhr_send", "jsonp_send", "jsonp_send_form"}[rng.IntN(4)]
}

// genBatch returns the messages of one send, shaped for the service.
func genBatch(rng *rand.Rand, service string) []clientdecode.UTF16 {
	n := 1 + rng.IntN(5)
	if rng.IntN(10) == 0 {
		n = 0
	}
	msgs := make([]clientdecode.UTF16, n)
	for i := range msgs {
		switch {
		case service == "/amplify":
			msgs[i] = ascii(strconv.Itoa(1 + rng.IntN(14)))
		case service == "/cmd" && rng.IntN(6) == 0:
			code := []int{1000, 3000, 3001, 3999, 4000, 4999}[rng.IntN(6)]
			reason := genMessage(rng, 20)
			if rng.IntN(8) == 0 {
				reason = ascii(strings.Repeat("r", 110+rng.IntN(30))) // about the 123 bytes a websocket close allows
			}
			msgs[i] = append(ascii(fmt.Sprintf("close %d ", code)), reason...)
		case service == "/cmd" && rng.IntN(5) == 0:
			msgs[i] = ascii(fmt.Sprintf("send %d", rng.IntN(1200)))
		default:
			msgs[i] = genMessage(rng, 16)
		}
	}
	return msgs
}

func ascii(s string) clientdecode.UTF16 { return clientdecode.FromGo(s) }

// genMessage returns a message of code units of every class, and now and
// then of sequences that some transport treats specially, or a long one.
func genMessage(rng *rand.Rand, max int) clientdecode.UTF16 {
	if rng.IntN(25) == 0 {
		return ascii(strings.Repeat(genName(rng, 1+rng.IntN(8)), 100+rng.IntN(400)))
	}
	var m clientdecode.UTF16
	for range rng.IntN(max + 1) {
		switch k := rng.IntN(20); {
		case k < 8:
			m = append(m, uint16(genName(rng, 1)[0]))
		case k < 12:
			m = append(m, []uint16{'"', '\\', '/', '<', '>', '&', '%', '\'', '+', '=', '#', ' ', '\n', '\r',
				'\t', 0, 0x1f, 0x7f, 0x85, 0x9f, 0xad, 0xe9, 0x2028, 0x2029, 0x200c, 0x200f, 0x2060, 0xfeff,
				0xfff0, 0xfffd, 0xfffe, 0xffff, 0x0600, 0x17b4}[rng.IntN(34)])
		case k < 14:
			m = append(m, uint16(0xd800+rng.IntN(0x800))) // a lone surrogate, or half a pair
		case k < 15:
			m = utf16.AppendRune(m, rune(0x10000+rng.IntN(0x100000)))
		case k < 17:
			m = append(m, uint16(rng.IntN(0x10000)))
		default:
			s := []string{"</script>", "</SCRIPT ", "<!--<script>", "-->", "%41", "%zz", "%", "data: x",
				"\r\n\r\n", "]", `c[3000,"x"]`, "\\u0041", "😀"}[rng.IntN(13)]
			m = append(m, ascii(s)...)
		}
	}
	return m
}

// genRaw returns a body that a client could send by mistake, or on
// purpose, for the send transport via.
func genRaw(rng *rand.Rand, spec sessionSpec, via string) string {
	if via == "websocket" {
		if spec.Transport == "rawwebsocket" {
			return []string{"a\xffb", "\xed\xa0\x80", "", "ok"}[rng.IntN(4)]
		}
		return []string{`"a`, `["a"`, "", `"bare"`, `[]`, "[\"\xff\"]", "a\xc0\xaf"}[rng.IntN(7)]
	}
	bodies := []string{"", " ", "[", `["a"`, `["a",]`, `"bare"`, `[1]`, `{}`, `null`, `[]`, "[\"\xff\xfe\xe2\x82\"]",
		`["a"] x`, `["\u12"]`, `["\ud800"]`, "[\"a\"]\n"}
	if via == "jsonp_send_form" {
		bodies = append(bodies, "d=", "x=1", "d=%5B", "d=%5B%22a%22%5D&d=x", "%zz")
	}
	return bodies[rng.IntN(len(bodies))]
}

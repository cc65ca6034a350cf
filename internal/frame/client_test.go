package frame

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gosockjs/sockjs/internal/clientdecode"
)

// This file requires every frame back from each HTTP transport's encoder,
// decoded as sockjs-client in a browser decodes it (internal/clientdecode),
// compared code unit by code unit with what the Go strings stand for
// (clientdecode.FromGo).

// clientCallback is the callback name the tests give the htmlfile and JSONP
// encoders, shaped as sockjs-client names its callbacks.
const clientCallback = "_jp.a1b2c3"

// clientTransport is one transport's encoder and the client's decoder.
type clientTransport struct {
	name string
	// encode returns the responses that carry frames: one for a
	// streaming transport, one per frame for a polling one.
	encode func(frames [][]byte) [][]byte
	// decode returns the frames of one response.
	decode func(resp []byte) ([]clientdecode.UTF16, error)
}

// streaming returns the encode function of a streaming transport.
func streaming(prelude []byte, enc func(dst, f []byte) []byte) func([][]byte) [][]byte {
	return func(frames [][]byte) [][]byte {
		b := append([]byte(nil), prelude...)
		for _, f := range frames {
			b = enc(b, f)
		}
		return [][]byte{b}
	}
}

// polling returns the encode function of a polling transport.
func polling(enc func(dst, f []byte) []byte) func([][]byte) [][]byte {
	return func(frames [][]byte) [][]byte {
		out := make([][]byte, len(frames))
		for i, f := range frames {
			out[i] = enc(nil, f)
		}
		return out
	}
}

func xhrDecode(resp []byte) ([]clientdecode.UTF16, error) {
	return clientdecode.XHRFrames(resp), nil
}

var clientTransports = map[string]clientTransport{
	"xhr": {"xhr", polling(AppendXHR), xhrDecode},
	"xhr_streaming": {"xhr_streaming", streaming(XHRPrelude, AppendXHR), func(resp []byte) ([]clientdecode.UTF16, error) {
		frames := clientdecode.XHRFrames(resp)
		if len(frames) == 0 || !frames[0].Equal(clientdecode.FromGo(strings.Repeat("h", 2048))) {
			return nil, fmt.Errorf("no 2 KiB prelude: %v", frames)
		}
		return frames[1:], nil
	}},
	"eventsource": {"eventsource", streaming(EventSourcePrelude, AppendEventSource), clientdecode.EventSourceFrames},
	"htmlfile": {"htmlfile", streaming(HTMLFilePrelude(clientCallback), AppendHTMLFile), func(resp []byte) ([]clientdecode.UTF16, error) {
		return clientdecode.HTMLFileFrames(resp, clientCallback)
	}},
	"jsonp": {"jsonp", polling(func(dst, f []byte) []byte { return AppendJSONP(dst, clientCallback, f) }), func(resp []byte) ([]clientdecode.UTF16, error) {
		f, err := clientdecode.JSONPFrame(resp, clientCallback)
		return []clientdecode.UTF16{f}, err
	}},
}

// wantFrame is a frame the server sends and what the client must make of it.
type wantFrame struct {
	wire []byte
	want clientdecode.Frame
}

func openFrame() wantFrame { return wantFrame{[]byte(Open), clientdecode.Frame{Type: 'o'}} }

func heartbeatFrame() wantFrame { return wantFrame{[]byte(Heartbeat), clientdecode.Frame{Type: 'h'}} }

// messagesFrame is the frame of msgs as the session assembles it.
func messagesFrame(msgs ...string) wantFrame {
	want := clientdecode.Frame{Type: 'a', Messages: []clientdecode.UTF16{}}
	for _, m := range msgs {
		want.Messages = append(want.Messages, clientdecode.FromGo(m))
	}
	return wantFrame{AppendMessages(nil, msgs...), want}
}

func closeFrame(code int, reason string) wantFrame {
	return wantFrame{AppendClose(nil, code, reason), clientdecode.Frame{Type: 'c', Code: code, Reason: clientdecode.FromGo(reason)}}
}

// checkClient encodes frames with tr and requires the client to decode each
// of them back.
func checkClient(t *testing.T, tr clientTransport, frames ...wantFrame) {
	t.Helper()
	if err := clientRoundTrip(tr, frames); err != nil {
		t.Fatalf("%s: %v", tr.name, err)
	}
}

// clientRoundTrip is checkClient's work; it returns the first difference.
func clientRoundTrip(tr clientTransport, frames []wantFrame) error {
	wire := make([][]byte, len(frames))
	for i, f := range frames {
		wire[i] = f.wire
	}
	var got []clientdecode.UTF16
	for _, resp := range tr.encode(wire) {
		fs, err := tr.decode(resp)
		if err != nil {
			return fmt.Errorf("%v\nin the response %q", err, clip(resp))
		}
		got = append(got, fs...)
	}
	if len(got) != len(frames) {
		return fmt.Errorf("the client got %d frames, want %d: %v", len(got), len(frames), got)
	}
	for i, g := range got {
		f, err := clientdecode.ParseFrame(g)
		if err != nil {
			return fmt.Errorf("frame %d %s (sent %q): %v", i, g, frames[i].wire, err)
		}
		if err := sameFrame(f, frames[i].want); err != nil {
			return fmt.Errorf("frame %d (sent %q): %v", i, frames[i].wire, err)
		}
	}
	return nil
}

// sameFrame reports the first difference between two frames, naming the
// first differing code unit.
func sameFrame(got, want clientdecode.Frame) error {
	if got.Type != want.Type || got.Code != want.Code || len(got.Messages) != len(want.Messages) {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	diff := func(what string, g, w clientdecode.UTF16) error {
		i := g.FirstDiff(w)
		if i < 0 {
			return nil
		}
		unit := func(s clientdecode.UTF16) string {
			if i < len(s) {
				return fmt.Sprintf("U+%04X", s[i])
			}
			return "the end"
		}
		return fmt.Errorf("%s: code unit %d is %s, want %s: got %s, want %s", what, i, unit(g), unit(w), g, w)
	}
	for i := range got.Messages {
		if err := diff(fmt.Sprintf("message %d", i), got.Messages[i], want.Messages[i]); err != nil {
			return err
		}
	}
	return diff("close reason", got.Reason, want.Reason)
}

// clip shortens long responses in messages.
func clip(b []byte) []byte {
	if len(b) > 300 {
		return append(append(b[:150:150], "..."...), b[len(b)-150:]...)
	}
	return b
}

// clientSeeds holds a string of every class of code unit and of every
// sequence that some layer of some transport treats specially.
var clientSeeds = []string{
	"", "a", "hello, world",
	"\x00", "\x01\x08\t\n\v\f\r\x1b\x1f", "\x7f", "\u0080\u009f", "\u00a0\u00ad",
	`"`, `\`, `'`, "/", `\u0041`, `\x41`, `\0`, "\\\n",
	"<", ">", "&", "</script>", "</SCRIPT >", "</script/", "</scripts>", "<!--", "-->",
	"<!--<script>", "<!-- <script>x</script> -->", "<!--<script></script>", "<script>",
	"%", "%25", "%41", "%20&a=b+c", "100%", "%e2%82%ac", "%zz", "%%", "%3B%2F",
	"data: x", "\r\n\r\n", "\n\n", "\r", ":comment", "event: x",
	"\u0600\u0604\u070f\u17b4\u17b5", "\u200b\u200c\u200f", "\u2028", "\u2029", "\u202a\u202f",
	"\u2060\u206f", "\ufeff", "\ufff0\ufffd\ufffe\uffff", "é", "日本語", "😀", "\U0010ffff",
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xa0\xbd\xed\xb8\x80", "\xed\xb8\x80\xed\xa0\xbd",
	"\xff", "\xc0\xaf", "\xe2\x82", "\xf4\x90\x80\x80", "\xed\xa0",
	"a]\"],\"b", "c[3000,\"x\"]", "o", "h", "a[]", "p(\"x\");",
}

// fuzzClient fuzzes the transports names with two messages and a close
// code, seeded with every pair of neighbouring seeds: open, messages,
// heartbeat, an empty batch and close frames must all come back.
func fuzzClient(f *testing.F, names ...string) {
	for i, s := range clientSeeds {
		f.Add(s, clientSeeds[(i+1)%len(clientSeeds)], uint16(3000+i))
	}
	f.Fuzz(func(t *testing.T, a, b string, code uint16) {
		for _, name := range names {
			checkClient(t, clientTransports[name], openFrame(), messagesFrame(a), messagesFrame(a, b, a+b),
				heartbeatFrame(), messagesFrame(), closeFrame(int(code), a))
		}
	})
}

// FuzzXHR requires the frames back from xhr and xhr_streaming responses,
// split on LF and parsed with JSON.parse as the client does.
func FuzzXHR(f *testing.F) { fuzzClient(f, "xhr", "xhr_streaming") }

// FuzzEventSource requires the frames back from an eventsource response,
// through the EventSource parser and decodeURI.
func FuzzEventSource(f *testing.F) { fuzzClient(f, "eventsource") }

// FuzzHTMLFile requires the frames back from an htmlfile document, through
// the HTML tokenizer's script states and an ES5 string literal.
func FuzzHTMLFile(f *testing.F) { fuzzClient(f, "htmlfile") }

// FuzzJSONP requires the frames back from JSONP responses, each a call of
// the callback with an ES5 string literal.
func FuzzJSONP(f *testing.F) { fuzzClient(f, "jsonp") }

// TestClientEveryCodeUnit sends every UTF-16 code unit, lone surrogates
// included, over every transport: alone, between other characters, before a
// digit and after "</script", as a message and as a close reason, all in one
// response for a streaming transport.
func TestClientEveryCodeUnit(t *testing.T) {
	frames := []wantFrame{openFrame()}
	for u := rune(0); u <= 0xffff; u++ {
		s := wtf8(u)
		frames = append(frames, messagesFrame(s, "x"+s+"0", "</script"+s), closeFrame(3000+int(u)%2000, s+"<"))
	}
	for _, name := range []string{"xhr", "xhr_streaming", "eventsource", "htmlfile", "jsonp"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkClient(t, clientTransports[name], frames...)
		})
	}
}

// TestClientScriptStringAnyBytes requires the script-string layer of the
// htmlfile and JSONP transports to carry any Go string, not only frames:
// what a broken frame encoder could hand it.
func TestClientScriptStringAnyBytes(t *testing.T) {
	for _, s := range clientSeeds {
		checkScriptString(t, s)
	}
	for c := 0; c < 256; c++ {
		checkScriptString(t, "<"+string([]byte{byte(c)})+"!--<script")
	}
}

// FuzzScriptString is TestClientScriptStringAnyBytes for any string.
func FuzzScriptString(f *testing.F) {
	for _, s := range clientSeeds {
		f.Add(s)
	}
	f.Fuzz(checkScriptString)
}

func checkScriptString(t *testing.T, s string) {
	want := clientdecode.FromGo(s)
	for _, name := range []string{"htmlfile", "jsonp"} {
		tr := clientTransports[name]
		resp := tr.encode([][]byte{[]byte(s)})
		got, err := tr.decode(resp[0])
		if err != nil || len(got) != 1 || !got[0].Equal(want) {
			t.Fatalf("%s: %q decodes to %v, %v; want %s", name, clip(resp[0]), got, err, want)
		}
	}
}

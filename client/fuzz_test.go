package client

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/gosockjs/sockjs/internal/frame"
)

// nopTransport stands for the wire in tests of the frame readers.
type nopTransport struct{}

func (nopTransport) run(*Conn) error                    { return nil }
func (nopTransport) send(context.Context, string) error { return nil }
func (nopTransport) close(int, string)                  {}
func (nopTransport) abort()                             {}

// readResponse reads bodies as the receiving responses, in turn, of the
// given kind, with a small buffer so that long lines and scripts take the
// slow path, and returns the messages and the error that ended the last.
func readResponse(kind bodyKind, maxFrame int, bodies ...[]byte) ([]string, error) {
	var msgs []string
	c := newConn(XHRStreaming, "s", nopTransport{}, &Dialer{OnMessage: func(m string) { msgs = append(msgs, m) }})
	h := &httpTransport{body: kind, callback: fuzzCallback, maxFrame: maxFrame}
	next := map[bodyKind]func() ([]byte, error){lines: h.line, events: h.event, scripts: h.script, call: h.call}[kind]
	var err error
	for _, body := range bodies {
		h.br, h.start, h.cr = bufio.NewReaderSize(bytes.NewReader(body), 16), true, false
		for err == nil {
			var f []byte
			if f, err = next(); err == nil {
				err = c.frame(f)
			}
		}
		if err != io.EOF {
			break
		}
		err = nil
	}
	if err == nil {
		err = io.EOF
	}
	return msgs, err
}

// fuzzCallback is the callback of the htmlfile and JSONP responses of the
// fuzz tests.
const fuzzCallback = "_jp.f"

// bodyKinds are the kinds of receiving responses, for the fuzz tests.
var bodyKinds = []bodyKind{lines, events, scripts, call}

// FuzzResponse reads arbitrary response bodies: the readers must neither
// panic nor hand on a frame over the size limit.
func FuzzResponse(f *testing.F) {
	for _, s := range []string{
		"o\na[\"x\"]\n", "hhhh\no\r\nm\"x\"\nc[3000,\"x\"]\n", "\r\ndata: o\r\n\r\ndata: a[\"%25\"]\r\n\r\n",
		"\ufeffdata:o\r\rdata: a[\"x\",\ndata: \"y\"]\n\n", ": c\nevent: x\ndata: a[]\n\n", "o\na[\"\\ud800\"]",
		"<script>parent._jp.f</script><script>p(\"o\");</SCRIPT\n><script>p('a[\\\"x\\\"]')</script>",
		"/**/_jp.f(\"a[\\\"\\ud800\\\"]\");\r\n",
	} {
		for _, k := range bodyKinds {
			f.Add([]byte(s), uint8(k))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, kind uint8) {
		const maxFrame = 64
		msgs, _ := readResponse(bodyKinds[int(kind)%len(bodyKinds)], maxFrame, body)
		for _, m := range msgs {
			if len(m) > maxFrame {
				t.Fatalf("a message of %d bytes out of frames of at most %d", len(m), maxFrame)
			}
		}
	})
}

// FuzzStreamingRoundTrip encodes messages as package sockjs does on
// xhr-streaming and eventsource and requires the client to read them back.
func FuzzStreamingRoundTrip(f *testing.F) {
	for _, s := range []string{"", "x", "%", "%25\r\n\x00", "\xed\xa0\x80", "\xff", "\u2028", "a\"b\\c", "😀"} {
		f.Add(s, "y")
	}
	f.Fuzz(func(t *testing.T, m1, m2 string) {
		fr := []byte("a[")
		fr = frame.AppendString(fr, m1)
		fr = append(fr, ',')
		fr = frame.AppendString(fr, m2)
		fr = append(fr, ']')
		want, err := frame.DecodeMessages(nil, fr[1:])
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range bodyKinds {
			var bodies [][]byte
			switch kind {
			case lines:
				body := append([]byte{}, frame.XHRPrelude...)
				bodies = append(bodies, frame.AppendXHR(frame.AppendXHR(body, []byte("o")), fr))
			case events:
				body := append([]byte{}, frame.EventSourcePrelude...)
				bodies = append(bodies, frame.AppendEventSource(frame.AppendEventSource(body, []byte("o")), fr))
			case scripts:
				body := frame.HTMLFilePrelude(fuzzCallback)
				bodies = append(bodies, frame.AppendHTMLFile(frame.AppendHTMLFile(body, []byte("o")), fr))
			case call: // one frame per response
				bodies = append(bodies, frame.AppendJSONP(nil, fuzzCallback, []byte("o")), frame.AppendJSONP(nil, fuzzCallback, fr))
			}
			got, err := readResponse(kind, 1<<20, bodies...)
			if err != io.EOF || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
				t.Fatalf("body kind %d: read %q, %v; want %q", kind, got, err, want)
			}
		}
	})
}

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

// readResponse reads body as a receiving response of the xhr transports,
// or with events of eventsource, with a small buffer so that long lines
// take the slow path, and returns the messages and the error that ended it.
func readResponse(body []byte, events bool, maxFrame int) ([]string, error) {
	var msgs []string
	c := newConn(XHRStreaming, "s", nopTransport{}, &Dialer{OnMessage: func(m string) { msgs = append(msgs, m) }})
	h := &httpTransport{events: events, maxFrame: maxFrame, br: bufio.NewReaderSize(bytes.NewReader(body), 16)}
	next := h.line
	if events {
		next, h.start = h.event, true
	}
	for {
		f, err := next()
		if err == nil {
			err = c.frame(f)
		}
		if err != nil {
			return msgs, err
		}
	}
}

// FuzzResponse reads arbitrary response bodies: the readers must neither
// panic nor hand on a frame over the size limit.
func FuzzResponse(f *testing.F) {
	for _, s := range []string{
		"o\na[\"x\"]\n", "hhhh\no\r\nm\"x\"\nc[3000,\"x\"]\n", "\r\ndata: o\r\n\r\ndata: a[\"%25\"]\r\n\r\n",
		"\ufeffdata:o\r\rdata: a[\"x\",\ndata: \"y\"]\n\n", ": c\nevent: x\ndata: a[]\n\n", "o\na[\"\\ud800\"]",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, events bool) {
		const maxFrame = 64
		msgs, _ := readResponse(body, events, maxFrame)
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
		for _, events := range []bool{false, true} {
			var body []byte
			if events {
				body = append(body, frame.EventSourcePrelude...)
				body = frame.AppendEventSource(frame.AppendEventSource(body, []byte("o")), fr)
			} else {
				body = append(body, frame.XHRPrelude...)
				body = frame.AppendXHR(frame.AppendXHR(body, []byte("o")), fr)
			}
			got, err := readResponse(body, events, 1<<20)
			if err != io.EOF || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
				t.Fatalf("events %v: read %q, %v; want %q", events, got, err, want)
			}
		}
	})
}

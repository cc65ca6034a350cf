package clientdecode

import (
	"bytes"
	"fmt"
)

// This file takes the frames out of the response of each HTTP transport, as
// sockjs-client's receivers do.

// XHRFrames returns the frames of an xhr or xhr_streaming response of which
// body has been received: sockjs-client splits the response text on LF and
// passes on each non-empty line that a LF has ended. (The 2 KiB of 'h' that
// open an xhr_streaming response are such a line, which the client takes
// for a heartbeat.)
func XHRFrames(body []byte) []UTF16 {
	end := bytes.LastIndexByte(body, '\n')
	if end < 0 {
		return nil
	}
	var frames []UTF16
	text := decodeBody(body[:end+1])
	for len(text) > 0 {
		i := 0
		for text[i] != '\n' {
			i++
		}
		if i > 0 {
			frames = append(frames, text[:i])
		}
		text = text[i+1:]
	}
	return frames
}

// EventSourceFrames returns the frames of an eventsource response of which
// body has been received: the data of each message event (EventSourceData),
// which sockjs-client passes through decodeURI. An event whose decodeURI
// throws a URIError is lost, as in the client; the first such error is
// returned with the other frames.
func EventSourceFrames(body []byte) ([]UTF16, error) {
	var frames []UTF16
	var first error
	for i, d := range EventSourceData(body) {
		f, err := DecodeURI(d)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("event %d: decodeURI(%s): %w", i, d, err)
			}
			continue
		}
		frames = append(frames, f)
	}
	return frames, first
}

// HTMLFileFrames returns the frames of an htmlfile response of which body
// has been received. The document's first script is the
// prelude, which must take the callback from the parent window
// ("parent.<callback>") and define p; every later script must be a call of
// p with one string (ParseCall), the frame. A script that does not parse
// is lost, as the browser reports and skips it; the first such error is
// returned with the other frames.
func HTMLFileFrames(body []byte, callback string) ([]UTF16, error) {
	scripts := HTMLScripts(body)
	if len(scripts) == 0 {
		return nil, nil
	}
	prelude := asciiBytes(scripts[0])
	if !bytes.Contains(prelude, []byte("parent."+callback+";")) || !bytes.Contains(prelude, []byte("function p(d)")) {
		return nil, fmt.Errorf("the first script is not the htmlfile prelude for %q: %s", callback, scripts[0])
	}
	var frames []UTF16
	var first error
	for i, src := range scripts[1:] {
		fn, f, err := ParseCall(src)
		if err == nil && fn != "p" {
			err = fmt.Errorf("calls %s, not p", fn)
		}
		if err != nil {
			if first == nil {
				first = fmt.Errorf("script %d %s: %w", i+1, src, err)
			}
			continue
		}
		frames = append(frames, f)
	}
	return frames, first
}

// JSONPFrame returns the frame of a JSONP polling response, a script that
// must call callback with one string (ParseCall). sockjs-client ignores an
// empty string; JSONPFrame returns it as it is.
func JSONPFrame(body []byte, callback string) (UTF16, error) {
	src := decodeBody(body)
	fn, f, err := ParseCall(src)
	if err == nil && fn != callback {
		err = fmt.Errorf("calls %s, not %s", fn, callback)
	}
	if err != nil {
		return nil, fmt.Errorf("JSONP script %s: %w", src, err)
	}
	return f, nil
}

// asciiBytes returns the ASCII code units of s as bytes, and '?' for the
// others: enough to look for ASCII text in it.
func asciiBytes(s UTF16) []byte {
	b := make([]byte, len(s))
	for i, c := range s {
		if c < 0x80 {
			b[i] = byte(c)
		} else {
			b[i] = '?'
		}
	}
	return b
}

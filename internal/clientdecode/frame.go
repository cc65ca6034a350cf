package clientdecode

import (
	"errors"
	"fmt"
	"math"
)

// Frame is one SockJS frame as the client understands it.
type Frame struct {
	// Type is the frame's first character: 'o' (open), 'h' (heartbeat),
	// 'a' (messages), 'm' (one message, an old form) or 'c' (close).
	Type byte
	// Messages are the messages of an 'a' or 'm' frame.
	Messages []UTF16
	// Code and Reason are those of a 'c' frame.
	Code   int
	Reason UTF16
}

// String returns the frame in its wire form, with the strings quoted by
// UTF16.String.
func (f Frame) String() string {
	switch f.Type {
	case 'a', 'm':
		s := string(f.Type) + "["
		for i, m := range f.Messages {
			if i > 0 {
				s += ","
			}
			s += m.String()
		}
		return s + "]"
	case 'c':
		return fmt.Sprintf("c[%d,%s]", f.Code, f.Reason)
	}
	return string(f.Type)
}

// ErrIgnored wraps the errors of ParseFrame for frames that sockjs-client
// drops without a word.
var ErrIgnored = errors.New("frame ignored by the client")

// ParseFrame parses msg as sockjs-client's SockJS.prototype._transportMessage
// does: 'o' and 'h' need nothing after them (what follows is ignored); the
// rest of an 'a', 'm' or 'c' frame goes through JSON.parse; an 'a' frame
// must hold an array, whose elements are the messages; a 'c' frame an array
// of two elements, the close code and reason. The client silently drops
// every other frame, which ParseFrame reports as an error wrapping
// ErrIgnored. Messages and reasons that are not strings, and codes that are
// not integers, which no SockJS server sends, are errors too.
func ParseFrame(msg UTF16) (Frame, error) {
	if len(msg) == 0 {
		return Frame{}, fmt.Errorf("%w: empty frame", ErrIgnored)
	}
	f := Frame{Type: byte(msg[0])}
	switch msg[0] {
	case 'o', 'h':
		return f, nil
	case 'a', 'm', 'c':
	default:
		return Frame{}, fmt.Errorf("%w: unknown frame type U+%04X", ErrIgnored, msg[0])
	}
	v, err := ParseJSON(msg[1:])
	if err != nil {
		return Frame{}, fmt.Errorf("%w: JSON.parse: %v", ErrIgnored, err)
	}
	switch f.Type {
	case 'm':
		s, ok := v.(UTF16)
		if !ok {
			return Frame{}, fmt.Errorf("m frame holds %T, not a string", v)
		}
		f.Messages = []UTF16{s}
	case 'a':
		arr, ok := v.([]any)
		if !ok {
			return Frame{}, fmt.Errorf("%w: a frame holds %T, not an array", ErrIgnored, v)
		}
		f.Messages = make([]UTF16, 0, len(arr))
		for i, e := range arr {
			s, ok := e.(UTF16)
			if !ok {
				return Frame{}, fmt.Errorf("message %d of an a frame is %T, not a string", i, e)
			}
			f.Messages = append(f.Messages, s)
		}
	case 'c':
		arr, ok := v.([]any)
		if !ok || len(arr) != 2 {
			return Frame{}, fmt.Errorf("%w: c frame holds %v, not [code, reason]", ErrIgnored, v)
		}
		code, ok1 := arr[0].(float64)
		reason, ok2 := arr[1].(UTF16)
		if !ok1 || !ok2 || code != math.Trunc(code) || math.Abs(code) > 1<<31 {
			return Frame{}, fmt.Errorf("c frame holds %v, not [integer, string]", arr)
		}
		f.Code, f.Reason = int(code), reason
	}
	return f, nil
}

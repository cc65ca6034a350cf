// Package frame implements the SockJS wire format: encoding of outbound
// frames and JSON string literals, and decoding of inbound message batches.
package frame

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Frames that carry no data.
const (
	// Open is the frame sent when a session is opened.
	Open = "o"
	// Heartbeat is the frame sent periodically to keep a session alive.
	Heartbeat = "h"
)

// AppendClose appends a close frame such as c[3000,"Go away!"] to dst and
// returns the extended buffer.
func AppendClose(dst []byte, code int, reason string) []byte {
	dst = append(dst, 'c', '[')
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, ',')
	dst = AppendString(dst, reason)
	return append(dst, ']')
}

// AppendEventData appends f to dst as the data of a server-sent event:
// '%', CR, LF and NUL are percent-encoded (%25, %0D, %0A, %00), as the SockJS
// eventsource transport requires. sockjs-client passes every event's data
// through decodeURI, which turns these escapes, and only these, back into
// the bytes they stand for: a raw '%' would be taken for an escape, and a
// raw line break would end the event.
func AppendEventData(dst, f []byte) []byte {
	start := 0
	for i, c := range f {
		var esc string
		switch c {
		case '%':
			esc = "%25"
		case '\r':
			esc = "%0D"
		case '\n':
			esc = "%0A"
		case 0:
			esc = "%00"
		default:
			continue
		}
		dst = append(dst, f[start:i]...)
		dst = append(dst, esc...)
		start = i + 1
	}
	return append(dst, f[start:]...)
}

// ToValidUTF8 returns s as valid UTF-8, the way a browser's UTF-8
// encoder sees the text that s stands for: the WTF-8 form of a lone
// surrogate (as DecodeMessages makes it) becomes one U+FFFD, and so does
// each other byte that is not part of a valid UTF-8 sequence. A valid s is
// returned as it is.
func ToValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r != utf8.RuneError || size > 1:
			b.WriteString(s[i : i+size])
		case isWTF8Surrogate(s[i:]):
			b.WriteRune(utf8.RuneError)
			size = 3
		default:
			b.WriteRune(utf8.RuneError)
		}
		i += size
	}
	return b.String()
}

// CloseReason returns reason as a websocket close frame can carry it:
// valid UTF-8 (see ToValidUTF8), cut to at most 123 bytes on a character
// boundary.
func CloseReason(reason string) string {
	reason = ToValidUTF8(reason)
	if len(reason) <= 123 {
		return reason
	}
	n := 123
	for n > 0 && !utf8.RuneStart(reason[n]) {
		n--
	}
	return reason[:n]
}

// Package frame implements the SockJS wire format: encoding of outbound
// frames and JSON string literals, and decoding of inbound message batches.
package frame

import "strconv"

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

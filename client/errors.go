package client

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by Send and Recv once Close was called.
var ErrClosed = errors.New("client: connection closed")

// ErrProtocol is wrapped by the errors that report a response or frame the
// SockJS protocol does not allow: an unknown or malformed frame, messages
// before the open frame, a second open frame (the server lost the session),
// an unexpected HTTP status, a frame over Dialer.MaxFrameSize. sockjs-client
// ignores some of these (a frame it cannot parse, for one); this client
// fails the connection instead, so that a broken server does not go
// unnoticed.
var ErrProtocol = errors.New("client: protocol error")

// A CloseError is the code and reason with which the server closed the
// session: those of a close frame such as c[3000,"Go away!"], or, on the
// websocket transports, those of a WebSocket close frame that came without
// one. Recv and Send return it once the messages received before it were
// read; Dial returns it when the server refused the session outright, as it
// does with c[2010,"Another connection still open"].
type CloseError struct {
	Code   int
	Reason string
}

// Error returns the code and reason.
func (e *CloseError) Error() string {
	return fmt.Sprintf("client: closed by the server: %d %q", e.Code, e.Reason)
}

// protocolError returns an error wrapping ErrProtocol.
func protocolError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, args...))
}

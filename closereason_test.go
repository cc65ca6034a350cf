package sockjs_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gosockjs/sockjs"
)

// Tests of two bugs that the differential test (internal/difftest) found
// against the reference server.

// TestWebsocketCloseReasonIsUTF8: a close reason holding a lone surrogate
// (which the server holds as WTF-8) or longer than a close frame can carry
// (123 bytes) must still give the client a valid close frame with the
// session's code, where a reason written as it is makes the client see a
// close frame that is not UTF-8, or none at all, and fail the connection
// (1006), losing the code. The reason goes out as valid UTF-8, cut to 123
// bytes.
func TestWebsocketCloseReasonIsUTF8(t *testing.T) {
	t.Parallel()
	for name, reason := range map[string]string{
		"lone surrogate": "a\xed\xa0\x80b",
		"200 bytes":      strings.Repeat("r", 200),
	} {
		for _, path := range []string{"/echo/websocket", "/echo/000/" + wsSID() + "/websocket"} {
			t.Run(name+path, func(t *testing.T) {
				srv, _, _ := wsStart(t, func(c *sockjs.Conn, ev sockjs.Event) {
					if ev.Type == sockjs.EventInit {
						c.Close(3000, reason)
					}
				}, sockjs.Options{})
				c := wsDial(t, wsURL(srv, path), nil)
				if !strings.HasSuffix(path, "/echo/websocket") {
					assert.Equal(t, "o", wsRead(t, c))
					wsRead(t, c) // the close frame
				}
				assert.Equal(t, 3000, wsReadClose(t, c).Code)
			})
		}
	}
}

// TestRawWebsocketLoneSurrogate: a message holding a lone surrogate reaches
// a raw websocket client as one U+FFFD, as a browser's WebSocket.send and
// the reference server make of it.
func TestRawWebsocketLoneSurrogate(t *testing.T) {
	t.Parallel()
	srv, _, _ := wsStart(t, func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventInit {
			c.Send("a\xed\xa0\x80b")
		}
	}, sockjs.Options{})
	c := wsDial(t, wsURL(srv, "/echo/websocket"), nil)
	assert.Equal(t, "a\ufffdb", wsRead(t, c))
}

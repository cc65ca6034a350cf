package sockjs_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
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
		for _, path := range []string{"/websocket", "/000/" + newSID() + "/websocket"} {
			t.Run(name+path, func(t *testing.T) {
				t.Parallel()
				svc := startService(t, func(c *sockjs.Conn, ev sockjs.Event) {
					if ev.Type == sockjs.EventInit {
						c.Close(3000, reason)
					}
				}, sockjs.Options{})
				// The WebSocket close frame, which the client hides
				// behind the SockJS one.
				c := svc.rawWS(t, path, nil)
				if path != "/websocket" {
					assert.Equal(t, "o", wsRead(t, c))
					wsRead(t, c) // the close frame
				}
				ce := wsReadClose(t, c)
				assert.Equal(t, 3000, ce.Code)
				assert.True(t, utf8.ValidString(ce.Text), "reason %q", ce.Text)
				assert.LessOrEqual(t, len(ce.Text), 123)
			})
		}
	}
}

// TestRawWebsocketLoneSurrogate: a message holding a lone surrogate reaches
// a raw websocket client as one U+FFFD, as a browser's WebSocket.send and
// the reference server make of it.
func TestRawWebsocketLoneSurrogate(t *testing.T) {
	t.Parallel()
	svc := startService(t, func(c *sockjs.Conn, ev sockjs.Event) {
		if ev.Type == sockjs.EventInit {
			c.Send("a\xed\xa0\x80b")
		}
	}, sockjs.Options{})
	c, _ := svc.open(t, client.WebsocketRaw)
	assert.Equal(t, "a\ufffdb", c.Recv())
}

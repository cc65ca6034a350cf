package sockjs_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// TestDisableHeartbeats watches idle sessions for many heartbeat delays:
// with heartbeats on they carry "h" frames and websocket pings, with
// DisableHeartbeats nothing, and a websocket that never answers is kept.
func TestDisableHeartbeats(t *testing.T) {
	t.Parallel()
	const (
		hb    = 20 * time.Millisecond
		watch = 15 * hb
	)
	for _, off := range []bool{false, true} {
		opts := sockjs.Options{HeartbeatDelay: hb, PongTimeout: hb, DisableHeartbeats: off}
		name := map[bool]string{false: "on", true: "off"}[off]

		t.Run(name+"/xhr-streaming", func(t *testing.T) {
			t.Parallel()
			srv, _, _ := wsStart(t, nil, opts)
			s := openStream(t, http.MethodPost, wsXHRURL(srv, wsSID(), "xhr_streaming"), nil)
			s.readUntil(t, "o\n")
			got := make(chan string, 1)
			go func() {
				b, _ := s.r.ReadString('\n')
				got <- b
			}()
			select {
			case b := <-got:
				assert.False(t, off, "a frame with heartbeats off: %q", b)
				assert.Equal(t, "h\n", b)
			case <-time.After(watch):
				assert.True(t, off, "no heartbeat in %v", watch)
			}
		})

		t.Run(name+"/websocket", func(t *testing.T) {
			t.Parallel()
			srv, _, l := wsStart(t, wsEcho, opts)
			c := wsDial(t, wsSessionURL(srv, wsSID()), nil)
			var pings atomic.Int64
			c.SetPingHandler(func(string) error { pings.Add(1); return nil }) // never answered
			frames := make(chan string, 100)
			go func() {
				defer close(frames)
				for {
					_, p, err := c.ReadMessage()
					if err != nil {
						return
					}
					frames <- string(p)
				}
			}()
			require.Equal(t, "o", <-frames)
			time.Sleep(watch)
			conn := l.nth(t, 0)
			if !off {
				assert.Positive(t, pings.Load(), "pings")
				l.waitClosed(t, conn) // pings unanswered: dropped
				return
			}
			assert.Zero(t, pings.Load(), "pings with heartbeats off")
			assert.Empty(t, frames, "frames with heartbeats off")
			// Silent for many times HeartbeatDelay+PongTimeout, yet kept.
			assert.Zero(t, l.count(conn, sockjs.EventClosed))
			require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte(`["alive"]`)))
			assert.Equal(t, `a["alive"]`, <-frames)
		})
	}
}

package sockjs_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
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

		t.Run(name+"/frames", func(t *testing.T) {
			t.Parallel()
			eachTransport(t, sockjsTransports, func(t *testing.T, tr client.Transport) {
				svc := startService(t, nil, opts)
				var frames frameLog
				svc.openWith(t, frames.watch(svc.dialer(tr, newSID())))
				if !off {
					frames.waitN(t, 1, "h", isHeartbeat)
					return
				}
				time.Sleep(watch)
				hs, _ := frames.matching(isHeartbeat)
				assert.Empty(t, hs, "heartbeats with heartbeats off, within %v", watch)
			})
		})

		t.Run(name+"/websocket", func(t *testing.T) {
			t.Parallel()
			svc := startService(t, echo, opts)
			c := svc.rawWS(t, "/000/"+newSID()+"/websocket", nil)
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
			conn := svc.log.nth(t, 0)
			if !off {
				assert.Positive(t, pings.Load(), "pings")
				svc.log.closed(t, conn) // pings unanswered: dropped
				return
			}
			assert.Zero(t, pings.Load(), "pings with heartbeats off")
			assert.Empty(t, frames, "frames with heartbeats off")
			// Silent for many times HeartbeatDelay+PongTimeout, yet kept.
			assert.Zero(t, svc.log.count(conn, sockjs.EventClosed))
			require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte(`["alive"]`)))
			assert.Equal(t, `a["alive"]`, <-frames)
		})
	}
}

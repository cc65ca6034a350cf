package sockjs_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// TestSlowClientIsDropped opens a receiving connection that never reads and
// floods it: the session must end (by the queue bound or the write
// deadline) with EventClosed, instead of growing or blocking forever.
func TestSlowClientIsDropped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		open func(t *testing.T, addr string) net.Conn
	}{
		{"xhr_streaming", func(t *testing.T, addr string) net.Conn {
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			fmt.Fprintf(c, "POST /echo/0/slow/xhr_streaming HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
			return c
		}},
		{"websocket", func(t *testing.T, addr string) net.Conn {
			ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/echo/0/slow/websocket", nil)
			require.NoError(t, err)
			return ws.NetConn()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startService(t, nil, sockjs.Options{WriteTimeout: 200 * time.Millisecond, MaxQueuedBytes: 1 << 20})
			c := tc.open(t, s.HTTP.Listener.Addr().String())
			defer c.Close()
			conn := s.log.nth(t, 0)
			msg := strings.Repeat("x", 64<<10)
			var err error
			for i := 0; i < 4096 && err == nil; i++ {
				err = conn.Send(msg)
			}
			require.Error(t, err, "the session accepted 256 MiB for a client that reads nothing")
			s.log.closed(t, conn)
			assert.Equal(t, uint64(1), s.h.Stats().SessionsClosed)
		})
	}
}

// TestHostileSessionCannotStealReceiver checks that a second client using a
// live session's id is refused with 2010 while the first keeps the stream.
func TestHostileSessionCannotStealReceiver(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	victim, _ := s.open(t, client.XHRStreaming)
	thief := openStream(t, http.MethodPost, s.at(victim.Client.SessionID(), "xhr_streaming"), nil)
	thief.readUntil(t, "\n") // prelude
	assert.Equal(t, frame2010+"\n", thief.readUntil(t, "\n"))
	thief.eof(t)

	victim.Send("still mine")
	assert.Equal(t, "still mine", victim.Recv())
}

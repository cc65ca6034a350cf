package sockjs_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// TestSlowClientIsDropped opens a receiving connection that never reads and
// floods it: the session must end (by the queue bound or the write
// deadline) with EventClosed, instead of growing or blocking forever.
func TestSlowClientIsDropped(t *testing.T) {
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
			rec := newRecorder(false)
			srv, h := newServer(t, rec, sockjs.Options{
				WriteTimeout:   200 * time.Millisecond,
				MaxQueuedBytes: 1 << 20,
			})
			c := tc.open(t, strings.TrimPrefix(srv.URL, "http://"))
			defer c.Close()
			conn := rec.conn(t, 0)

			msg := strings.Repeat("x", 64<<10)
			var err error
			for i := 0; i < 4096 && err == nil; i++ {
				err = conn.Send(msg)
			}
			require.Error(t, err, "the session accepted 256 MiB for a client that reads nothing")
			rec.wait(t, sockjs.EventClosed)
			st := h.Stats()
			assert.Equal(t, uint64(1), st.SessionsClosed)
			assert.Equal(t, 1, rec.count(sockjs.EventClosed))
		})
	}
}

// TestHostileSessionCannotStealReceiver checks that a second client using a
// live session's id is refused with 2010 while the first keeps the stream.
func TestHostileSessionCannotStealReceiver(t *testing.T) {
	rec := newRecorder(true)
	srv, _ := newServer(t, rec, sockjs.Options{})
	url := srv.URL + "/echo/000/victim"
	victim := openStream(t, "POST", url+"/xhr_streaming", nil)
	victim.readUntil(t, "\n") // prelude
	require.Equal(t, "o\n", victim.readUntil(t, "\n"))

	thief := openStream(t, "POST", url+"/xhr_streaming", nil)
	thief.readUntil(t, "\n")
	assert.Equal(t, "c[2010,\"Another connection still open\"]\n", thief.readUntil(t, "\n"))
	thief.eof(t)

	resp, _ := do(t, "POST", url+"/xhr_send", `["still mine"]`, nil)
	require.Equal(t, 204, resp.StatusCode)
	assert.Equal(t, "a[\"still mine\"]\n", victim.readUntil(t, "\n"))
}

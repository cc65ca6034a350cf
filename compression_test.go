package sockjs_test

import (
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/sockjstest"
)

// countingConn counts the bytes read from a connection and records the
// largest read asked of it.
type countingConn struct {
	net.Conn
	read    *atomic.Int64
	maxRead *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	for {
		m := c.maxRead.Load()
		if int64(len(p)) <= m || c.maxRead.CompareAndSwap(m, int64(len(p))) {
			break
		}
	}
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// countingDialer dials websockets, offering permessage-deflate when
// compress is set, and counts the bytes they receive.
func countingDialer(compress bool, read *atomic.Int64) *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout:  waitFor,
		EnableCompression: compress,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, read: read, maxRead: new(atomic.Int64)}, nil
		},
	}
}

func TestCompression(t *testing.T) {
	t.Parallel()
	// 64 KiB of chat-like text, which deflate shrinks many times; no
	// character in it needs escaping in JSON.
	var b strings.Builder
	for i := 0; b.Len() < 64<<10; i++ {
		b.WriteString(`{user: 'alice', room: 'general', text: 'message number `)
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(`'},`)
	}
	msg := b.String()
	for _, raw := range []bool{false, true} {
		for _, server := range []bool{false, true} {
			for _, clientOn := range []bool{false, true} {
				name := map[bool]string{false: "sockjs", true: "raw"}[raw] +
					map[bool]string{false: "/server-off", true: "/server-on"}[server] +
					map[bool]string{false: "/client-off", true: "/client-on"}[clientOn]
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					svc := startService(t, echo, sockjs.Options{Compression: server, CompressionLevel: 6})
					tr := map[bool]client.Transport{false: client.Websocket, true: client.WebsocketRaw}[raw]
					var read atomic.Int64
					d := svc.Dialer(tr)
					d.WebsocketDialer = countingDialer(clientOn, &read)
					ctx, cancel := context.WithTimeout(context.Background(), waitFor)
					defer cancel()
					cc, err := d.Dial(ctx, svc.URL)
					require.NoError(t, err)
					c := &sockjstest.Conn{Client: cc, T: t, Timeout: waitFor}
					defer c.Close(1000, "")
					before := read.Load()
					c.Send(msg)
					assert.Equal(t, msg, c.Recv())
					onWire := read.Load() - before
					if server && clientOn {
						assert.Less(t, onWire, int64(len(msg)/4), "compressed echo")
					} else {
						assert.Greater(t, onWire, int64(len(msg)), "uncompressed echo")
					}
				})
			}
		}
	}
}

// TestCompressedFrameWithoutNegotiation sends a frame marked compressed
// (RSV1) on a websocket that negotiated no extension: a protocol error.
func TestCompressedFrameWithoutNegotiation(t *testing.T) {
	t.Parallel()
	for _, server := range []bool{false, true} {
		t.Run(map[bool]string{false: "server-off", true: "server-on"}[server], func(t *testing.T) {
			t.Parallel()
			svc := startService(t, echo, sockjs.Options{Compression: server})
			c := utf8Endpoint{}.open(t, svc.HTTP) // offers no extension
			c.writeFrame(true, 0x40|opText, []byte(`["x"]`))
			_, code, closed := c.read()
			require.True(t, closed)
			assert.Equal(t, websocket.CloseProtocolError, code)
			conn := svc.log.nth(t, 0)
			assert.Equal(t, sockjs.CloseInterrupted, svc.log.closed(t, conn).Code)
			assert.Empty(t, svc.log.recvs(conn))
		})
	}
}

// recordingListener records the largest read asked of any connection it
// accepted.
type recordingListener struct {
	net.Listener
	maxRead atomic.Int64
	read    atomic.Int64
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, read: &l.read, maxRead: &l.maxRead}, nil
}

// TestWebsocketBufferSizes checks that the buffer options reach the
// socket: the server reads the socket in reads of at most its read buffer
// size, and, compressing, writes frames of at most its write buffer size.
func TestWebsocketBufferSizes(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 256, 8192} {
		t.Run(map[int]string{0: "default", 256: "256", 8192: "8192"}[size], func(t *testing.T) {
			t.Parallel()
			l := &recordingListener{}
			var err error
			l.Listener, err = net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			const small = 2000
			var closed sync.WaitGroup
			smallRead := make(chan struct{})
			// Small messages are counted, large ones echoed.
			h := sockjs.NewHandler("/echo", func(c *sockjs.Conn, ev sockjs.Event, n int) int {
				switch {
				case ev.Type == sockjs.EventRecv && len(ev.Data) > 100:
					c.Send(ev.Data)
				case ev.Type == sockjs.EventRecv:
					if n++; n == small {
						close(smallRead)
					}
				case ev.Type == sockjs.EventClosed:
					closed.Done()
				}
				return n
			}, 0, sockjs.Options{Compression: true,
				WebsocketReadBufferSize: size, WebsocketWriteBufferSize: size})
			srv := httptest.NewUnstartedServer(h)
			srv.Listener.Close()
			srv.Listener = l
			srv.Start()
			t.Cleanup(srv.Close)

			closed.Add(1)
			d := websocket.Dialer{HandshakeTimeout: waitFor, EnableCompression: true}
			c, resp, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/echo/websocket", nil)
			require.NoError(t, err)
			resp.Body.Close()
			l.maxRead.Store(0) // from here on, the socket's own reads
			// Many small messages in one write fill the read buffer.
			var batch []byte
			var frame [64]byte
			for range small {
				f := append(frame[:0], 0x81, 0x80|4, 1, 2, 3, 4)
				f = append(f, 'a'^1, 'b'^2, 'c'^3, 'd'^4)
				batch = append(batch, f...)
			}
			uc := c.NetConn()
			_, err = uc.Write(batch)
			require.NoError(t, err)
			select {
			case <-smallRead:
			case <-time.After(waitFor):
				t.Fatal("the small messages were not all read")
			}
			want := int64(size)
			if size == 0 {
				want = 1024
			}
			assert.LessOrEqual(t, l.maxRead.Load(), want, "largest read of the socket")
			assert.Greater(t, l.maxRead.Load(), want/2, "largest read of the socket")

			// A message larger than the write buffer, compressing: the
			// server writes it in frames no larger than its buffer.
			rnd := rand.New(rand.NewPCG(1, 2))
			big := make([]byte, 20000)
			for i := range big {
				big[i] = 'a' + byte(rnd.IntN(26))
			}
			require.NoError(t, c.WriteMessage(websocket.TextMessage, big))
			frames := readFrameSizes(t, uc)
			wbuf := size
			if size == 0 {
				wbuf = 4096
			}
			assert.Greater(t, len(frames), 1, "a message fragmented by the write buffer")
			for _, n := range frames {
				assert.LessOrEqual(t, n, wbuf, "frame payload")
			}
			c.Close()
			closed.Wait()
		})
	}
}

// readFrameSizes reads the frames of one message directly from conn and
// returns their payload sizes.
func readFrameSizes(t *testing.T, conn net.Conn) []int {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(waitFor))
	var sizes []int
	for {
		var h [2]byte
		_, err := io.ReadFull(conn, h[:])
		require.NoError(t, err)
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			_, err = io.ReadFull(conn, l[:])
			n = int(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			_, err = io.ReadFull(conn, l[:])
			n = int(binary.BigEndian.Uint64(l[:]))
		}
		require.NoError(t, err)
		_, err = io.CopyN(io.Discard, conn, int64(n))
		require.NoError(t, err)
		sizes = append(sizes, n)
		if h[0]&0x80 != 0 {
			return sizes
		}
	}
}

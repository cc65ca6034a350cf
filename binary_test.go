package sockjs_test

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// binaryEcho echoes binary messages as binary and text as text.
func binaryEcho(c *sockjs.Conn, ev sockjs.Event) {
	if ev.Type != sockjs.EventRecv {
		return
	}
	if ev.Binary {
		c.SendBinary([]byte(ev.Data))
	} else {
		c.Send(ev.Data)
	}
}

// readRaw reads one message of any type.
func readRaw(t *testing.T, c *websocket.Conn) (int, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitFor))
	typ, p, err := c.ReadMessage()
	require.NoError(t, err)
	return typ, string(p)
}

func TestBinaryMessages(t *testing.T) {
	t.Parallel()
	every := make([]byte, 256)
	for i := range every {
		every[i] = byte(i)
	}
	svc := startService(t, binaryEcho, sockjs.Options{BinaryMessages: true})
	c := svc.rawWS(t, "/websocket", nil)
	require.NoError(t, c.WriteMessage(websocket.BinaryMessage, every))
	typ, got := readRaw(t, c)
	assert.Equal(t, websocket.BinaryMessage, typ)
	assert.Equal(t, string(every), got)
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte("text ☃")))
	typ, got = readRaw(t, c)
	assert.Equal(t, websocket.TextMessage, typ)
	assert.Equal(t, "text ☃", got)

	conn := svc.log.nth(t, 0)
	var flags []bool
	for _, e := range svc.log.callsOf(conn) {
		if e.ev.Type == sockjs.EventRecv {
			flags = append(flags, e.ev.Binary)
		}
	}
	assert.Equal(t, []bool{true, false}, flags, "Event.Binary")
	// A text message must still be valid UTF-8.
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte{0xff}))
	assert.Equal(t, sockjs.CloseInvalidUTF8, wsReadClose(t, c).Code)
}

func TestBinaryMessagesOff(t *testing.T) {
	t.Parallel()
	svc := startService(t, binaryEcho, sockjs.Options{})
	c := svc.rawWS(t, "/websocket", nil)
	// As before the option existed: a binary frame is a text message.
	require.NoError(t, c.WriteMessage(websocket.BinaryMessage, []byte("bytes ☃")))
	typ, got := readRaw(t, c)
	assert.Equal(t, websocket.TextMessage, typ)
	assert.Equal(t, "bytes ☃", got)
	conn := svc.log.nth(t, 0)
	assert.ErrorIs(t, conn.SendBinary([]byte{1}), sockjs.ErrBinaryUnsupported)
	// ... and so must hold valid UTF-8.
	require.NoError(t, c.WriteMessage(websocket.BinaryMessage, []byte{0xff, 0xfe}))
	assert.Equal(t, sockjs.CloseInvalidUTF8, wsReadClose(t, c).Code)
	assert.Equal(t, []string{"bytes ☃"}, svc.log.recvs(conn))
}

func TestBinaryMessagesNotOnSockJS(t *testing.T) {
	t.Parallel()
	svc := startService(t, nil, sockjs.Options{BinaryMessages: true})
	_, conn := svc.open(t, client.Websocket)
	assert.ErrorIs(t, conn.SendBinary([]byte{1}), sockjs.ErrBinaryUnsupported)
}

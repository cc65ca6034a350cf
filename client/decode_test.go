package client_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs/client"
)

// A decodeCase is a response body and what the client must make of it.
type decodeCase struct {
	name string
	body string
	want []string // the messages Recv returns
	err  error    // what ends the connection then; nil: it stays open
	dial error    // what Dial returns, if not a connection
}

// TestDecodeXHR feeds hand-written responses to the xhr transports, which
// read them as sockjs-client does: one frame per line, empty lines
// skipped.
func TestDecodeXHR(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("y", 10000) // longer than the reader's buffer
	cases := []decodeCase{
		{"messages", "o\na[\"x\",\"y\"]\na[\"z\"]\n", []string{"x", "y", "z"}, nil, nil},
		{"prelude and heartbeats", strings.Repeat("h", 2048) + "\no\nh\na[\"x\"]\nh\n", []string{"x"}, nil, nil},
		{"empty lines and CRs", "\no\r\n\n\na[\"x\"]\r\n", []string{"x"}, nil, nil},
		{"escapes", `o` + "\n" + `a["\"\\\/\b\f\n\r\t\u00e9\u2028"]` + "\n", []string{"\"\\/\b\f\n\r\t\u00e9\u2028"}, nil, nil},
		{"lone surrogates", `o` + "\n" + `a["\ud800","\udfff\ud800","x\udbff"]` + "\n",
			[]string{"\xed\xa0\x80", "\xed\xbf\xbf\xed\xa0\x80", "x\xed\xaf\xbf"}, nil, nil},
		{"surrogate pair", `o` + "\n" + `a["\ud83d\ude00","\uD83D\uDE00"]` + "\n", []string{"😀", "😀"}, nil, nil},
		{"invalid UTF-8", "o\na[\"a\xffb\"]\n", []string{"a\ufffdb"}, nil, nil},
		{"m frame", "o\nm\"single\"\n", []string{"single"}, nil, nil},
		{"long frame", "o\na[\"" + long + "\"]\n", []string{long}, nil, nil},
		{"empty array", "o\na[]\na[\"x\"]\n", []string{"x"}, nil, nil},
		{"close frame", "o\na[\"x\"]\nc[3000,\"Go away!\"]\n", []string{"x"}, &client.CloseError{Code: 3000, Reason: "Go away!"}, nil},
		{"close frame escapes", "o\nc[4000,\"\\u00e9\\\"\"]\n", nil, &client.CloseError{Code: 4000, Reason: "é\""}, nil},
		{"close refuses the session", "c[2010,\"Another connection still open\"]\n", nil, nil, &client.CloseError{Code: 2010, Reason: "Another connection still open"}},
		{"close frame without reason", "o\nc[3000]\n", nil, client.ErrProtocol, nil},
		{"close frame, bad code", "o\nc[\"3000\",\"x\"]\n", nil, client.ErrProtocol, nil},
		{"messages before open", "a[\"x\"]\n", nil, nil, client.ErrProtocol},
		{"second open", "o\na[\"x\"]\no\n", []string{"x"}, client.ErrProtocol, nil},
		{"not strings", "o\na[1]\n", nil, client.ErrProtocol, nil},
		{"a with a string", "o\na\"x\"\n", nil, client.ErrProtocol, nil},
		{"m with an array", "o\nm[\"x\"]\n", nil, client.ErrProtocol, nil},
		{"broken JSON", "o\na[\"x\"\n", nil, client.ErrProtocol, nil},
		{"unknown frame", "o\nz\n", nil, client.ErrProtocol, nil},
		{"cut inside a frame", "o\na[\"x\"]\na[\"y", []string{"x"}, io.ErrUnexpectedEOF, nil},
		{"line over MaxFrameSize", "o\na[\"" + strings.Repeat("x", 1<<16) + "\"]\n", nil, client.ErrProtocol, nil},
	}
	for _, tr := range []client.Transport{client.XHRStreaming, client.XHRPolling} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			runDecodeCases(t, tr, cases)
		})
	}
	t.Run("short frame over MaxFrameSize", func(t *testing.T) {
		t.Parallel()
		s := (&script{recv: []string{"o\na[\"" + strings.Repeat("x", 100) + "\"]\n"}}).start(t)
		d := dialer(t, client.XHRStreaming)
		d.MaxFrameSize = 64
		c := dial(t, d, s.URL)
		_, err := recvEnd(t, c)
		assert.ErrorIs(t, err, client.ErrProtocol)
	})
}

// TestDecodeEventSource feeds hand-written event streams to the
// eventsource transport, which reads them as a browser's EventSource and
// sockjs-client do: lines end at CR, LF or CRLF, "data" fields make the
// event, decodeURI decodes it.
func TestDecodeEventSource(t *testing.T) {
	t.Parallel()
	cases := []decodeCase{
		{"CRLF", "\r\ndata: o\r\n\r\ndata: a[\"x\"]\r\n\r\n", []string{"x"}, nil, nil},
		{"LF", "data: o\n\ndata: a[\"x\"]\n\n", []string{"x"}, nil, nil},
		{"CR", "data: o\r\rdata: a[\"x\"]\r\r", []string{"x"}, nil, nil},
		{"byte order mark", "\ufeffdata: o\n\ndata: a[\"x\"]\n\n", []string{"x"}, nil, nil},
		{"no space", "data:o\n\ndata:a[\"x\"]\n\n", []string{"x"}, nil, nil},
		{"only one space is stripped", "data: o\n\ndata:  a[\"x\"]\n\n", nil, client.ErrProtocol, nil},
		{"data lines joined", "data: o\n\ndata: a[\"x\",\ndata: \"y\"]\n\n", []string{"x", "y"}, nil, nil},
		{"comments, id, retry", ": hi\ndata: o\nid: 1\n\nretry: 10\n:\ndata: a[\"x\"]\n\n", []string{"x"}, nil, nil},
		{"other event types", "data: o\n\nevent: other\ndata: a[\"no\"]\n\nevent: message\ndata: a[\"yes\"]\n\n", []string{"yes"}, nil, nil},
		{"no data, no event", "data: o\n\n\n\nid: 3\n\ndata: a[\"x\"]\n\n", []string{"x"}, nil, nil},
		{"percent escapes", "data: o\n\ndata: a[\"100%25\",\"%3B%2F\",\"%e2%82%ac\"]\n\n", []string{"100%", "%3B%2F", "€"}, nil, nil},
		{"escaped line break", "data: o\n\ndata: a[\"x\",%0A\"y\"]\n\n", []string{"x", "y"}, nil, nil},
		{"CR inside a line", "data: o\n\ndata: a[\"x\",\r\"y\"]\n\n", nil, client.ErrProtocol, nil},
		{"malformed escape", "data: o\n\ndata: a[\"100%\"]\n\n", nil, client.ErrProtocol, nil},
		{"escaped surrogate", "data: o\n\ndata: a[\"%ed%a0%80\"]\n\n", nil, client.ErrProtocol, nil},
		{"close frame", "data: o\n\ndata: c[3000,\"Go away!\"]\n\n", nil, &client.CloseError{Code: 3000, Reason: "Go away!"}, nil},
		{"refused", "\r\ndata: c[2010,\"Another connection still open\"]\r\n\r\n", nil, nil, &client.CloseError{Code: 2010, Reason: "Another connection still open"}},
		{"line over MaxFrameSize", "data: o\n\ndata: a[\"" + strings.Repeat("x", 1<<16) + "\"]\n\n", nil, client.ErrProtocol, nil},
		{"cut inside an event", "data: o\n\ndata: a[\"x\"]\n", nil, io.ErrUnexpectedEOF, nil},
	}
	runDecodeCases(t, client.EventSource, cases)
}

// runDecodeCases serves each case's body as the first receiving response
// and checks what Recv returns.
func runDecodeCases(t *testing.T, tr client.Transport, cases []decodeCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := (&script{recv: []string{tc.body}}).start(t)
			d := dialer(t, tr)
			d.MaxFrameSize = 1 << 15
			c, err := d.Dial(testContext(t), s.URL)
			if tc.dial != nil {
				assertEnd(t, tc.dial, err)
				return
			}
			require.NoError(t, err)
			defer c.Close(1000, "")
			if tc.err == nil {
				assert.Equal(t, tc.want, recv(t, c, len(tc.want)))
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				defer cancel()
				_, err := c.Recv(ctx)
				assert.ErrorIs(t, err, context.DeadlineExceeded, "the connection must stay open")
				return
			}
			got, err := recvEnd(t, c)
			assert.Equal(t, tc.want, got)
			assertEnd(t, tc.err, err)
		})
	}
}

// assertEnd checks that got is the error want: the same close, or an error
// that wraps want.
func assertEnd(t *testing.T, want, got error) {
	t.Helper()
	var ce *client.CloseError
	if errors.As(want, &ce) {
		assert.Equal(t, want, got)
	} else {
		assert.ErrorIs(t, got, want)
	}
}

// TestDecodeWebsocket sends hand-written WebSocket messages.
func TestDecodeWebsocket(t *testing.T) {
	t.Parallel()
	type msg struct {
		typ  int
		data string
	}
	cases := []struct {
		name string
		msgs []msg // sent after the open frame
		end  func(c *websocket.Conn)
		want []string
		err  error
	}{
		{"messages", []msg{{websocket.TextMessage, `a["x","y"]`}, {websocket.TextMessage, "h"}, {websocket.TextMessage, `a["z"]`}}, nil, []string{"x", "y", "z"}, nil},
		{"close frame", []msg{{websocket.TextMessage, `a["x"]`}, {websocket.TextMessage, `c[3000,"Go away!"]`}}, nil, []string{"x"}, &client.CloseError{Code: 3000, Reason: "Go away!"}},
		{"WebSocket close without a close frame", []msg{{websocket.TextMessage, `a["x"]`}}, func(c *websocket.Conn) {
			c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1009, "too big"))
		}, []string{"x"}, &client.CloseError{Code: 1009, Reason: "too big"}},
		{"connection cut", []msg{{websocket.TextMessage, `a["x"]`}}, func(c *websocket.Conn) { c.NetConn().Close() }, []string{"x"}, io.ErrUnexpectedEOF},
		{"binary message", []msg{{websocket.BinaryMessage, `a["x"]`}}, nil, nil, client.ErrProtocol},
		{"invalid UTF-8", []msg{{websocket.TextMessage, "a[\"\xff\"]"}}, nil, nil, client.ErrProtocol},
		{"empty frame", []msg{{websocket.TextMessage, ""}}, nil, nil, client.ErrProtocol},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := (&script{ws: func(c *websocket.Conn) {
				c.WriteMessage(websocket.TextMessage, []byte("o"))
				for _, m := range tc.msgs {
					c.WriteMessage(m.typ, []byte(m.data))
				}
				if tc.end != nil {
					tc.end(c)
				}
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}}).start(t)
			c := dial(t, dialer(t, client.Websocket), s.URL)
			if tc.err == nil {
				assert.Equal(t, tc.want, recv(t, c, len(tc.want)))
				return
			}
			got, err := recvEnd(t, c)
			assert.Equal(t, tc.want, got)
			assertEnd(t, tc.err, err)
		})
	}
}

// TestDecodeWebsocketRaw reads plain messages from the raw endpoint.
func TestDecodeWebsocketRaw(t *testing.T) {
	t.Parallel()
	s := (&script{ws: func(c *websocket.Conn) {
		c.WriteMessage(websocket.TextMessage, []byte("o"))
		c.WriteMessage(websocket.TextMessage, []byte(`a["x"]`))
		c.WriteMessage(websocket.BinaryMessage, []byte("\xff\x00"))
		c.WriteMessage(websocket.TextMessage, []byte("\xff"))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}}).start(t)
	c := dial(t, dialer(t, client.WebsocketRaw), s.URL)
	got, err := recvEnd(t, c)
	assert.Equal(t, []string{"o", `a["x"]`, "\xff\x00"}, got, "no framing; binary messages as their bytes")
	assert.ErrorIs(t, err, client.ErrProtocol, "a text message that is not UTF-8")
}

package sockjs_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// The tests of this file speak the websocket protocols byte by byte, so
// that they can send what no well-behaved client library sends: text frames
// holding invalid UTF-8, and characters split across continuation frames.

// frameClient is an RFC 6455 or hixie-76 client on a raw connection.
type frameClient struct {
	t     *testing.T
	nc    net.Conn
	br    *bufio.Reader
	hixie bool
}

// Opcodes of RFC 6455.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
)

// dialFrames opens a websocket to path on srv, in RFC 6455 or, with hixie,
// in the hixie-76 protocol.
func dialFrames(t *testing.T, srv *httptest.Server, path string, hixie bool) *frameClient {
	t.Helper()
	host := srv.Listener.Addr().String()
	nc, err := net.Dial("tcp", host)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	require.NoError(t, nc.SetDeadline(time.Now().Add(waitFor)))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: Upgrade\r\n"
	if hixie {
		// The example keys of draft-76, section 1.3.
		req += "Upgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n" +
			"Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n"
	} else {
		var key [16]byte
		rand.Read(key[:])
		req += "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
			base64.StdEncoding.EncodeToString(key[:]) + "\r\n\r\n"
	}
	_, err = io.WriteString(nc, req)
	require.NoError(t, err)
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	if hixie {
		_, err = io.WriteString(nc, "^n:ds[4U")
		require.NoError(t, err)
		_, err = io.ReadFull(br, make([]byte, 16)) // the challenge answer
		require.NoError(t, err)
	}
	return &frameClient{t: t, nc: nc, br: br, hixie: hixie}
}

// writeFrame writes one masked RFC 6455 frame.
func (c *frameClient) writeFrame(fin bool, op byte, payload []byte) {
	c.t.Helper()
	b0 := op
	if fin {
		b0 |= 0x80
	}
	hdr := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 1<<16:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	masked := make([]byte, len(payload))
	for i, b := range payload {
		masked[i] = b ^ mask[i%4]
	}
	_, err := c.nc.Write(append(hdr, masked...))
	require.NoError(c.t, err)
}

// writeText writes msg as one text message: split into the given fragments
// for RFC 6455 (the whole message if none), or as one hixie-76 frame.
func (c *frameClient) writeText(msg string, cuts ...int) {
	c.t.Helper()
	if c.hixie {
		_, err := c.nc.Write([]byte("\x00" + msg + "\xff"))
		require.NoError(c.t, err)
		return
	}
	op, prev := byte(opText), 0
	for _, cut := range cuts {
		c.writeFrame(false, op, []byte(msg[prev:cut]))
		op, prev = opContinuation, cut
	}
	c.writeFrame(true, op, []byte(msg[prev:]))
}

// read returns the next message, or the close code (0 for hixie-76, which
// has none) once the server closes.
func (c *frameClient) read() (msg string, closeCode int, closed bool) {
	c.t.Helper()
	if c.hixie {
		b, err := c.br.ReadByte()
		require.NoError(c.t, err)
		if b == 0xff {
			b, err = c.br.ReadByte()
			require.NoError(c.t, err)
			require.Equal(c.t, byte(0), b, "hixie-76 closing frame")
			return "", 0, true
		}
		require.Equal(c.t, byte(0), b, "hixie-76 text frame")
		s, err := c.br.ReadString(0xff)
		require.NoError(c.t, err)
		return strings.TrimSuffix(s, "\xff"), 0, false
	}
	var h [2]byte
	_, err := io.ReadFull(c.br, h[:])
	require.NoError(c.t, err)
	require.Zero(c.t, h[1]&0x80, "server frames are not masked")
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		_, err = io.ReadFull(c.br, l[:])
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		_, err = io.ReadFull(c.br, l[:])
		n = binary.BigEndian.Uint64(l[:])
	}
	require.NoError(c.t, err)
	p := make([]byte, n)
	_, err = io.ReadFull(c.br, p)
	require.NoError(c.t, err)
	require.NotZero(c.t, h[0]&0x80, "the server does not fragment")
	switch h[0] & 0x0f {
	case opText:
		return string(p), 0, false
	case opClose:
		require.GreaterOrEqual(c.t, len(p), 2, "close frame with a code")
		return string(p[2:]), int(binary.BigEndian.Uint16(p)), true
	}
	c.t.Fatalf("unexpected opcode %#x", h[0]&0x0f)
	return "", 0, false
}

// readText reads one message, failing on a close.
func (c *frameClient) readText() string {
	c.t.Helper()
	msg, code, closed := c.read()
	require.False(c.t, closed, "closed with %d %q, expected a message", code, msg)
	return msg
}

// utf8Endpoint is one way in for websocket text: how to open it and how a
// message travels in its frames.
type utf8Endpoint struct {
	name  string
	hixie bool
	raw   bool
}

var utf8Endpoints = []utf8Endpoint{
	{name: "sockjs"},
	{name: "raw", raw: true},
	{name: "hixie-sockjs", hixie: true},
	{name: "hixie-raw", hixie: true, raw: true},
}

// open dials the endpoint and, for SockJS, reads the open frame.
func (e utf8Endpoint) open(t *testing.T, srv *httptest.Server) *frameClient {
	t.Helper()
	path := "/echo/000/" + newSID() + "/websocket"
	if e.raw {
		path = "/echo/websocket"
	}
	c := dialFrames(t, srv, path, e.hixie)
	if !e.raw {
		require.Equal(t, "o", c.readText())
	}
	return c
}

// wrap puts the bytes of msg into what the endpoint carries: itself on the
// raw endpoint, a JSON array holding it as a string for SockJS. msg has no
// character that JSON must escape.
func (e utf8Endpoint) wrap(msg string) string {
	if e.raw {
		return msg
	}
	return `["` + msg + `"]`
}

func TestWebsocketInvalidUTF8Closes1007(t *testing.T) {
	t.Parallel()
	invalid := []struct {
		name string
		msg  string
	}{
		{"issue example", "a\xff\xfe\xc0\xafb"},
		{"issue example without 0xff", "a\xfe\xc0\xafb"},
		{"lone continuation byte", "a\x80b"},
		{"overlong slash", "\xc0\xaf"},
		{"encoded surrogate", "\xed\xa0\x80"},
		{"beyond U+10FFFF", "\xf4\x90\x80\x80"},
		{"truncated at the end", "abc\xe2\x82"},
	}
	for _, e := range utf8Endpoints {
		for _, m := range invalid {
			if e.hixie && strings.Contains(m.msg, "\xff") {
				continue // 0xff ends a hixie-76 frame
			}
			t.Run(e.name+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				svc := startService(t, echo, sockjs.Options{})
				c := e.open(t, svc.HTTP)
				c.writeText(e.wrap("valid first"))
				want := "valid first"
				if !e.raw {
					want = `a["valid first"]`
				}
				require.Equal(t, want, c.readText())

				c.writeText(e.wrap(m.msg))
				_, code, closed := c.read()
				require.True(t, closed, "the server must fail the connection")
				if !e.hixie {
					assert.Equal(t, 1007, code)
				}
				conn := svc.log.nth(t, 0)
				svc.log.closed(t, conn)
				assert.Equal(t, []string{"valid first"}, svc.log.recvs(conn), "the invalid message is not delivered")
				assert.Equal(t, map[int]uint64{1007: 1}, svc.h.Stats().ClosedByCode, "the session's close code")
			})
		}
	}
}

func TestWebsocketValidUTF8Accepted(t *testing.T) {
	t.Parallel()
	// "é" is 2 bytes, "€" 3, "😀" 4, U+FFFF 3: every cut below falls inside
	// a character, so only a check of the whole message accepts them.
	msg := "é€😀\uffff"
	cuts := [][]int{nil, {1}, {3}, {4}, {7}, {9}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}
	for _, e := range utf8Endpoints {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			svc := startService(t, echo, sockjs.Options{})
			c := e.open(t, svc.HTTP)
			for _, cut := range cuts {
				if e.hixie && cut != nil {
					continue // hixie-76 has no fragments
				}
				wrapped := e.wrap(msg)
				shift := len(wrapped) - len(msg) - len(`"]`)
				if e.raw {
					shift = 0
				}
				var at []int
				for _, k := range cut {
					at = append(at, k+shift)
				}
				c.writeText(wrapped, at...)
				got := c.readText()
				if e.raw {
					assert.Equal(t, msg, got, "cuts %v", cut)
				} else {
					assert.Equal(t, `a["é€😀\uffff"]`, got, "cuts %v", cut)
				}
			}
			c.writeText(e.wrap("end"))
			c.readText()
			conn := svc.log.nth(t, 0)
			svc.log.never(t, "EventClosed", func() bool { return svc.log.countLocked(conn, sockjs.EventClosed) > 0 })
		})
	}
}

func TestRawWebsocketSendsValidUTF8(t *testing.T) {
	t.Parallel()
	svc := startService(t, nil, sockjs.Options{})
	c := utf8Endpoint{raw: true}.open(t, svc.HTTP)
	conn := svc.log.nth(t, 0)
	// An invalid byte, and the WTF-8 surrogate that a SockJS session
	// delivers for a lone surrogate, each become one U+FFFD.
	require.NoError(t, conn.Send("x\xffy\xed\xa0\x80z"))
	require.NoError(t, conn.Send("ok ☃"))
	assert.Equal(t, "x\ufffdy\ufffdz", c.readText())
	assert.Equal(t, "ok ☃", c.readText())
}

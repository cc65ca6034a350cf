package hixie76

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	suiteKey1 = "4 @1  46546xW%0l 1 5"
	suiteKey2 = "12998 5 Y3 1  .P00"
	suiteKey3 = "aaaaaaaa"
)

var suiteAnswer = []byte("\xca4\x00\xd8\xa5\x08G\x97,\xd5qZ\xba\xbfC{")

// echoServer starts a server that upgrades every request and echoes text
// frames until the peer closes. Upgrade errors are sent on errc.
func echoServer(t *testing.T, readLimit int64) (*httptest.Server, chan error) {
	t.Helper()
	errc := make(chan error, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r)
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		if readLimit > 0 {
			c.SetReadLimit(readLimit)
		}
		for {
			msg, err := c.ReadMessage()
			if err != nil {
				if err == io.EOF {
					_ = c.WriteClose()
				}
				errc <- err
				return
			}
			if err := c.WriteMessage(msg); err != nil {
				errc <- err
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, errc
}

func suiteRequest(host, path, key1 string) string {
	return "GET " + path + " HTTP/1.1\r\n" +
		"Host: " + host + "\r\n" +
		"Connection: Upgrade\r\n" +
		"Upgrade: WebSocket\r\n" +
		"Origin: http://" + host + "\r\n" +
		"Sec-WebSocket-Key1: " + key1 + "\r\n" +
		"Sec-WebSocket-Key2: " + suiteKey2 + "\r\n" +
		"\r\n"
}

// handshake dials srv, performs the suite's handshake and returns the raw
// connection and its reader positioned after the challenge answer.
func handshake(t *testing.T, srv *httptest.Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	host := srv.Listener.Addr().String()
	const path = "/000/abc/websocket"
	nc, err := net.Dial("tcp", host)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	require.NoError(t, nc.SetDeadline(time.Now().Add(10*time.Second)))

	_, err = io.WriteString(nc, suiteRequest(host, path, suiteKey1))
	require.NoError(t, err)

	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	assert.Equal(t, "WebSocket", resp.Header.Get("Upgrade"))
	assert.Equal(t, "Upgrade", resp.Header.Get("Connection"))
	assert.Equal(t, "http://"+host, resp.Header.Get("Sec-WebSocket-Origin"))
	assert.Equal(t, "ws://"+host+path, resp.Header.Get("Sec-WebSocket-Location"))
	assert.Empty(t, resp.Header.Values("Content-Length"))
	assert.Equal(t, 0, br.Buffered(), "server must not send the answer before key3")

	// key3 is sent only after the 101 has been received, as HAProxy does.
	_, err = io.WriteString(nc, suiteKey3)
	require.NoError(t, err)
	answer := make([]byte, 16)
	_, err = io.ReadFull(br, answer)
	require.NoError(t, err)
	assert.Equal(t, suiteAnswer, answer)
	return nc, br
}

func TestHandshakeEchoClose(t *testing.T) {
	srv, errc := echoServer(t, 0)
	nc, br := handshake(t, srv)

	for _, msg := range []string{"hello", "", `["a","b"]`, "zażółć ☃"} {
		_, err := nc.Write([]byte("\x00" + msg + "\xff"))
		require.NoError(t, err)
		b, err := br.ReadByte()
		require.NoError(t, err)
		assert.Equal(t, byte(0x00), b)
		got, err := br.ReadString(0xFF)
		require.NoError(t, err)
		assert.Equal(t, msg, strings.TrimSuffix(got, "\xff"))
	}

	_, err := nc.Write([]byte{0xFF, 0x00})
	require.NoError(t, err)
	closeFrame := make([]byte, 2)
	_, err = io.ReadFull(br, closeFrame)
	require.NoError(t, err)
	assert.Equal(t, []byte{0xFF, 0x00}, closeFrame)
	assert.ErrorIs(t, <-errc, io.EOF)
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF)
}

func TestKey3SentEarly(t *testing.T) {
	// A direct (non-proxied) client sends key3 right after the headers.
	srv, _ := echoServer(t, 0)
	host := srv.Listener.Addr().String()
	nc, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer nc.Close()
	require.NoError(t, nc.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(nc, suiteRequest(host, "/", suiteKey1)+suiteKey3+"\x00hi\xff")
	require.NoError(t, err)
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	answer := make([]byte, 16+4)
	_, err = io.ReadFull(br, answer)
	require.NoError(t, err)
	assert.Equal(t, suiteAnswer, answer[:16])
	assert.Equal(t, []byte("\x00hi\xff"), answer[16:])
}

func TestBadHandshake(t *testing.T) {
	srv, errc := echoServer(t, 0)
	host := srv.Listener.Addr().String()
	tests := []struct {
		name   string
		method string
		header map[string]string
	}{
		{"key without spaces", "GET", map[string]string{"Sec-WebSocket-Key1": "12345"}},
		{"not divisible", "GET", map[string]string{"Sec-WebSocket-Key1": "1 2 3 4"}},
		{"no digits", "GET", map[string]string{"Sec-WebSocket-Key1": "a b c"}},
		{"too large", "GET", map[string]string{"Sec-WebSocket-Key1": "99999999999999999999 "}},
		{"method", "POST", nil},
		{"upgrade header", "GET", map[string]string{"Upgrade": "h2c"}},
		{"connection header", "GET", map[string]string{"Connection": "keep-alive"}},
		{"hybi version", "GET", map[string]string{"Sec-WebSocket-Version": "13"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+"/ws", nil)
			require.NoError(t, err)
			req.Header.Set("Connection", "keep-alive, Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Origin", "http://"+host)
			req.Header.Set("Sec-WebSocket-Key1", suiteKey1)
			req.Header.Set("Sec-WebSocket-Key2", suiteKey2)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.ErrorIs(t, <-errc, ErrBadHandshake)
		})
	}
}

func TestOversizedFrame(t *testing.T) {
	srv, errc := echoServer(t, 16)
	nc, br := handshake(t, srv)

	_, err := nc.Write([]byte("\x00" + strings.Repeat("x", 16) + "\xff"))
	require.NoError(t, err)
	got, err := br.ReadString(0xFF)
	require.NoError(t, err)
	assert.Equal(t, "\x00"+strings.Repeat("x", 16)+"\xff", got)

	_, err = nc.Write([]byte("\x00" + strings.Repeat("x", 17) + "\xff"))
	require.NoError(t, err)
	assert.ErrorIs(t, <-errc, ErrReadLimit)
}

func TestIsRequest(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   bool
	}{
		{"hixie76", map[string]string{"Sec-WebSocket-Key1": "a", "Sec-WebSocket-Key2": "b"}, true},
		{"missing key2", map[string]string{"Sec-WebSocket-Key1": "a"}, false},
		{"hybi", map[string]string{"Sec-WebSocket-Key1": "a", "Sec-WebSocket-Key2": "b", "Sec-WebSocket-Version": "13"}, false},
		{"plain", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			assert.Equal(t, tt.want, IsRequest(r))
		})
	}
}

func TestKeyNumber(t *testing.T) {
	tests := []struct {
		key     string
		want    uint32
		wantErr bool
	}{
		{"1 2", 12, false},
		{"4294967295 ", 4294967295, false},
		{"8589934590  ", 4294967295, false},
		{"4294967296 ", 0, true},
		{"12", 0, true},
		{"   ", 0, true},
		{"1 2 3", 0, true},
	}
	for _, tt := range tests {
		got, err := keyNumber(tt.key)
		if tt.wantErr {
			assert.Error(t, err, "key %q", tt.key)
			continue
		}
		require.NoError(t, err, "key %q", tt.key)
		assert.Equal(t, tt.want, got, "key %q", tt.key)
	}
}

func TestReadMessage(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    []string
		wantErr error
	}{
		{"text then gone without closing", "\x00a\xff\x00\xff", []string{"a", ""}, io.ErrUnexpectedEOF},
		{"close frame", "\x00x\xff\xff\x00\x00y\xff", []string{"x"}, io.EOF},
		{"truncated text", "\x00abc", nil, io.ErrUnexpectedEOF},
		{"truncated length", "\x80\x81", nil, io.ErrUnexpectedEOF},
		{"binary frame", "\x80\x01z", nil, ErrUnknownFrame},
		{"ff with length", "\xff\x01z", nil, ErrUnknownFrame},
		{"unknown text type", "\x01a\xff", nil, ErrUnknownFrame},
		{"invalid utf8", "\x00\xc3\x28\xff", nil, ErrInvalidUTF8},
		{"huge length", "\x80\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", nil, ErrReadLimit},
		{"endless length", "\x80" + strings.Repeat("\x80", 20) + "\x00", nil, ErrReadLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := pipeConn(t, []byte(tt.input))
			var got []string
			var err error
			for {
				var msg string
				msg, err = c.ReadMessage()
				if err != nil {
					break
				}
				got = append(got, msg)
			}
			assert.Equal(t, tt.want, got)
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestWriteMessage(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	c := newConn(server, bufio.NewReader(server))
	defer c.Close()
	go func() {
		_ = c.WriteMessage("hé")
		_ = c.WriteClose()
	}()
	buf := make([]byte, 7)
	_, err := io.ReadFull(client, buf)
	require.NoError(t, err)
	assert.Equal(t, []byte("\x00hé\xff\xff\x00"), buf)
	assert.ErrorIs(t, c.WriteMessage("\xff"), ErrInvalidUTF8)
	assert.NotNil(t, c.RemoteAddr())
	assert.NotNil(t, c.LocalAddr())
	assert.NoError(t, c.SetReadDeadline(time.Time{}))
	assert.NoError(t, c.SetWriteDeadline(time.Time{}))
}

// pipeConn returns a Conn whose reads come from data, as if it had been
// received after the handshake.
func pipeConn(t testing.TB, data []byte) *Conn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return newConn(a, bufio.NewReaderSize(bytes.NewReader(data), 16))
}

func FuzzReadMessage(f *testing.F) {
	for _, s := range []string{
		"", "\x00hello\xff", "\xff\x00", "\x80\x05hello", "\x00\xc3\x28\xff",
		"\x00abc", "\x81\xff\xff\xff\x7f", "\x00" + strings.Repeat("a", 100) + "\xff\xff\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := pipeConn(t, data)
		c.SetReadLimit(64)
		for range len(data) + 1 {
			msg, err := c.ReadMessage()
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
					errors.Is(err, ErrUnknownFrame) || errors.Is(err, ErrReadLimit) ||
					errors.Is(err, ErrInvalidUTF8) {
					return
				}
				t.Fatalf("unexpected error: %v", err)
			}
			if len(msg) > 64 {
				t.Fatalf("message of %d bytes exceeds limit", len(msg))
			}
			if strings.IndexByte(msg, 0xFF) >= 0 {
				t.Fatalf("message contains frame terminator")
			}
		}
		t.Fatalf("ReadMessage did not terminate on %d bytes", len(data))
	})
}

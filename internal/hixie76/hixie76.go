// Package hixie76 implements the server side of the legacy hixie-76
// (draft-ietf-hybi-thewebsocketprotocol-00, also known as draft-76)
// WebSocket protocol.
//
// The protocol is obsolete, but the SockJS protocol test suite still
// exercises it as it appears when proxied through HAProxy: the client's
// 8-byte key3 is only forwarded after the server has sent its 101 response.
// Upgrade therefore flushes the response headers before reading key3 and
// then writes the 16-byte challenge answer.
//
// After the handshake, text messages are framed as a 0x00 byte, the UTF-8
// payload and a 0xFF byte. The closing handshake is the two bytes 0xFF 0x00.
package hixie76

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultReadLimit is the maximum size in bytes of a message accepted by
// ReadMessage unless changed with SetReadLimit.
const DefaultReadLimit = 1 << 20

// handshakeTimeout bounds the time Upgrade waits for the client's key3.
const handshakeTimeout = 30 * time.Second

var (
	// ErrBadHandshake is returned (wrapped) by Upgrade when the request is
	// not a valid hixie-76 upgrade request.
	ErrBadHandshake = errors.New("hixie76: bad handshake")

	// ErrReadLimit is returned by ReadMessage when a frame exceeds the
	// read limit.
	ErrReadLimit = errors.New("hixie76: message exceeds read limit")

	// ErrUnknownFrame is returned by ReadMessage when the peer sends a
	// frame type other than a text frame or the closing frame.
	ErrUnknownFrame = errors.New("hixie76: unknown frame type")

	// ErrInvalidUTF8 is returned by ReadMessage when a text frame does not
	// hold valid UTF-8, and by WriteMessage when asked to send such text.
	ErrInvalidUTF8 = errors.New("hixie76: invalid UTF-8 in text frame")
)

// IsRequest reports whether r is a hixie-76 upgrade request, that is, it
// carries both Sec-WebSocket-Key1 and Sec-WebSocket-Key2 headers and no
// Sec-WebSocket-Version header.
func IsRequest(r *http.Request) bool {
	return r.Header.Get("Sec-WebSocket-Key1") != "" &&
		r.Header.Get("Sec-WebSocket-Key2") != "" &&
		len(r.Header.Values("Sec-WebSocket-Version")) == 0
}

// Conn is a server-side hixie-76 WebSocket connection returned by Upgrade.
//
// ReadMessage must not be called concurrently with itself. WriteMessage and
// WriteClose may be called concurrently with each other and with
// ReadMessage.
type Conn struct {
	conn      net.Conn
	br        *bufio.Reader
	readLimit int64

	wmu sync.Mutex
}

func newConn(nc net.Conn, br *bufio.Reader) *Conn {
	return &Conn{conn: nc, br: br, readLimit: DefaultReadLimit}
}

// Upgrade validates r as a hixie-76 upgrade request, hijacks the
// connection underlying w, performs the opening handshake and returns the
// resulting connection.
//
// If the request is invalid, Upgrade replies with 400 Bad Request and
// returns an error wrapping ErrBadHandshake. If the handshake fails after
// the connection has been hijacked, the connection is closed and an error
// is returned.
func Upgrade(w http.ResponseWriter, r *http.Request) (*Conn, error) {
	challenge, err := checkRequest(r)
	if err != nil {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return nil, err
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return nil, errors.New("hixie76: response does not implement http.Hijacker")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, fmt.Errorf("hixie76: hijack: %w", err)
	}

	// Bytes the server already read past the request headers (for example
	// a key3 sent without waiting for the 101) are kept; further reads go
	// directly to the network connection.
	var src io.Reader = nc
	if n := brw.Reader.Buffered(); n > 0 {
		buffered, _ := brw.Reader.Peek(n)
		src = io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), nc)
	}
	br := bufio.NewReader(src)

	fail := func(err error) (*Conn, error) {
		nc.Close()
		return nil, err
	}

	scheme := "ws"
	if r.TLS != nil {
		scheme = "wss"
	}
	var resp strings.Builder
	resp.WriteString("HTTP/1.1 101 WebSocket Protocol Handshake\r\n")
	resp.WriteString("Upgrade: WebSocket\r\n")
	resp.WriteString("Connection: Upgrade\r\n")
	if origin := r.Header.Get("Origin"); origin != "" {
		resp.WriteString("Sec-WebSocket-Origin: " + sanitize(origin) + "\r\n")
	}
	resp.WriteString("Sec-WebSocket-Location: " + scheme + "://" + sanitize(r.Host) + sanitize(r.URL.RequestURI()) + "\r\n")
	resp.WriteString("\r\n")

	deadline := time.Now().Add(handshakeTimeout)
	nc.SetDeadline(deadline)
	// The headers must reach the client before key3 is read: HAProxy only
	// forwards key3 once it has seen the 101 response.
	if _, err := io.WriteString(nc, resp.String()); err != nil {
		return fail(fmt.Errorf("hixie76: write handshake: %w", err))
	}
	if _, err := io.ReadFull(br, challenge[8:]); err != nil {
		return fail(fmt.Errorf("hixie76: read key3: %w", err))
	}
	sum := md5.Sum(challenge[:])
	if _, err := nc.Write(sum[:]); err != nil {
		return fail(fmt.Errorf("hixie76: write challenge response: %w", err))
	}
	nc.SetDeadline(time.Time{})
	return newConn(nc, br), nil
}

// checkRequest validates r and returns the 16-byte challenge buffer with
// the two key numbers filled in; key3 goes into the last eight bytes.
func checkRequest(r *http.Request) (challenge [16]byte, err error) {
	if r.Method != http.MethodGet {
		return challenge, fmt.Errorf("%w: method %s is not GET", ErrBadHandshake, r.Method)
	}
	if !strings.EqualFold(strings.TrimSpace(r.Header.Get("Upgrade")), "websocket") {
		return challenge, fmt.Errorf("%w: Upgrade header is not websocket", ErrBadHandshake)
	}
	if !hasToken(r.Header.Values("Connection"), "upgrade") {
		return challenge, fmt.Errorf("%w: Connection header lacks upgrade", ErrBadHandshake)
	}
	if !IsRequest(r) {
		return challenge, fmt.Errorf("%w: not a hixie-76 request", ErrBadHandshake)
	}
	k1, err := keyNumber(r.Header.Get("Sec-WebSocket-Key1"))
	if err != nil {
		return challenge, fmt.Errorf("%w: Sec-WebSocket-Key1: %v", ErrBadHandshake, err)
	}
	k2, err := keyNumber(r.Header.Get("Sec-WebSocket-Key2"))
	if err != nil {
		return challenge, fmt.Errorf("%w: Sec-WebSocket-Key2: %v", ErrBadHandshake, err)
	}
	binary.BigEndian.PutUint32(challenge[0:4], k1)
	binary.BigEndian.PutUint32(challenge[4:8], k2)
	return challenge, nil
}

// keyNumber computes the draft-76 key value: the key's digits read as a
// decimal number, divided by the number of spaces in the key.
func keyNumber(key string) (uint32, error) {
	var n uint64
	var digits, spaces int
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c >= '0' && c <= '9':
			digits++
			n = n*10 + uint64(c-'0')
			if n > math.MaxUint32*uint64(len(key)) {
				return 0, errors.New("key number too large")
			}
		case c == ' ':
			spaces++
		}
	}
	switch {
	case digits == 0:
		return 0, errors.New("key has no digits")
	case spaces == 0:
		return 0, errors.New("key has no spaces")
	case n%uint64(spaces) != 0:
		return 0, errors.New("key number is not a multiple of the number of spaces")
	}
	q := n / uint64(spaces)
	if q > math.MaxUint32 {
		return 0, errors.New("key number too large")
	}
	return uint32(q), nil
}

// hasToken reports whether any of the comma-separated header values
// contains token, compared case-insensitively.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// sanitize removes CR and LF so request data cannot inject header lines.
func sanitize(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

// SetReadLimit sets the maximum size in bytes of a message read from the
// peer. A frame larger than the limit makes ReadMessage return
// ErrReadLimit. A limit of zero or less restores DefaultReadLimit.
func (c *Conn) SetReadLimit(n int64) {
	if n <= 0 {
		n = DefaultReadLimit
	}
	c.readLimit = n
}

// ReadMessage reads the next text frame and returns its payload.
//
// It returns io.EOF when the peer sends the closing frame,
// io.ErrUnexpectedEOF if the connection ends without one, ErrReadLimit for frames larger than the read limit,
// ErrUnknownFrame for any frame other than a text or closing frame and
// ErrInvalidUTF8 for text that is not valid UTF-8. After an error the
// connection should be closed.
func (c *Conn) ReadMessage() (string, error) {
	typ, err := c.br.ReadByte()
	if err == io.EOF {
		return "", io.ErrUnexpectedEOF // gone without the closing frame
	}
	if err != nil {
		return "", err
	}
	if typ&0x80 != 0 {
		// Length-prefixed frame; only the closing frame 0xFF 0x00 is known.
		length, err := c.readLength()
		if err != nil {
			return "", err
		}
		if typ == 0xFF && length == 0 {
			return "", io.EOF
		}
		return "", fmt.Errorf("%w: 0x%02x", ErrUnknownFrame, typ)
	}
	if typ != 0x00 {
		return "", fmt.Errorf("%w: 0x%02x", ErrUnknownFrame, typ)
	}
	var buf []byte
	for {
		chunk, err := c.br.ReadSlice(0xFF)
		if int64(len(buf))+int64(len(chunk)) > c.readLimit+1 {
			return "", ErrReadLimit
		}
		buf = append(buf, chunk...)
		switch err {
		case nil:
			msg := buf[:len(buf)-1]
			if !utf8.Valid(msg) {
				return "", ErrInvalidUTF8
			}
			return string(msg), nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			return "", io.ErrUnexpectedEOF
		default:
			return "", err
		}
	}
}

// readLength reads the variable-length frame length that follows a
// length-prefixed frame type: base-128 digits, most significant first,
// with the high bit set on all but the last.
func (c *Conn) readLength() (int64, error) {
	var n int64
	for i := 0; ; i++ {
		if i > 9 {
			// No real frame needs this many length bytes; refuse to
			// spin on an endless run of zero continuation bytes.
			return 0, ErrReadLimit
		}
		b, err := c.br.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		n = n<<7 | int64(b&0x7F)
		if n > c.readLimit {
			return 0, ErrReadLimit
		}
		if b&0x80 == 0 {
			return n, nil
		}
	}
}

// WriteMessage sends msg as a text frame. msg must be valid UTF-8.
func (c *Conn) WriteMessage(msg string) error {
	if !utf8.ValidString(msg) {
		return ErrInvalidUTF8
	}
	frame := make([]byte, 0, len(msg)+2)
	frame = append(frame, 0x00)
	frame = append(frame, msg...)
	frame = append(frame, 0xFF)
	return c.write(frame)
}

// WriteClose sends the closing frame 0xFF 0x00. It does not close the
// underlying connection.
func (c *Conn) WriteClose() error {
	return c.write([]byte{0xFF, 0x00})
}

func (c *Conn) write(p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.conn.Write(p)
	return err
}

// Close closes the underlying network connection without sending a
// closing frame.
func (c *Conn) Close() error {
	return c.conn.Close()
}

// SetReadDeadline sets the read deadline on the underlying network
// connection.
func (c *Conn) SetReadDeadline(t time.Time) error {
	return c.conn.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline on the underlying network
// connection.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	return c.conn.SetWriteDeadline(t)
}

// RemoteAddr returns the remote network address.
func (c *Conn) RemoteAddr() net.Addr {
	return c.conn.RemoteAddr()
}

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr {
	return c.conn.LocalAddr()
}

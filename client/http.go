package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"github.com/gosockjs/sockjs/internal/frame"
	"github.com/gosockjs/sockjs/internal/jsuri"
)

// httpTransport is one of the HTTP transports: a loop of receiving requests
// (xhr_streaming, eventsource, htmlfile, xhr or jsonp polls), each read to
// its end and replaced by the next, and a POST to xhr_send (jsonp_send) for
// every message sent.
type httpTransport struct {
	client   *http.Client
	header   http.Header
	recvURL  string
	sendURL  string
	method   string
	body     bodyKind // how the receiving responses carry frames
	callback string   // the c= parameter of htmlfile and jsonp
	idle     time.Duration
	write    time.Duration
	maxFrame int

	ctx    context.Context // ends with the Conn
	cancel context.CancelFunc

	// Owned by the reader.
	br      *bufio.Reader
	long    []byte // a line longer than br's buffer
	start   bool   // nothing of the response was read yet
	cr      bool   // the last line ended with a CR (eventsource)
	data    []byte // the data of the event being read (eventsource)
	decoded []byte // the frame after decodeURI or a script's parse
}

// bodyKind is how a receiving response carries frames.
type bodyKind int

const (
	lines   bodyKind = iota // one per line: xhr, xhr_streaming
	events                  // one per server-sent event: eventsource
	scripts                 // one per <script>, after a prelude: htmlfile
	call                    // one JavaScript call per response: jsonp
)

func newHTTPTransport(tr Transport, client *http.Client, header http.Header, sessionURL func(string) string, d *Dialer) *httpTransport {
	h := &httpTransport{
		client:   client,
		header:   header,
		sendURL:  sessionURL("/xhr_send"),
		method:   http.MethodPost,
		idle:     d.idleTimeout(),
		write:    d.writeTimeout(),
		maxFrame: d.maxFrameSize(),
	}
	switch tr {
	case XHRStreaming:
		h.recvURL = sessionURL("/xhr_streaming")
	case XHRPolling:
		h.recvURL = sessionURL("/xhr")
	case EventSource:
		h.recvURL = sessionURL("/eventsource")
		h.method = http.MethodGet
		h.body = events
	case HTMLFile, JSONPPolling:
		// sockjs-client adds c= to the query string the URL already has.
		h.callback = "_jp.a" + randomString(8) // an identifier: a letter first
		path := "/htmlfile"
		h.body = scripts
		if tr == JSONPPolling {
			path, h.body, h.sendURL = "/jsonp", call, sessionURL("/jsonp_send")
		}
		h.recvURL = addQuery(sessionURL(path), "c="+url.QueryEscape(h.callback))
		h.method = http.MethodGet
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h
}

func (h *httpTransport) run(c *Conn) error {
	for ; ; c.request++ {
		if err := h.receive(c); err != nil {
			return err
		}
	}
}

// receive makes one receiving request and hands its frames to c. It
// returns nil when the response ended cleanly, after a whole frame.
func (h *httpTransport) receive(c *Conn) error {
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	var silent atomic.Bool
	var timer *time.Timer
	if h.idle > 0 {
		timer = time.AfterFunc(h.idle, func() {
			silent.Store(true)
			cancel()
		})
		defer timer.Stop()
	}
	req, err := http.NewRequestWithContext(ctx, h.method, h.recvURL, nil)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	req.Header = h.header.Clone()
	if h.body == events {
		req.Header.Set("Accept", "text/event-stream")
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return h.requestError(err, &silent)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return statusError(resp)
	}
	if h.br == nil {
		h.br = bufio.NewReaderSize(resp.Body, 4096)
	} else {
		h.br.Reset(resp.Body)
	}
	h.start, h.cr = true, false
	next := h.line
	switch h.body {
	case events:
		next = h.event
	case scripts:
		next = h.script
	case call:
		next = h.call
	}
	for {
		f, err := next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return h.requestError(err, &silent)
		}
		// The time c.frame waits for Recv is not the server's silence.
		if timer != nil {
			timer.Stop()
		}
		if err := c.frame(f); err != nil {
			return err
		}
		if timer != nil {
			timer.Reset(h.idle)
		}
	}
}

// requestError describes err, which ended a receiving request.
func (h *httpTransport) requestError(err error, silent *atomic.Bool) error {
	if errors.Is(err, ErrProtocol) {
		return err
	}
	if silent.Load() {
		return fmt.Errorf("client: %s silent for %v: %w", h.recvURL, h.idle, os.ErrDeadlineExceeded)
	}
	return fmt.Errorf("client: %s: %w", h.recvURL, err)
}

// statusError reports a response whose status the protocol does not expect.
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	return protocolError("%s %s: %s %.200q", resp.Request.Method, resp.Request.URL, resp.Status, b)
}

// readLine returns the next line of the response, with its '\n', or io.EOF
// at the end of a response that ended after a whole line.
func (h *httpTransport) readLine() ([]byte, error) {
	h.long = h.long[:0]
	for {
		b, err := h.br.ReadSlice('\n')
		switch {
		case err == nil && len(h.long) == 0:
			return b, nil
		case err == nil || err == bufio.ErrBufferFull:
			if len(h.long)+len(b) > h.maxFrame+1 {
				return nil, protocolError("frame over %d bytes", h.maxFrame)
			}
			h.long = append(h.long, b...)
			if err == nil {
				return h.long, nil
			}
		case err == io.EOF && len(b) == 0 && len(h.long) == 0:
			return nil, io.EOF
		case err == io.EOF:
			return nil, fmt.Errorf("%w: the response ended inside a frame", io.ErrUnexpectedEOF)
		default:
			return nil, err
		}
	}
}

// line returns the next frame of an xhr response: a line that is not empty,
// without its '\n', as sockjs-client splits the response text.
func (h *httpTransport) line() ([]byte, error) {
	for {
		b, err := h.readLine()
		if err != nil {
			return nil, err
		}
		b = b[:len(b)-1]
		if len(b) > h.maxFrame {
			return nil, protocolError("frame over %d bytes", h.maxFrame)
		}
		if len(b) > 0 {
			return b, nil
		}
	}
}

// event returns the data of the next message event of an event stream,
// after decodeURI, as sockjs-client's EventSource receiver delivers it.
// Lines end at CR, LF or CRLF; an event ends at an empty line; "data"
// fields are joined with LF; comments, "id" and "retry" fields are
// ignored, as are events of a type other than "message".
func (h *httpTransport) event() ([]byte, error) {
	h.data = h.data[:0]
	hasData, message := false, true
	for {
		l, err := h.eventLine()
		if err != nil {
			if err == io.EOF && hasData {
				err = fmt.Errorf("%w: the response ended inside an event", io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		if len(l) == 0 {
			if hasData && message {
				data := h.data[:len(h.data)-1]
				if bytes.IndexByte(data, '%') < 0 {
					return data, nil
				}
				h.decoded, err = jsuri.AppendDecode(h.decoded[:0], data)
				if err != nil {
					return nil, protocolError("eventsource data %.40q: %v", data, err)
				}
				return h.decoded, nil
			}
			h.data = h.data[:0]
			hasData, message = false, true
			continue
		}
		field, value, _ := bytes.Cut(l, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "data":
			if len(h.data)+len(value) > h.maxFrame {
				return nil, protocolError("frame over %d bytes", h.maxFrame)
			}
			h.data = append(append(h.data, value...), '\n')
			hasData = true
		case "event":
			message = len(value) == 0 || string(value) == "message"
		}
	}
}

// eventLine returns the next line of an event stream, without its end: a
// CR, a LF or a CRLF. The line is valid until the next call.
func (h *httpTransport) eventLine() ([]byte, error) {
	h.long = h.long[:0]
	for {
		buf, err := h.br.Peek(max(1, h.br.Buffered()))
		if err != nil {
			if err == io.EOF && len(buf) == 0 && len(h.long) == 0 {
				return nil, io.EOF
			}
			if err == io.EOF {
				return nil, fmt.Errorf("%w: the response ended inside a line", io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		if h.cr {
			h.cr = false
			if buf[0] == '\n' {
				h.br.Discard(1) // the LF of a CRLF
				continue
			}
		}
		i := bytes.IndexAny(buf, "\r\n")
		if i < 0 {
			i = len(buf)
		}
		if len(h.long)+i > h.maxFrame+len("data: ") {
			return nil, protocolError("line over %d bytes", h.maxFrame)
		}
		h.long = append(h.long, buf[:i]...)
		if i == len(buf) {
			h.br.Discard(i)
			continue
		}
		h.cr = buf[i] == '\r'
		h.br.Discard(i + 1)
		if h.start {
			h.start = false
			if bytes.HasPrefix(h.long, []byte("\ufeff")) {
				return h.long[3:], nil // a byte order mark may start the stream
			}
		}
		return h.long, nil
	}
}

func (h *httpTransport) send(ctx context.Context, msg string) error {
	body := make([]byte, 0, len(msg)+8)
	body = append(body, '[')
	body = frame.AppendString(body, msg)
	body = append(body, ']')
	contentType := "text/plain;charset=UTF-8"
	if h.body == call {
		// sockjs-client posts a form whose one field, d, holds the
		// messages.
		body = []byte("d=" + url.QueryEscape(string(body)))
		contentType = "application/x-www-form-urlencoded"
	}
	ctx, cancel := context.WithTimeout(ctx, h.write)
	defer cancel()
	stop := context.AfterFunc(h.ctx, cancel)
	defer stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.sendURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	req.Header = h.header.Clone()
	req.Header.Set("Content-Type", contentType)
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("client: %s: %w", h.sendURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return statusError(resp)
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	return err
}

func (h *httpTransport) close(int, string) {}

func (h *httpTransport) abort() { h.cancel() }

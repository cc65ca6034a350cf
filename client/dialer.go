package client

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults of the Dialer's fields.
const (
	infoTimeout         = 8 * time.Second // sockjs-client's
	defaultIdleTimeout  = 60 * time.Second
	defaultWriteTimeout = 10 * time.Second
	defaultMaxFrameSize = 16 << 20
	maxInfoSize         = 64 << 10
)

// A Dialer opens SockJS sessions. Its zero value dials as sockjs-client
// does. A Dialer may be used by many goroutines at once and must not be
// changed while it is in use.
type Dialer struct {
	// Transports lists the transports Dial may try, in the order it tries
	// them; nil means Transports(). A single transport forces it; leaving
	// some out excludes them. WebsocketRaw is tried only when listed.
	Transports []Transport

	// Timeout is the least time each transport is given to open the
	// session before Dial moves on to the next. The time is otherwise
	// sockjs-client's: twice the retransmission timeout computed from the
	// round trip of the /info request, four times that round trip when it
	// took more than 100 ms, else 300 ms more than it. The time Dial takes
	// in all is bounded by its context only.
	Timeout time.Duration

	// Header is added to every request: /info, every receiving request,
	// every xhr_send and the WebSocket handshake. Header names that
	// gorilla/websocket sets itself (Upgrade, Connection,
	// Sec-WebSocket-Key, -Version, -Extensions) must not be in it.
	Header http.Header

	// HTTPClient makes the HTTP requests; nil means one with
	// http.DefaultTransport. Its Timeout, if set, must be longer than any
	// streaming response or poll can last.
	HTTPClient *http.Client

	// Jar keeps the cookies of the session, for the JSESSIONID affinity
	// of load balancers; it serves both the HTTP requests and the
	// WebSocket handshake. Nil means HTTPClient's Jar if it has one, else
	// a new, empty jar for each connection.
	Jar http.CookieJar

	// WebsocketDialer opens the WebSockets; nil means a websocket.Dialer
	// with http.ProxyFromEnvironment. Its Jar, if nil, is the Dialer's.
	WebsocketDialer *websocket.Dialer

	// ServerID is the server id of the session URLs; "" means a random
	// three-digit one, as sockjs-client chooses.
	ServerID string

	// SessionID returns the session id of each attempt; nil means eight
	// random characters of [a-z0-5], as sockjs-client chooses.
	SessionID func() string

	// IdleTimeout bounds how long a connection waits for the server to
	// send anything (a frame, a heartbeat, a WebSocket ping); past it the
	// connection fails. Servers send heartbeats every 25 s by default.
	// Zero means 60 s; a negative value turns the bound off.
	IdleTimeout time.Duration

	// WriteTimeout bounds every Send (an xhr_send request, a WebSocket
	// write); zero means 10 s.
	WriteTimeout time.Duration

	// MaxFrameSize is the largest frame the client accepts (a WebSocket
	// message, a line of xhr, an event's data); a larger one fails the
	// connection with ErrProtocol. Zero means 16 MiB.
	MaxFrameSize int

	// OnMessage, if set, is called with every message on the connection's
	// goroutine, in order, instead of queueing it for Recv, which then
	// returns only why the session ended. It saves the hand-over to the
	// goroutine that calls Recv, for clients that handle messages as
	// callbacks (a load generator, a fan-in); like OnFrame, it holds up the
	// connection while it runs.
	OnMessage func(msg string)

	// OnFrame, if set, is called with every frame the server sends, before
	// the connection acts on it, on the connection's goroutine: a slow
	// OnFrame slows the connection, and one that blocks blocks it and its
	// Close. It sees what Recv does not: heartbeats, the open and close
	// frames, a refused attempt's c[2010,...], and which receiving request
	// carried each frame.
	OnFrame func(Frame)
}

// Dial opens a SockJS session at url with the zero Dialer.
func Dial(ctx context.Context, url string) (*Conn, error) {
	var d Dialer
	return d.Dial(ctx, url)
}

// Dial opens a SockJS session at url, the http or https URL of a service
// such as "https://example.com/echo". Its query string, if any, is kept on
// every request, as sockjs-client keeps it, which is how a service can be
// given a token.
//
// Dial first GETs <url>/info, bounded by 8 s, and leaves the websocket
// transports out when the server says websocket is false. It then tries the
// transports in order, each with a new session id, until one receives the
// open frame. A transport that cannot connect, answers with a status other
// than 200, or does not open the session in time is abandoned for the
// next. A server that closes the session instead of opening it ends Dial
// with a *CloseError, as c[2010,"Another connection still open"] does. The
// context bounds Dial, not the connection it returns.
func (d *Dialer) Dial(ctx context.Context, rawURL string) (*Conn, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	trs := d.Transports
	if trs == nil {
		trs = Transports()
	}
	needInfo := false
	for _, tr := range trs {
		if !tr.valid() {
			return nil, fmt.Errorf("client: unknown transport %q", tr)
		}
		needInfo = needInfo || tr != WebsocketRaw
	}
	client, jar := d.httpClient()
	rto := time.Duration(0) // as sockjs-client: no round trip measured yet
	websocketOff := false
	if needInfo {
		info, rtt, err := d.info(ctx, client, u)
		if err != nil {
			return nil, err
		}
		rto = retransmissionTimeout(rtt)
		websocketOff = info.Websocket != nil && !*info.Websocket
	}
	timeout := max(d.Timeout, 2*rto)
	if timeout == 0 {
		timeout = 5 * time.Second // sockjs-client's when no round trip is known
	}
	var errs []error
	for _, tr := range trs {
		if websocketOff && tr.websocket() {
			continue
		}
		c, err := d.attempt(ctx, tr, u, client, jar, timeout)
		if err == nil {
			return c, nil
		}
		var ce *CloseError
		if errors.As(err, &ce) || ctx.Err() != nil {
			return nil, err
		}
		errs = append(errs, fmt.Errorf("%s: %w", tr, err))
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("client: dial %s: no transport left: the server turned websocket off", u.base)
	}
	return nil, fmt.Errorf("client: dial %s: every transport failed: %w", u.base, errors.Join(errs...))
}

// attempt opens the session over tr, within timeout.
func (d *Dialer) attempt(ctx context.Context, tr Transport, u *serviceURL, client *http.Client, jar http.CookieJar, timeout time.Duration) (*Conn, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// failed describes err, which ended the attempt.
	failed := func(err error) error {
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case actx.Err() != nil:
			return fmt.Errorf("no open frame within %v: %w", timeout, context.DeadlineExceeded)
		}
		return err
	}
	server, session := d.ServerID, ""
	if server == "" {
		server = fmt.Sprintf("%03d", rand.IntN(1000))
	}
	if tr != WebsocketRaw {
		session = d.sessionID()
	}
	sessionURL := func(suffix string) string {
		return u.with("/" + server + "/" + session + suffix)
	}
	var c *Conn
	switch tr {
	case Websocket, WebsocketRaw:
		target := sessionURL("/websocket")
		if tr == WebsocketRaw {
			target = u.with("/websocket")
		}
		ws, err := d.dialWebsocket(actx, target, jar)
		if err != nil {
			return nil, failed(err)
		}
		w := newWSTransport(ws, tr == WebsocketRaw, d)
		c = newConn(tr, session, w, d)
		w.done = c.done
		if tr == WebsocketRaw {
			c.open = true
			close(c.opened)
		}
	default:
		c = newConn(tr, session, newHTTPTransport(tr, client, d.header(), sessionURL, d), d)
	}
	c.start()
	select {
	case <-c.opened:
	case <-c.done:
	case <-actx.Done():
		c.shutdown(failed(actx.Err()))
	}
	select {
	case <-c.opened:
		return c, nil // even if it has ended since: the session was opened
	default:
	}
	<-c.done
	err := c.Err()
	var ce *CloseError
	if errors.As(err, &ce) && !c.closeFrame && !userCode(ce.Code) {
		// A WebSocket closed with a code of its own before the open
		// frame: sockjs-client falls back, as for any failure of a
		// transport.
		return nil, fmt.Errorf("closed with %d %q before the open frame", ce.Code, ce.Reason)
	}
	return nil, failed(err)
}

// userCode reports whether a close code is one an application may use,
// which sockjs-client takes for a decision of the server's rather than a
// failure of the transport.
func userCode(code int) bool { return code == 1000 || code >= 3000 && code <= 4999 }

// retransmissionTimeout is sockjs-client's RTO for a round trip of rtt.
func retransmissionTimeout(rtt time.Duration) time.Duration {
	if rtt > 100*time.Millisecond {
		return 4 * rtt
	}
	return 300*time.Millisecond + rtt
}

// info is what Dial reads in the server's /info.
type info struct {
	Websocket *bool `json:"websocket"`
}

// info GETs the service's /info and returns it with the time it took.
func (d *Dialer) info(ctx context.Context, client *http.Client, u *serviceURL) (info, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	target := u.with("/info")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return info{}, 0, fmt.Errorf("client: %w", err)
	}
	req.Header = d.header()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return info{}, 0, fmt.Errorf("client: %s: %w", target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return info{}, 0, statusError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxInfoSize))
	if err != nil {
		return info{}, 0, fmt.Errorf("client: %s: %w", target, err)
	}
	rtt := time.Since(start)
	// As sockjs-client, take a body that is not a JSON object for {}.
	var in info
	if json.Unmarshal(b, &in) != nil {
		in = info{}
	}
	return in, rtt, nil
}

// dialWebsocket opens the WebSocket at target, an http or https URL.
func (d *Dialer) dialWebsocket(ctx context.Context, target string, jar http.CookieJar) (*websocket.Conn, error) {
	wd := websocket.Dialer{Proxy: http.ProxyFromEnvironment}
	if d.WebsocketDialer != nil {
		wd = *d.WebsocketDialer
	}
	if wd.Jar == nil {
		wd.Jar = jar
	}
	ws, resp, err := wd.DialContext(ctx, "ws"+strings.TrimPrefix(target, "http"), d.header())
	if resp != nil && resp.Body != nil {
		defer resp.Body.Close()
	}
	if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, protocolError("WebSocket handshake at %s: %s %.200q", target, resp.Status, b)
	}
	if err != nil {
		return nil, fmt.Errorf("client: WebSocket at %s: %w", target, err)
	}
	return ws, nil
}

// httpClient returns the client of the HTTP requests and the jar of the
// connection.
func (d *Dialer) httpClient() (*http.Client, http.CookieJar) {
	client := d.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	jar := d.Jar
	if jar == nil {
		jar = client.Jar
	}
	if jar == nil {
		jar, _ = cookiejar.New(nil) // never fails without options
	}
	if client.Jar != jar {
		c := *client
		c.Jar = jar
		client = &c
	}
	return client, jar
}

// header returns a copy of d.Header, never nil.
func (d *Dialer) header() http.Header {
	if d.Header == nil {
		return make(http.Header)
	}
	return d.Header.Clone()
}

func (d *Dialer) sessionID() string {
	if d.SessionID != nil {
		return d.SessionID()
	}
	return randomString(8)
}

// randomString returns n random characters of [a-z0-5], as sockjs-client
// chooses session ids and callback names.
func randomString(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz012345" // 32 letters: no bias
	b := make([]byte, n)
	crand.Read(b)
	for i := range b {
		b[i] = alphabet[b[i]%32]
	}
	return string(b)
}

// addQuery adds q to the query string of rawURL, as sockjs-client adds the
// callback parameter of its htmlfile and JSONP requests.
func addQuery(rawURL, q string) string {
	if strings.Contains(rawURL, "?") {
		return rawURL + "&" + q
	}
	return rawURL + "?" + q
}

func (d *Dialer) idleTimeout() time.Duration {
	switch {
	case d.IdleTimeout == 0:
		return defaultIdleTimeout
	case d.IdleTimeout < 0:
		return 0
	}
	return d.IdleTimeout
}

func (d *Dialer) writeTimeout() time.Duration {
	if d.WriteTimeout <= 0 {
		return defaultWriteTimeout
	}
	return d.WriteTimeout
}

func (d *Dialer) maxFrameSize() int {
	if d.MaxFrameSize <= 0 {
		return defaultMaxFrameSize
	}
	return d.MaxFrameSize
}

// serviceURL is the URL of a service, split as sockjs-client splits it to
// add paths: base, without trailing slashes, and the query string.
type serviceURL struct {
	base  string
	query string
}

func parseURL(raw string) (*serviceURL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("client: %q: not an http or https URL", raw)
	}
	if u.Fragment != "" || strings.HasSuffix(raw, "#") {
		return nil, fmt.Errorf("client: %q: the URL must not have a fragment", raw)
	}
	query := u.RawQuery
	u.RawQuery, u.ForceQuery = "", false
	return &serviceURL{base: strings.TrimRight(u.String(), "/"), query: query}, nil
}

// with returns the URL of path under the service, with its query string.
func (u *serviceURL) with(path string) string {
	if u.query == "" {
		return u.base + path
	}
	return u.base + path + "?" + u.query
}

package sockjs_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

// cookieJar is a client's cookie jar that records the cookies every
// response set, by the last element of its path (xhr, xhr_send, info...).
type cookieJar struct {
	http.CookieJar
	mu  sync.Mutex
	set map[string][]string
}

func newCookieJar(t *testing.T, u string, preset ...*http.Cookie) *cookieJar {
	t.Helper()
	j, err := cookiejar.New(nil)
	require.NoError(t, err)
	pu, err := url.Parse(u)
	require.NoError(t, err)
	j.SetCookies(pu, preset)
	return &cookieJar{CookieJar: j, set: map[string][]string{}}
}

func (j *cookieJar) SetCookies(u *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	for _, c := range cs {
		j.set[path.Base(u.Path)] = append(j.set[path.Base(u.Path)], c.String())
	}
	j.mu.Unlock()
	j.CookieJar.SetCookies(u, cs)
}

// cookiesSet opens a session over tr with jar and header, echoes a message
// and returns the cookies the responses set.
func cookiesSet(t *testing.T, s *service, tr client.Transport, jar *cookieJar, header http.Header) map[string][]string {
	t.Helper()
	d := s.dialer(tr, newSID())
	d.Jar, d.Header = jar, header
	c, _ := s.openWith(t, d)
	c.Send("x")
	require.Equal(t, "x", c.Recv())
	c.Close(1000, "")
	jar.mu.Lock()
	defer jar.mu.Unlock()
	return jar.set
}

// receiveSend returns the endpoints tr receives and sends on.
func receiveSend(tr client.Transport) []string {
	switch tr {
	case client.XHRPolling:
		return []string{"xhr", "xhr_send"}
	case client.XHRStreaming:
		return []string{"xhr_streaming", "xhr_send"}
	case client.JSONPPolling:
		return []string{"jsonp", "jsonp_send"}
	}
	return []string{string(tr), "xhr_send"}
}

// TestCookieNeeded checks that with CookieNeeded every receiving and
// sending request of every HTTP transport sets JSESSIONID, to the client's
// value if it has one, and /info never does.
func TestCookieNeeded(t *testing.T) {
	t.Parallel()
	eachTransport(t, httpTransports, func(t *testing.T, tr client.Transport) {
		s := startService(t, echo, sockjs.Options{CookieNeeded: true})
		for _, c := range []struct {
			preset *http.Cookie
			want   string
		}{
			{nil, "JSESSIONID=dummy; Path=/"},
			{&http.Cookie{Name: "JSESSIONID", Value: "abcdef"}, "JSESSIONID=abcdef; Path=/"},
			{&http.Cookie{Name: "other", Value: "1"}, "JSESSIONID=dummy; Path=/"},
		} {
			jar := newCookieJar(t, s.URL)
			if c.preset != nil {
				jar = newCookieJar(t, s.URL, c.preset)
			}
			set := cookiesSet(t, s, tr, jar, nil)
			for _, ep := range receiveSend(tr) {
				require.NotEmpty(t, set[ep], "%s set no cookie; set: %v", ep, set)
				for _, got := range set[ep] {
					assert.Equal(t, c.want, got, ep)
				}
			}
			assert.Empty(t, set["info"], "/info")
		}
	})
}

func TestCookieNotNeeded(t *testing.T) {
	t.Parallel()
	eachTransport(t, httpTransports, func(t *testing.T, tr client.Transport) {
		s := startService(t, echo, sockjs.Options{})
		jar := newCookieJar(t, s.URL, &http.Cookie{Name: "JSESSIONID", Value: "abcdef"})
		assert.Empty(t, cookiesSet(t, s, tr, jar, nil))
	})
}

func TestCookieNeverOnStaticPages(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{CookieNeeded: true})
	for _, path := range []string{"", "/info", "/iframe.html", "/iframe-1.2.html"} {
		for _, hdr := range []map[string]string{nil, {"Cookie": "JSESSIONID=abcdef"}} {
			resp, _ := do(t, http.MethodGet, s.URL+path, "", hdr)
			assert.Equal(t, http.StatusOK, resp.StatusCode, path)
			assert.Empty(t, resp.Header.Values("Set-Cookie"), path)
		}
	}
}

func TestAffinityCookie(t *testing.T) {
	t.Parallel()
	node := func(r *http.Request) *http.Cookie {
		if r.Header.Get("X-No-Cookie") != "" {
			return nil
		}
		return &http.Cookie{Name: "SERVERID", Value: "node-7", Path: "/", HttpOnly: true}
	}
	eachTransport(t, httpTransports, func(t *testing.T, tr client.Transport) {
		s := startService(t, echo, sockjs.Options{AffinityCookie: node})
		jar := newCookieJar(t, s.URL, &http.Cookie{Name: "JSESSIONID", Value: "abcdef"})
		set := cookiesSet(t, s, tr, jar, nil)
		for _, ep := range receiveSend(tr) {
			require.NotEmpty(t, set[ep], "%s set no cookie; set: %v", ep, set)
			for _, got := range set[ep] {
				assert.Equal(t, "SERVERID=node-7; Path=/; HttpOnly", got, "%s: no JSESSIONID", ep)
			}
		}
		assert.Empty(t, cookiesSet(t, s, tr, newCookieJar(t, s.URL), http.Header{"X-No-Cookie": {"1"}}), "nil: no cookie")
		_, _, info := getInfo(t, s, nil)
		assert.Equal(t, true, info["cookie_needed"], "AffinityCookie implies cookie_needed")
	})
}

package sockjs_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
)

func TestXHRPollingTransport(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	sid := newSID()
	origin := map[string]string{"Origin": "test"}

	resp, body := do(t, http.MethodPost, s.at(sid, "xhr"), "", origin)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "o\n", body)
	assert.Equal(t, contentJS, resp.Header.Get("Content-Type"))
	assert.Equal(t, noCache, resp.Header.Get("Cache-Control"))
	assert.Empty(t, resp.Header.Get("Expires"))
	assert.Empty(t, resp.Header.Get("Last-Modified"))
	assert.Equal(t, "test", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))

	resp, body = do(t, http.MethodPost, s.at(sid, "xhr_send"), `["x"]`, origin)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, body)
	assert.Equal(t, contentText, resp.Header.Get("Content-Type"))
	assert.Equal(t, noCache, resp.Header.Get("Cache-Control"))
	assert.Equal(t, "test", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))

	_, body = do(t, http.MethodPost, s.at(sid, "xhr"), "", nil)
	assert.Equal(t, `a["x"]`+"\n", body)
	assert.Equal(t, []string{"x"}, s.log.recvs(s.log.nth(t, 0)))
}

// TestXHRPollingHeldUntilMessage checks that a poll with nothing to carry
// stays pending until the server sends.
func TestXHRPollingHeldUntilMessage(t *testing.T) {
	t.Parallel()
	eachTransport(t, pollingTransports, func(t *testing.T, tr client.Transport) {
		s := startService(t, nil, sockjs.Options{})
		c, sc := s.open(t, tr)
		assertNoMessage(t, c)
		require.NoError(t, sc.Send("late"))
		assert.Equal(t, "late", c.Recv())
	})
}

// sendRefused posts body to url, a send endpoint, and checks the status and
// body of the answer.
func sendRefused(t *testing.T, url, body string, status int, want string) {
	t.Helper()
	resp, got := do(t, http.MethodPost, url, body, nil)
	assert.Equal(t, status, resp.StatusCode, "%q", body)
	assert.Equal(t, want, got, "%q", body)
	if want != "" {
		assert.Equal(t, contentText, resp.Header.Get("Content-Type"), "%q", body)
	}
}

func TestXHRSendUnknownSession(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	resp, _ := do(t, http.MethodPost, s.at(newSID(), "xhr_send"), `["x"]`, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	s.log.never(t, "xhr_send opened a session", func() bool { return len(s.log.conns) > 0 })
}

func TestXHRSendBadPayload(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	c, sc := s.open(t, client.XHRPolling)
	url := s.at(c.Client.SessionID(), "xhr_send")
	for _, body := range []string{`["x`, `["x"`, `{"a":1}`, `[1]`, `["a"] x`} {
		sendRefused(t, url, body, http.StatusInternalServerError, "Broken JSON encoding.")
	}
	for _, body := range []string{"", " \n\t"} {
		sendRefused(t, url, body, http.StatusInternalServerError, "Payload expected.")
	}
	// Nothing of the refused bodies was delivered; the session goes on.
	sendRefused(t, url, `[]`, http.StatusNoContent, "")
	sendRefused(t, url, `["a"]`, http.StatusNoContent, "")
	assert.Equal(t, "a", c.Recv())
	assert.Equal(t, []string{"a"}, s.log.recvs(sc))
}

func TestXHRSendContentTypes(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{})
	c, _ := s.open(t, client.XHRPolling)
	ctypes := []string{"text/plain", "T", "application/json", "application/xml", "",
		"application/json; charset=utf-8", "text/xml; charset=utf-8", "text/xml", contentForm}
	for _, ct := range ctypes {
		resp, body := do(t, http.MethodPost, s.at(c.Client.SessionID(), "xhr_send"), `["`+ct+`"]`, map[string]string{"Content-Type": ct})
		assert.Equal(t, http.StatusNoContent, resp.StatusCode, ct)
		assert.Empty(t, body, ct)
	}
	assert.Equal(t, ctypes, c.RecvN(len(ctypes)))
}

func TestXHRSendTooLarge(t *testing.T) {
	t.Parallel()
	s := startService(t, echo, sockjs.Options{MaxMessageSize: 16})
	c, sc := s.open(t, client.XHRPolling)
	url := s.at(c.Client.SessionID(), "xhr_send")
	fits := `["0123456789ab"]` // 16 bytes
	big := `["0123456789abc"]` // 17 bytes
	sendRefused(t, url, fits, http.StatusNoContent, "")

	// With a Content-Length, and streamed without one.
	sendRefused(t, url, big, http.StatusRequestEntityTooLarge, "Payload too large.")
	req, err := http.NewRequest(http.MethodPost, url, io.MultiReader(strings.NewReader(big)))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Equal(t, "Payload too large.", string(b))

	assert.Equal(t, "0123456789ab", c.Recv())
	assertNoMessage(t, c)
	assert.Equal(t, []string{"0123456789ab"}, s.log.recvs(sc))
}

package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/internal/frame"
	"github.com/gosockjs/sockjs/internal/teststrings"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestGenerated polls /generated over xhr on the wire: the session sends
// the generated strings, exactly, then echoes.
func TestGenerated(t *testing.T) {
	const seed, count = 7, 300
	want := teststrings.Strings(seed, count)
	srv, err := newServer(sockjs.DefaultSockJSURL, want, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		assert.NoError(t, srv.shutdown(context.Background()))
		ts.Close()
	})
	session := ts.URL + "/generated/000/" + strings.ReplaceAll(t.Name(), "/", "-")
	post := func(path, body string) (int, string) {
		resp, err := ts.Client().Post(session+path, "text/plain", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}

	_, open := post("/xhr", "")
	require.Equal(t, "o\n", open)
	var got []string
	for len(got) < count {
		_, f := post("/xhr", "")
		require.True(t, strings.HasPrefix(f, "a[") && strings.HasSuffix(f, "]\n"), "a message frame, got %.80q", f)
		got, err = frame.DecodeMessages(got, []byte(f[1:len(f)-1]))
		require.NoError(t, err)
	}
	require.Len(t, got, count)
	for i := range want {
		require.Equal(t, want[i], got[i], "message #%d", i)
	}

	status, _ := post("/xhr_send", `["\ud800 and \ud83d\ude00"]`)
	require.Equal(t, http.StatusNoContent, status)
	_, echo := post("/xhr", "")
	assert.Equal(t, `a["\ud800 and `+"\U0001F600"+`"]`+"\n", echo)
}

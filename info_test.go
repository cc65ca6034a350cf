package sockjs_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// getInfo fetches the /info of s and decodes its body, keeping numbers
// exact.
func getInfo(t *testing.T, s *service, header map[string]string) (*http.Response, string, map[string]any) {
	t.Helper()
	resp, body := do(t, http.MethodGet, s.URL+"/info", "", header)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	var data map[string]any
	require.NoError(t, dec.Decode(&data), "body %q", body)
	return resp, body, data
}

var infoBody = regexp.MustCompile(`^\{"websocket":(true|false),"cookie_needed":(true|false),"origins":\["\*:\*"\],"entropy":[0-9]+\}$`)

func TestInfo(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		opts      sockjs.Options
		websocket bool
		cookie    bool
	}{
		{"default", sockjs.Options{}, true, false},
		{"websocket disabled", sockjs.Options{DisableWebsocket: true}, false, false},
		{"cookie needed", sockjs.Options{CookieNeeded: true}, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := startService(t, nil, c.opts)
			resp, body, data := getInfo(t, s, map[string]string{"Origin": "test"})
			assert.Equal(t, contentJSON, resp.Header.Get("Content-Type"))
			assert.Equal(t, noCache, resp.Header.Get("Cache-Control"))
			assert.Empty(t, resp.Header.Get("Expires"))
			assert.Empty(t, resp.Header.Get("Last-Modified"))
			assert.Empty(t, resp.Header.Values("Set-Cookie"))
			assert.Equal(t, "test", resp.Header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))

			assert.Regexp(t, infoBody, body)
			assert.Len(t, data, 4, "fields: %v", data)
			assert.Equal(t, c.websocket, data["websocket"])
			assert.Equal(t, c.cookie, data["cookie_needed"])
			assert.Equal(t, []any{"*:*"}, data["origins"])
			n, ok := data["entropy"].(json.Number)
			require.True(t, ok, "entropy %T", data["entropy"])
			v, err := strconv.ParseUint(n.String(), 10, 64)
			require.NoError(t, err)
			assert.LessOrEqual(t, v, uint64(1<<32-1))
		})
	}
}

func TestInfoEntropyDiffers(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{})
	seen := map[string]bool{}
	for range 5 {
		_, _, data := getInfo(t, s, nil)
		n, ok := data["entropy"].(json.Number)
		require.True(t, ok)
		assert.False(t, seen[n.String()], "entropy %s repeated", n)
		seen[n.String()] = true
	}
}

func TestInfoPreflight(t *testing.T) {
	t.Parallel()
	s := startService(t, nil, sockjs.Options{})
	cases := []struct {
		name       string
		origin     string
		reqHeaders *string
		want       string // Access-Control-Allow-Headers, "" for absent
	}{
		{"origin test", "test", nil, ""},
		{"origin null", "null", nil, ""},
		{"headers requested", "test", ptr("a, b, c"), "a, b, c"},
		{"empty headers requested", "test", ptr(""), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := map[string]string{"Origin": c.origin, "Access-Control-Request-Method": "GET"}
			if c.reqHeaders != nil {
				hdr["Access-Control-Request-Headers"] = *c.reqHeaders
			}
			before := time.Now()
			resp, body := do(t, http.MethodOptions, s.URL+"/info", "", hdr)
			assert.Equal(t, http.StatusNoContent, resp.StatusCode)
			assert.Empty(t, body)
			assertPreflight(t, resp, "OPTIONS, GET", before)
			assert.Equal(t, c.origin, resp.Header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
			if c.want == "" {
				assert.Empty(t, resp.Header.Values("Access-Control-Allow-Headers"))
			} else {
				assert.Equal(t, c.want, resp.Header.Get("Access-Control-Allow-Headers"))
			}
		})
	}
}

// assertPreflight checks the caching and method headers of a preflight
// answer sent after before.
func assertPreflight(t *testing.T, resp *http.Response, methods string, before time.Time) {
	t.Helper()
	assert.Equal(t, cacheYear, resp.Header.Get("Cache-Control"))
	assert.Equal(t, "31536000", resp.Header.Get("Access-Control-Max-Age"))
	assert.Equal(t, methods, resp.Header.Get("Access-Control-Allow-Methods"))
	exp, err := http.ParseTime(resp.Header.Get("Expires"))
	if assert.NoError(t, err, "Expires %q", resp.Header.Get("Expires")) {
		year := 365 * 24 * time.Hour
		assert.WithinRange(t, exp, before.Add(year).Add(-2*time.Second), time.Now().Add(year).Add(2*time.Second))
	}
	assert.Empty(t, resp.Header.Get("Last-Modified"))
	assert.Contains(t, resp.Header.Values("Vary"), "Origin")
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

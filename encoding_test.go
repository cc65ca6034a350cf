package sockjs_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/client"
	"github.com/gosockjs/sockjs/sockjstest"
)

// codePoints lists code points, as inclusive [lo, hi] pairs.
func codePoints(pairs ...rune) []rune {
	var out []rune
	for i := 0; i < len(pairs); i += 2 {
		for r := pairs[i]; r <= pairs[i+1]; r++ {
			out = append(out, r)
		}
	}
	return out
}

// escapeAll writes every rune as a \uXXXX escape, as a JSON string body.
func escapeAll(rs []rune) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range rs {
		fmt.Fprintf(&sb, `\u%04x`, r)
	}
	sb.WriteByte('"')
	return sb.String()
}

// framed is a session over xhr-polling whose message frames a test reads
// as the server wrote them.
type framed struct {
	s      *service
	c      *sockjstest.Conn
	sc     *sockjs.Conn
	frames chan string
}

// openFramed opens a framed session on a service with hook.
func openFramed(t *testing.T, hook func(*sockjs.Conn, sockjs.Event)) *framed {
	t.Helper()
	f := &framed{s: startService(t, hook, sockjs.Options{}), frames: make(chan string, 16)}
	d := f.s.dialer(client.XHRPolling, newSID())
	d.OnFrame = func(fr client.Frame) {
		if fr.Data[0] == 'a' {
			f.frames <- string(fr.Data)
		}
	}
	f.c, f.sc = f.s.openWith(t, d)
	return f
}

// send posts body, a JSON array, to the session's xhr_send.
func (f *framed) send(t *testing.T, body string) {
	t.Helper()
	resp, got := do(t, http.MethodPost, f.s.at(f.c.Client.SessionID(), "xhr_send"), body, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "body %q", got)
}

// frame returns the next message frame, as the server wrote it.
func (f *framed) frame(t *testing.T) string {
	t.Helper()
	select {
	case fr := <-f.frames:
		return fr
	case <-time.After(waitFor):
		t.Fatalf("no message frame within %v", waitFor)
		return ""
	}
}

// echoFrame sends the JSON string body to an echo session and returns the
// frame that carries the echo, without "a[" and "]".
func echoFrame(t *testing.T, body string) string {
	t.Helper()
	f := openFramed(t, echo)
	f.send(t, "["+body+"]")
	got := f.frame(t)
	inner, ok := strings.CutPrefix(got, "a[")
	require.True(t, ok, "frame %q", got)
	inner, ok = strings.CutSuffix(inner, "]")
	require.True(t, ok, "frame %q", got)
	return inner
}

func TestEncodingServerEscapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		runes []rune
	}{
		// The ranges the protocol suite requires.
		{"zero width", codePoints(0x200c, 0x200f)},
		{"line separators", codePoints(0x2028, 0x202f)},
		{"invisible operators", codePoints(0x2060, 0x206f)},
		{"specials", codePoints(0xfff0, 0xffff)},
		// The further ones the encoder documents.
		{"C1 controls", codePoints(0x7f, 0x9f)},
		{"format characters", codePoints(0xad, 0xad, 0x600, 0x604, 0x70f, 0x70f, 0x17b4, 0x17b5, 0xfeff, 0xfeff)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// Sent raw, as UTF-8; echoed escaped with lowercase hex digits.
			raw := `"` + string(c.runes) + `"`
			assert.Equal(t, escapeAll(c.runes), echoFrame(t, raw))
		})
	}
}

func TestEncodingControlCharacters(t *testing.T) {
	t.Parallel()
	// Control characters cannot travel raw in JSON; the client escapes
	// them and the server echoes them escaped. The protocol suite's
	// eventsource test expects the short forms for \n and \r, so the
	// JSON short escapes are the expected form where JSON has one.
	short := map[rune]string{'\b': `\b`, '\t': `\t`, '\n': `\n`, '\f': `\f`, '\r': `\r`}
	var want strings.Builder
	want.WriteByte('"')
	rs := codePoints(0, 0x1f)
	for _, r := range rs {
		if s, ok := short[r]; ok {
			want.WriteString(s)
			continue
		}
		fmt.Fprintf(&want, `\u%04x`, r)
	}
	want.WriteString(`\"\\/"`)
	got := echoFrame(t, strings.TrimSuffix(escapeAll(rs), `"`)+`\"\\\/"`)
	assert.Equal(t, want.String(), got)
}

func TestEncodingClientEscapesDecoded(t *testing.T) {
	t.Parallel()
	// Every BMP code point but the surrogates, sent escaped: the echo
	// must decode to the same string, however the server escapes it.
	rs := codePoints(0, 0xd7ff, 0xe000, 0xffff)
	got := echoFrame(t, escapeAll(rs))
	var s string
	require.NoError(t, json.Unmarshal([]byte(got), &s))
	assert.True(t, s == string(rs), "round trip of the BMP differs")
	// Nothing but printable ASCII and valid UTF-8 goes out raw.
	for i := 0; i < len(got); i++ {
		if got[i] < 0x20 || got[i] == 0x7f {
			t.Fatalf("raw control byte %#x at %d", got[i], i)
		}
	}
}

func TestEncodingSurrogates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, want, data string
	}{
		{"emoji raw", `"😀"`, `"😀"`, "😀"},
		{"emoji escaped pair", `"\ud83d\ude00"`, `"😀"`, "😀"},
		{"emoji upper-case escape", `"\uD83D\uDE00x"`, `"😀x"`, "😀x"},
		{"lone high surrogate", `"\ud800"`, `"\ud800"`, "\xed\xa0\x80"},
		{"lone low surrogate", `"a\udfffb"`, `"a\udfffb"`, "a\xed\xbf\xbfb"},
		{"reversed pair", `"\ude00\ud83d"`, `"\ude00\ud83d"`, "\xed\xb8\x80\xed\xa0\xbd"},
		{"invalid UTF-8", "\"a\xffb\"", `"a\ufffdb"`, "a\ufffdb"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := openFramed(t, echo)
			f.send(t, "["+c.body+"]")
			assert.Equal(t, "a["+c.want+"]", f.frame(t))
			assert.Equal(t, []string{c.data}, f.s.log.waitRecvs(t, f.sc, 1))
		})
	}
}

func TestEncodingSendInvalidUTF8(t *testing.T) {
	t.Parallel()
	f := openFramed(t, nil)
	require.NoError(t, f.sc.Send("x\xffy\xed\xa0\x80z"))
	assert.Equal(t, `a["x\ufffdy\ud800z"]`, f.frame(t))
}

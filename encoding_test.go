package sockjs_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// htRanges lists code points, as inclusive [lo, hi] pairs.
func htRanges(pairs ...rune) []rune {
	var out []rune
	for i := 0; i < len(pairs); i += 2 {
		for r := pairs[i]; r <= pairs[i+1]; r++ {
			out = append(out, r)
		}
	}
	return out
}

// htEscapeAll writes every rune as a \uXXXX escape, as a JSON string body.
func htEscapeAll(rs []rune) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range rs {
		fmt.Fprintf(&sb, `\u%04x`, r)
	}
	sb.WriteByte('"')
	return sb.String()
}

// htEchoFrame sends body to an echo session over xhr_send and returns the
// body of the xhr poll that carries the echo, without "a[" and "]\n".
func htEchoFrame(t *testing.T, body string) string {
	t.Helper()
	srv, _ := newServer(t, newRecorder(true), sockjs.Options{})
	sid := htSID()
	htOpen(t, srv, sid)
	htSend(t, srv, sid, "["+body+"]")
	got := htPoll(t, srv, sid)
	inner, ok := strings.CutPrefix(got, "a[")
	require.True(t, ok, "frame %q", got)
	inner, ok = strings.CutSuffix(inner, "]\n")
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
		{"zero width", htRanges(0x200c, 0x200f)},
		{"line separators", htRanges(0x2028, 0x202f)},
		{"invisible operators", htRanges(0x2060, 0x206f)},
		{"specials", htRanges(0xfff0, 0xffff)},
		// The further ones the encoder documents.
		{"C1 controls", htRanges(0x7f, 0x9f)},
		{"format characters", htRanges(0xad, 0xad, 0x600, 0x604, 0x70f, 0x70f, 0x17b4, 0x17b5, 0xfeff, 0xfeff)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// Sent raw, as UTF-8; echoed escaped with lowercase hex digits.
			raw := `"` + string(c.runes) + `"`
			assert.Equal(t, htEscapeAll(c.runes), htEchoFrame(t, raw))
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
	rs := htRanges(0, 0x1f)
	for _, r := range rs {
		if s, ok := short[r]; ok {
			want.WriteString(s)
			continue
		}
		fmt.Fprintf(&want, `\u%04x`, r)
	}
	want.WriteString(`\"\\/"`)
	got := htEchoFrame(t, strings.TrimSuffix(htEscapeAll(rs), `"`)+`\"\\\/"`)
	assert.Equal(t, want.String(), got)
}

func TestEncodingClientEscapesDecoded(t *testing.T) {
	t.Parallel()
	// Every BMP code point but the surrogates, sent escaped: the echo
	// must decode to the same string, however the server escapes it.
	rs := htRanges(0, 0xd7ff, 0xe000, 0xffff)
	got := htEchoFrame(t, htEscapeAll(rs))
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
			rec := newRecorder(true)
			srv, _ := newServer(t, rec, sockjs.Options{})
			sid := htSID()
			htOpen(t, srv, sid)
			htSend(t, srv, sid, "["+c.body+"]")
			assert.Equal(t, "a["+c.want+"]\n", htPoll(t, srv, sid))
			assert.Equal(t, c.data, rec.wait(t, sockjs.EventRecv).Data)
		})
	}
}

func TestEncodingSendInvalidUTF8(t *testing.T) {
	t.Parallel()
	rec := newRecorder(false)
	srv, _ := newServer(t, rec, sockjs.Options{})
	sid := htSID()
	htOpen(t, srv, sid)
	require.NoError(t, rec.conn(t, 0).Send("x\xffy\xed\xa0\x80z"))
	assert.Equal(t, `a["x\ufffdy\ud800z"]`+"\n", htPoll(t, srv, sid))
}

package frame

import (
	"bytes"
	"testing"

	"github.com/gosockjs/sockjs/internal/jsuri"
)

// TestAppendEventDataEveryByte puts every byte value in every position that
// matters, alone and before each escape-like tail, and requires the
// client's decodeURI to give the frame back, with no line break or NUL on
// the wire.
func TestAppendEventDataEveryByte(t *testing.T) {
	tails := []string{"", "%", "%2", "%20", "%41", "%e2%82%ac", "25", "0A"}
	for c := 0; c < 256; c++ {
		for _, tail := range tails {
			f := []byte("a[\"x" + string([]byte{byte(c)}) + tail + "\"]")
			checkEventData(t, f)
		}
	}
}

func FuzzEventData(f *testing.F) {
	for _, s := range []string{"", "%", "%20&a=b+c", "100%", "\r\n\x00", "%%41", "\u2028", "\xff%ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		// What the session puts in a frame, and a frame of raw bytes.
		checkEventData(t, AppendMessages(nil, msg))
		checkEventData(t, []byte(msg))
	})
}

func checkEventData(t *testing.T, f []byte) {
	t.Helper()
	enc := AppendEventData(nil, f)
	if bytes.ContainsAny(enc, "\r\n\x00") {
		t.Fatalf("AppendEventData(%q) = %q: a raw CR, LF or NUL", f, enc)
	}
	got, err := jsuri.AppendDecode(nil, enc)
	if err != nil || string(got) != string(f) {
		t.Fatalf("decodeURI(AppendEventData(%q)) = %q, %v", f, got, err)
	}
}

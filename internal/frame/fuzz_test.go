package frame

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func FuzzDecodeMessages(f *testing.F) {
	for _, s := range []string{
		``, ` `, `[]`, `["a"]`, `"a"`, `["a","b"]`, `[ "a" , "b" ]`,
		`["\u0041\ud83d\ude00\ud800\udc00\udfff"]`, `["\"\\\/\b\f\n\r\t"]`,
		"[\"\xff\xed\xa0\x80\"]", `["a",]`, `[1]`, `{"a":1}`, `"\u12"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := DecodeMessages(nil, b)
		if err != nil {
			if len(msgs) != 0 {
				t.Fatalf("error %v with %d messages", err, len(msgs))
			}
			if err == ErrEmpty && len(bytes.Trim(b, " \t\r\n")) != 0 {
				t.Fatalf("ErrEmpty for non-blank input")
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		enc := AppendMessages(nil, msgs...)
		again, err := DecodeMessages(nil, enc[1:])
		if err != nil {
			t.Fatalf("re-decoding %q: %v", enc, err)
		}
		if len(again) != len(msgs) {
			t.Fatalf("re-decoding %q: got %d messages, want %d", enc, len(again), len(msgs))
		}
		for i := range msgs {
			if again[i] != msgs[i] {
				t.Fatalf("message %d: %q round trips to %q", i, msgs[i], again[i])
			}
		}
	})
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{
		"", "hello", `"\`, "\x00\x1f\x7f", "\u2028\ufeff\ufff0\uffff", "😀",
		"\xed\xa0\x80", "\xff\xfe", "</script><!--&", "\xed\xa0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, script := range []bool{false, true} {
			var enc []byte
			if script {
				enc = AppendScriptString(nil, s)
				if bytes.ContainsAny(enc, "<>&") {
					t.Fatalf("script output %s contains <, > or &", enc)
				}
			} else {
				enc = AppendString(nil, s)
			}
			if !json.Valid(enc) {
				t.Fatalf("invalid JSON %s", enc)
			}
			if !utf8.Valid(enc) {
				t.Fatalf("invalid UTF-8 %q", enc)
			}
			if utf8.ValidString(s) {
				var got string
				if err := json.Unmarshal(enc, &got); err != nil || got != s {
					t.Fatalf("encoding/json decodes %s to %q, %v; want %q", enc, got, err, s)
				}
				msgs, err := DecodeMessages(nil, enc)
				if err != nil || len(msgs) != 1 || msgs[0] != s {
					t.Fatalf("DecodeMessages(%s) = %q, %v; want %q", enc, msgs, err, s)
				}
			}
		}
	})
}

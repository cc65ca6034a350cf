package clientdecode

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gosockjs/sockjs/internal/jsuri"
)

// ErrURI is the URIError that decodeURI throws on a malformed escape.
var ErrURI = jsuri.ErrURI

// DecodeURI is ECMAScript's decodeURI (ES5 15.1.3.1) over UTF-16, as
// sockjs-client applies it to the data of every eventsource event: the Go
// client's jsuri.AppendDecode over the string's WTF-8 form, in which a
// lone surrogate, never part of an escape, passes as it is.
func DecodeURI(s UTF16) (UTF16, error) {
	b, err := jsuri.AppendDecode(nil, AppendWTF8(nil, s))
	if err != nil {
		return nil, err
	}
	return FromGo(string(b)), nil
}

// AppendWTF8 appends s to b encoded as UTF-8, lone surrogates as their
// three-byte WTF-8 forms: the inverse of FromGo, and the form in which package
// sockjs and the Go client hold a JavaScript string.
func AppendWTF8(b []byte, s UTF16) []byte {
	for i := 0; i < len(s); i++ {
		c := rune(s[i])
		if utf16.IsSurrogate(c) && c < 0xdc00 && i+1 < len(s) && s[i+1] >= 0xdc00 && s[i+1] <= 0xdfff {
			c = utf16.DecodeRune(c, rune(s[i+1]))
			i++
		}
		if utf16.IsSurrogate(c) {
			b = append(b, byte(0xe0|c>>12), byte(0x80|c>>6&0x3f), byte(0x80|c&0x3f))
			continue
		}
		b = utf8.AppendRune(b, c)
	}
	return b
}

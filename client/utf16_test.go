package client_test

import (
	"math/rand/v2"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// wtf8 returns the Go string for a sequence of UTF-16 code units as the
// client represents it: the UTF-8 of every character, surrogate pairs
// included, and the three-byte WTF-8 form of every lone surrogate. With
// raw set, each lone surrogate becomes three U+FFFD instead, one per byte,
// as the raw websocket endpoint's text messages must be UTF-8.
func wtf8(units []uint16, raw bool) string {
	var b strings.Builder
	for i := 0; i < len(units); i++ {
		u := rune(units[i])
		switch {
		case utf16.IsSurrogate(u) && u < 0xdc00 && i+1 < len(units) && units[i+1] >= 0xdc00 && units[i+1] <= 0xdfff:
			b.WriteRune(utf16.DecodeRune(u, rune(units[i+1])))
			i++
		case utf16.IsSurrogate(u) && raw:
			b.WriteRune(utf8.RuneError) // what a browser sends for a lone surrogate
		case utf16.IsSurrogate(u):
			b.WriteByte(byte(0xe0 | u>>12))
			b.WriteByte(byte(0x80 | u>>6&0x3f))
			b.WriteByte(byte(0x80 | u&0x3f))
		default:
			b.WriteRune(u)
		}
	}
	return b.String()
}

// everyCodeUnit returns the code units 0x0000-0xFFFF in order, in chunks of
// n: every one of them, lone surrogates and the pair 0xDBFF 0xDC00 included.
func everyCodeUnit(n int) [][]uint16 {
	var chunks [][]uint16
	for start := 0; start < 0x10000; start += n {
		c := make([]uint16, 0, n)
		for u := start; u < start+n && u < 0x10000; u++ {
			c = append(c, uint16(u))
		}
		chunks = append(chunks, c)
	}
	return chunks
}

// randomCodeUnits returns count messages of random code units, up to max
// each, half of them surrogates, so that pairs, lone high and lone low
// surrogates and their neighbours all occur.
func randomCodeUnits(rng *rand.Rand, count, max int) [][]uint16 {
	msgs := make([][]uint16, count)
	for i := range msgs {
		m := make([]uint16, rng.IntN(max+1))
		for j := range m {
			if rng.IntN(2) == 0 {
				m[j] = uint16(0xd800 + rng.IntN(0x800))
			} else {
				m[j] = uint16(rng.IntN(0x10000))
			}
		}
		msgs[i] = m
	}
	return msgs
}

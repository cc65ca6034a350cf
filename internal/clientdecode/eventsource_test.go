package clientdecode

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEventSourceData(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"data: a\r\n\r\n", []string{"a"}},
		{"\r\ndata: a\r\n\r\ndata: b\r\n\r\n", []string{"a", "b"}},
		{"data:a\n\n", []string{"a"}},
		{"data:  a\n\n", []string{" a"}},
		{"data: a\rdata: b\r\r", []string{"a\nb"}},
		{"data: a\ndata\n\n", []string{"a\n"}},
		{"data\n\n", []string{""}},
		{"data: a: b\n\n", []string{"a: b"}},
		{": comment\ndata: a\n\n", []string{"a"}},
		{"event: other\ndata: a\n\ndata: b\n\n", []string{"b"}},
		{"event: message\ndata: a\n\n", []string{"a"}},
		{"id: 1\nretry: 10\nfoo: x\ndata: a\n\n", []string{"a"}},
		{"\n\n\n", nil},
		{"data: a\n", nil},   // not dispatched yet
		{"data: a\r\n", nil}, // nor here
		{"data: a\r\n\r", []string{"a"}},
		{"\xef\xbb\xbfdata: a\n\n", []string{"a"}},
		{"data: \xff\n\n", []string{"\ufffd"}},
		{"Data: a\n\n", nil},
	}
	for _, tt := range tests {
		var want []UTF16
		for _, w := range tt.want {
			want = append(want, u(w))
		}
		assert.Equal(t, want, EventSourceData([]byte(tt.in)), "%q", tt.in)
	}
}

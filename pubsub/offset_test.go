package pubsub_test

import (
	"testing"

	"github.com/gosockjs/sockjs/pubsub"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOffset(t *testing.T) {
	for _, tc := range []struct {
		text string
		o    pubsub.Offset
	}{
		{"0-0", pubsub.Offset{}},
		{"1700000000000-1", pubsub.Offset{Time: 1700000000000, Seq: 1}},
		{"18446744073709551615-18446744073709551615", pubsub.Offset{Time: 1<<64 - 1, Seq: 1<<64 - 1}},
	} {
		o, err := pubsub.ParseOffset(tc.text)
		require.NoError(t, err, tc.text)
		assert.Equal(t, tc.o, o)
		assert.Equal(t, tc.text, tc.o.String())
	}
	for _, bad := range []string{"", "-", "1", "1-", "-1", "a-1", "1-b", "+1-1", "1-+1", "1--1", "1-1-1", " 1-1", "18446744073709551616-0", "0x1-1"} {
		_, err := pubsub.ParseOffset(bad)
		assert.Error(t, err, "%q", bad)
	}
	assert.True(t, pubsub.Offset{}.IsZero())
	assert.False(t, pubsub.Offset{Seq: 1}.IsZero())
	ordered := []pubsub.Offset{{}, {Time: 0, Seq: 5}, {Time: 1, Seq: 1}, {Time: 1, Seq: 2}, {Time: 2, Seq: 1}}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			assert.Equal(t, want, a.Compare(b), "%v vs %v", a, b)
		}
	}
}

func FuzzParseOffset(f *testing.F) {
	f.Add("1700000000000-42")
	f.Add("0-0")
	f.Fuzz(func(t *testing.T, s string) {
		o, err := pubsub.ParseOffset(s)
		if err != nil {
			return
		}
		again, err := pubsub.ParseOffset(o.String())
		if err != nil || again != o {
			t.Errorf("%q: %v round trips to %v, %v", s, o, again, err)
		}
	})
}

package pubsub

import (
	"cmp"
	"errors"
	"strconv"
	"strings"
)

// Offset is the position of a message in its channel's log. The zero
// Offset is the position before the first message.
//
// Seq numbers the messages of a log consecutively from 1, so that a reader
// that sees Seq jump knows exactly how many messages it missed. Time, in
// milliseconds since the epoch, never decreases along a log; it orders the
// messages of a log that was lost and started again (a Redis server that
// restarted without its data, a failover to a replica that lagged) after
// those of the log it replaces, whose numbers start again from 1.
//
// Offsets compare by Time, then Seq. Their text form, "Time-Seq", is a
// Redis stream id: applications carry it in their messages (see
// examples/chat) and parse it back with ParseOffset.
type Offset struct {
	Time uint64
	Seq  uint64
}

// IsZero reports whether o is the zero Offset.
func (o Offset) IsZero() bool { return o == Offset{} }

// Compare returns -1, 0 or +1 as o is before, equal to or after p.
func (o Offset) Compare(p Offset) int {
	if c := cmp.Compare(o.Time, p.Time); c != 0 {
		return c
	}
	return cmp.Compare(o.Seq, p.Seq)
}

// String returns o as "Time-Seq".
func (o Offset) String() string {
	b := strconv.AppendUint(make([]byte, 0, 32), o.Time, 10)
	b = append(b, '-')
	return string(strconv.AppendUint(b, o.Seq, 10))
}

var errOffset = errors.New("pubsub: malformed offset")

// ParseOffset parses the text form of an Offset, "Time-Seq" with both
// numbers in decimal.
func ParseOffset(s string) (Offset, error) {
	t, q, ok := strings.Cut(s, "-")
	if !ok {
		return Offset{}, errOffset
	}
	var o Offset
	var err error
	if o.Time, err = parseUint(t); err != nil {
		return Offset{}, err
	}
	if o.Seq, err = parseUint(q); err != nil {
		return Offset{}, err
	}
	return o, nil
}

// parseUint parses a decimal number of at most 20 digits, with no sign.
func parseUint(s string) (uint64, error) {
	if s == "" || len(s) > 20 {
		return 0, errOffset
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errOffset
	}
	return n, nil
}

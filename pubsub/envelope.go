package pubsub

import (
	"encoding/binary"
	"errors"
)

// envelopeVersion is the first byte of every envelope a Relay publishes.
const envelopeVersion = 1

// envelope is a batch of consecutive messages of one node, the unit a
// Relay publishes:
//
//	version  byte (1)
//	node     uvarint length, bytes
//	first    uvarint, the sequence number of the first message
//	count    uvarint
//	messages count times: uvarint length, bytes
type envelope struct {
	node  string
	first uint64
	msgs  []string
}

var errEnvelope = errors.New("pubsub: malformed envelope")

// appendEnvelope appends the encoding of the messages msgs, numbered from
// first, of node to b.
func appendEnvelope(b []byte, node string, first uint64, msgs []string) []byte {
	b = append(b, envelopeVersion)
	b = binary.AppendUvarint(b, uint64(len(node)))
	b = append(b, node...)
	b = binary.AppendUvarint(b, first)
	b = binary.AppendUvarint(b, uint64(len(msgs)))
	for _, m := range msgs {
		b = binary.AppendUvarint(b, uint64(len(m)))
		b = append(b, m...)
	}
	return b
}

// decodeEnvelope decodes b.
func decodeEnvelope(b []byte) (envelope, error) {
	var e envelope
	if len(b) == 0 || b[0] != envelopeVersion {
		return e, errEnvelope
	}
	b = b[1:]
	str := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	num := func() (uint64, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, false
		}
		b = b[k:]
		return n, true
	}
	var ok bool
	if e.node, ok = str(); !ok {
		return e, errEnvelope
	}
	if e.first, ok = num(); !ok {
		return e, errEnvelope
	}
	count, ok := num()
	// Every message takes at least one byte, which bounds count.
	if !ok || count > uint64(len(b)) || e.first == 0 || e.first+count < e.first {
		return e, errEnvelope
	}
	e.msgs = make([]string, 0, count)
	for range count {
		s, ok := str()
		if !ok {
			return e, errEnvelope
		}
		e.msgs = append(e.msgs, s)
	}
	if len(b) != 0 {
		return e, errEnvelope
	}
	return e, nil
}

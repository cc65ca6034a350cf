package redis

import (
	"context"
	"fmt"

	"github.com/gosockjs/sockjs/pubsub"
	goredis "github.com/redis/go-redis/v9"
)

// appendScript appends a batch to a stream, once.
//
//	KEYS[1]  the stream
//	KEYS[2]  the producer's hash in the stream's slot: stream -> "number id"
//	ARGV[1]  the batch number
//	ARGV[2]  MAXLEN
//	ARGV[3]  the hash's time to live, in ms
//	ARGV[4:] the messages
//
// It returns the id of the batch's last entry. Ids are "<ms>-<n>": n
// numbers the entries from 1, ms is the server's time in milliseconds, or
// the last entry's if that is later.
var appendScript = goredis.NewScript(`
local seen = redis.call('HGET', KEYS[2], KEYS[1])
if seen then
  local sp = string.find(seen, ' ', 1, true)
  if tonumber(string.sub(seen, 1, sp - 1)) >= tonumber(ARGV[1]) then
    return string.sub(seen, sp + 1)
  end
end
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local seq = 0
local id = '0-0'
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if last then
  id = last[1]
  local dash = string.find(id, '-', 1, true)
  ms = math.max(ms, tonumber(string.sub(id, 1, dash - 1)))
  seq = tonumber(string.sub(id, dash + 1))
end
for i = 4, #ARGV do
  seq = seq + 1
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], string.format('%d-%d', ms, seq), 'd', ARGV[i])
end
redis.call('HSET', KEYS[2], KEYS[1], ARGV[1] .. ' ' .. id)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return id
`)

// Append appends the messages of batch to the stream of channel, with one
// call of a Lua script (EVALSHA).
func (b *Broker) Append(ctx context.Context, channel string, batch pubsub.Batch) (pubsub.Offset, error) {
	if b.isClosed() {
		return pubsub.Offset{}, pubsub.ErrClosed
	}
	shard := b.shard(channel)
	keys := []string{b.tag(shard) + "c:" + channel, b.tag(shard) + "p:" + batch.Producer}
	args := make([]any, 0, 3+len(batch.Msgs))
	args = append(args, batch.Number, b.opts.MaxLen, b.opts.DedupTTL.Milliseconds())
	for _, m := range batch.Msgs {
		args = append(args, m)
	}
	id, err := appendScript.Run(ctx, b.client, keys, args...).Text()
	if err != nil {
		return pubsub.Offset{}, fmt.Errorf("redis: append to %q: %w", channel, err)
	}
	return pubsub.ParseOffset(id)
}

// Range returns the messages of channel after offset after, with XRANGE
// from after itself: the log holds what follows after if it still holds
// after (its entries are numbered without a hole).
func (b *Broker) Range(ctx context.Context, channel string, after pubsub.Offset, limit int) ([]pubsub.Message, error) {
	if b.isClosed() {
		return nil, pubsub.ErrClosed
	}
	key := b.StreamKey(channel)
	start := "-"
	if !after.IsZero() {
		start = after.String()
		if limit > 0 {
			limit++
		}
	}
	var entries []goredis.XMessage
	var err error
	if limit > 0 {
		entries, err = b.client.XRangeN(ctx, key, start, "+", int64(limit)).Result()
	} else {
		entries, err = b.client.XRange(ctx, key, start, "+").Result()
	}
	if err != nil {
		return nil, fmt.Errorf("redis: range of %q: %w", channel, err)
	}
	msgs := messages(entries)
	if after.IsZero() {
		if len(msgs) > 0 && msgs[0].Offset.Seq != 1 {
			return nil, pubsub.ErrGap
		}
		return msgs, nil
	}
	if len(msgs) == 0 || msgs[0].Offset != after {
		return nil, pubsub.ErrGap
	}
	return msgs[1:], nil
}

// Tail returns the offset of the last message of channel.
func (b *Broker) Tail(ctx context.Context, channel string) (pubsub.Offset, error) {
	if b.isClosed() {
		return pubsub.Offset{}, pubsub.ErrClosed
	}
	entries, err := b.client.XRevRangeN(ctx, b.StreamKey(channel), "+", "-", 1).Result()
	if err != nil {
		return pubsub.Offset{}, fmt.Errorf("redis: tail of %q: %w", channel, err)
	}
	if len(entries) == 0 {
		return pubsub.Offset{}, nil
	}
	return pubsub.ParseOffset(entries[0].ID)
}

// messages converts stream entries. An entry without a "d" field, which
// this broker does not write, is a message with no data.
func messages(entries []goredis.XMessage) []pubsub.Message {
	msgs := make([]pubsub.Message, 0, len(entries))
	for _, e := range entries {
		o, err := pubsub.ParseOffset(e.ID)
		if err != nil {
			continue // not an id Redis gives
		}
		d, _ := e.Values["d"].(string)
		msgs = append(msgs, pubsub.Message{Offset: o, Data: d})
	}
	return msgs
}

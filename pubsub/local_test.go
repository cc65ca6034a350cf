package pubsub_test

import (
	"context"
	"testing"
	"time"

	"github.com/gosockjs/sockjs/pubsub"
	"github.com/gosockjs/sockjs/pubsub/pubsubtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLocal(t *testing.T) {
	pubsubtest.TestBroker(t, func(t *testing.T, maxLen int) pubsub.Broker {
		l := pubsub.NewLocal(pubsub.LocalOptions{MaxLen: maxLen})
		t.Cleanup(func() { l.Close() })
		return l
	})
}

func TestLocalCloseWaitsForHandler(t *testing.T) {
	l := pubsub.NewLocal(pubsub.LocalOptions{})
	ctx := context.Background()
	entered, release := make(chan struct{}), make(chan struct{})
	calls := 0
	sub, err := l.Subscribe(ctx, "c", pubsub.Offset{}, handlerFunc(func([]pubsub.Message) {
		calls++
		if calls == 1 {
			close(entered)
			<-release
		}
	}))
	require.NoError(t, err)
	_, err = l.Append(ctx, "c", pubsub.Batch{Producer: "p", Number: 1, Msgs: []string{"1"}})
	require.NoError(t, err)
	<-entered
	closed := make(chan struct{})
	go func() { sub.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while the handler ran")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-closed
	_, err = l.Append(ctx, "c", pubsub.Batch{Producer: "p", Number: 2, Msgs: []string{"2"}})
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, 1, calls, "no call after Close")
	require.NoError(t, sub.Close(), "Close is idempotent")
}

func TestLocalClosed(t *testing.T) {
	l := pubsub.NewLocal(pubsub.LocalOptions{})
	ctx := context.Background()
	sub, err := l.Subscribe(ctx, "c", pubsub.Offset{}, &pubsubtest.Recorder{})
	require.NoError(t, err)
	require.NoError(t, l.Close())
	require.NoError(t, sub.Close(), "a subscription closed by the broker closes again")
	_, err = l.Append(ctx, "c", pubsub.Batch{Producer: "p", Number: 1})
	assert.ErrorIs(t, err, pubsub.ErrClosed)
	_, err = l.Range(ctx, "c", pubsub.Offset{}, 0)
	assert.ErrorIs(t, err, pubsub.ErrClosed)
	_, err = l.Tail(ctx, "c")
	assert.ErrorIs(t, err, pubsub.ErrClosed)
	_, err = l.Subscribe(ctx, "c", pubsub.Offset{}, &pubsubtest.Recorder{})
	assert.ErrorIs(t, err, pubsub.ErrClosed)

	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err = pubsub.NewLocal(pubsub.LocalOptions{}).Append(done, "c", pubsub.Batch{})
	assert.ErrorIs(t, err, context.Canceled)
}

// handlerFunc is a Handler from a function, ignoring statuses.
type handlerFunc func([]pubsub.Message)

func (f handlerFunc) HandleMessages(m []pubsub.Message) { f(m) }
func (handlerFunc) HandleStatus(pubsub.Status)          {}

// Package pubsub carries messages between the processes of a SockJS
// deployment, so that a message published on one node reaches the sessions
// of every node, and a client that reconnects gets what it missed.
//
// A SockJS session lives in the process that created it: a load balancer
// keeps every request of a session on one node, and a node can only write to
// its own sessions. A service that runs on several nodes therefore needs a
// bus between them. This package defines that bus as a log per channel (a
// chat room, say), shared by the nodes: the Broker interface, with two
// implementations:
//
//   - Local, in this package: an in-process broker, for a single node, for
//     tests, and as the reference of the interface's semantics;
//   - package github.com/gosockjs/sockjs/pubsub/redis, a separate Go module
//     on Redis Streams (github.com/redis/go-redis), so that this module does
//     not depend on Redis.
//
// On top of a Broker, a Relay is what a node uses: Relay.Publish queues a
// message for a channel and appends it to the log, retrying while the broker
// is down; Relay.Subscribe delivers the channel's messages to a Receiver on
// this node, in log order, each once; Relay.History reads the log after an
// offset, for a client that reconnects.
//
// # Offsets and delivery guarantees
//
// Every message of a log has an Offset: consecutive numbers within a log,
// which the broker assigns when it appends. The offsets make the
// guarantees:
//
//   - Every node delivers the messages of a channel in the same order, the
//     log's, so the messages of one sender arrive in order everywhere and a
//     client's "last offset seen" means "everything up to there".
//   - A node reads a channel from the last offset it delivered, across
//     broker restarts and dropped connections: nothing is lost within the
//     log's retained window, and nothing is delivered twice.
//   - A message is accepted by Relay.Publish (nil error) or refused
//     (ErrFull, ErrClosed); an accepted one is retried until the broker
//     takes it, and its retries never append it twice (Batch.Number).
//   - What is lost anyway is reported, exactly: messages trimmed from the
//     log before a node read them (LossGap, with their number), a log that
//     the broker lost (LossReset), messages still queued when Shutdown gave
//     up (LossDropped). A client that asks for history beyond the window
//     gets ErrGap.
//
// # Deploying on several nodes
//
// Run the nodes behind a load balancer that sends every request of a
// session to the same node: the session id is in every URL,
// /<prefix>/<server>/<session>/<transport>, so the balancer can hash it
// (nginx: hash $sockjs_session consistent), or, with
// sockjs.Options.CookieNeeded, route on the JSESSIONID cookie (HAProxy:
// cookie JSESSIONID prefix). Then give every node a Relay on a shared
// broker. examples/cluster in the repository is a complete deployment:
// nginx.conf, haproxy.cfg, and a script that starts Redis, nginx and three
// nodes.
//
// # Writing a Broker
//
// A Broker keeps one log per channel, appends atomically, numbers the
// messages of a log consecutively (Offset.Seq), and gives them offsets that
// increase along the log even when it starts a log again (Offset.Time). Its
// subscriptions read from a given offset and resume from the last one they
// delivered after any outage, reporting the outage and its end through
// Handler.HandleStatus. Local is the reference: its tests, and the Relay's,
// state the contract.
package pubsub

import (
	"context"
	"errors"
	"time"
)

// Errors of the package.
var (
	// ErrClosed is returned by the methods of a Broker or Relay that has
	// been closed.
	ErrClosed = errors.New("pubsub: closed")
	// ErrGap is returned by Broker.Range and Relay.History when the log no
	// longer holds the message that follows the given offset: it was
	// trimmed, or the log was lost, or the offset is from another log.
	ErrGap = errors.New("pubsub: messages after this offset are no longer retained")
	// ErrFull is returned by Relay.Publish when RelayOptions.MaxPending
	// messages are already waiting for the broker.
	ErrFull = errors.New("pubsub: too many messages waiting for the broker")
)

// Message is a message of a channel's log.
type Message struct {
	// Offset is the message's position in the log.
	Offset Offset
	// Data is the message as published.
	Data string
}

// Batch is what a producer appends to a channel in one call.
type Batch struct {
	// Producer identifies the process that appends: unique to each process
	// instance, such as a host name and a random suffix.
	Producer string
	// Number numbers the producer's batches, increasing from 1. A batch
	// whose Number is not above that of the last batch the same Producer
	// appended to the channel has been appended already: Append appends
	// nothing and returns that batch's offset. This makes a retry after an
	// ambiguous error (the broker may or may not have appended) safe.
	Number uint64
	// Msgs are the messages, in order.
	Msgs []string
}

// Broker is a set of logs, one per channel, shared by the nodes of a
// deployment. Its methods are safe for concurrent use.
type Broker interface {
	// Append appends the messages of b to the log of channel, atomically
	// and in order, and returns the offset of the last one. An error means
	// they may or may not have been appended; retry with the same b.
	Append(ctx context.Context, channel string, b Batch) (Offset, error)

	// Range returns the messages of channel after offset after, in order:
	// at most limit of them if limit > 0. It returns ErrGap if the log no longer holds
	// the message that follows after (the zero Offset is followed by the
	// log's first message).
	Range(ctx context.Context, channel string, after Offset, limit int) ([]Message, error)

	// Tail returns the offset of the last message of channel, or the zero
	// Offset if its log is empty.
	Tail(ctx context.Context, channel string) (Offset, error)

	// Subscribe delivers to h every message of channel after offset after,
	// in order, until Subscription.Close. ctx bounds the setup only. If the
	// connection to the broker is lost, the subscription reports it to
	// h.HandleStatus, and resumes after the last message it delivered once
	// it is back. Messages that the log dropped meanwhile are skipped: the
	// receiver sees the jump in Offset.Seq.
	Subscribe(ctx context.Context, channel string, after Offset, h Handler) (Subscription, error)
}

// Handler receives what a broker subscription delivers. The calls for one
// subscription never overlap and come in order.
type Handler interface {
	// HandleMessages is called with the next messages of the channel. The
	// handler may keep msgs.
	HandleMessages(msgs []Message)

	// HandleStatus is called when the subscription loses its connection to
	// the broker (Connected false, with the error) and when it has it back
	// (Connected true).
	HandleStatus(st Status)
}

// Status is a change of a subscription's connection to the broker.
type Status struct {
	// Channel is the subscription's channel.
	Channel string
	// Connected tells whether the subscription is reading again.
	Connected bool
	// Err is why the connection was lost, when Connected is false.
	Err error
	// Since is when the connection was lost, when Connected is true: the
	// start of the outage that just ended.
	Since time.Time
}

// Subscription is a live subscription.
type Subscription interface {
	// Close ends the subscription. Once it returns, its handler or
	// receiver gets no more calls; it must therefore not be called from
	// them. Close is idempotent.
	Close() error
}

// Package pubsub carries messages between the processes of a SockJS
// deployment, so that a message published on one node reaches the sessions
// of every node.
//
// A SockJS session lives in the process that created it: a load balancer
// keeps every request of a session on one node (see the sockjs package
// documentation), and a node can only write to its own sessions. A service
// that runs on several nodes therefore needs a bus between them. This
// package defines that bus as a small interface, Broker, with two
// implementations:
//
//   - Local, in this package: an in-process broker, for a single node, for
//     tests, and as the reference of the interface's semantics;
//   - package github.com/gosockjs/sockjs/pubsub/redis, a separate Go module
//     built on Redis pub/sub (github.com/redis/go-redis), so that this module
//     does not depend on Redis.
//
// On top of a Broker, a Relay binds a channel to a Target, typically a
// *sockjs.Handler: Relay.Publish delivers a message to the local sessions at
// once and to every other node through the broker, where the relay of each
// node hands it to Target.Broadcast. The broker carries one envelope per
// batch of messages and each node decodes it once, so a message is framed
// once per node, never once per session.
//
// # Delivery guarantees
//
// Brokers in the style of Redis pub/sub are fire-and-forget: a subscriber
// that is disconnected when a message is published never sees it. The Relay
// turns that into guarantees an application can state:
//
//   - Every message reaches each node at most once, and the messages of one
//     node arrive in the order that node published them, so the messages of
//     one sender (one session) arrive in order everywhere.
//   - Every envelope carries the publishing node's id and a sequence number.
//     A node that misses messages (its subscription was down, the broker
//     restarted) sees the jump in the sequence at the next message of that
//     node and reports it through RelayOptions.OnLoss, the logger and
//     RelayStats. Duplicates (a publish retried after an ambiguous error) are
//     dropped by the same numbers.
//   - A publish that fails is retried with backoff while the broker is down,
//     up to RelayOptions.MaxPending messages; messages beyond that are
//     dropped and reported, never silently lost. While the relay's own
//     subscription is down, it holds its messages back until the
//     subscription is established again, so that they are not published
//     into a broker that no node has resubscribed to yet.
//
// # Deploying on several nodes
//
// Run the nodes behind a load balancer that sends every request of a
// session to the same node. The session id is in every URL,
// /<prefix>/<server>/<session>/<transport>, so the balancer can route on
// it with consistent hashing: no cookie is needed, and the death of a node
// moves only its own sessions. With nginx:
//
//	map $uri $sockjs_session {
//		"~/(?<sid>[^/.]+)/(?:websocket|xhr|xhr_send|xhr_streaming|eventsource|htmlfile|jsonp|jsonp_send)$" $sid;
//		default $request_id;
//	}
//	upstream nodes {
//		hash $sockjs_session consistent;
//		server 10.0.0.1:8080 max_fails=1 fail_timeout=5s;
//		server 10.0.0.2:8080 max_fails=1 fail_timeout=5s;
//	}
//
// and, in the location, proxy_http_version 1.1, the Upgrade and Connection
// headers for websockets, proxy_buffering off for the streaming transports
// and a proxy_read_timeout above the heartbeat
// (sockjs.Options.HeartbeatDelay, 25 seconds by default).
//
// The alternative is cookie affinity: with sockjs.Options.CookieNeeded,
// every session response sets JSESSIONID and /info tells sockjs-client to
// send cookies, and a balancer such as HAProxy ("cookie JSESSIONID
// prefix") routes on the cookie.
//
// Then give every node a Relay on a shared broker. examples/cluster in the
// repository is a complete deployment: nginx.conf, haproxy.cfg, and a
// script that starts Redis, nginx and three nodes.
//
// # Writing a Broker
//
// An implementation must deliver the messages of one channel to each
// subscription sequentially and, for the messages published by one
// publisher (one process calling Publish sequentially), in publish order.
// It must report a subscription that lost its connection to the broker, and
// its return, through Handler.HandleStatus, and resubscribe by itself.
package pubsub

import (
	"context"
	"errors"
	"time"
)

// ErrClosed is returned by the methods of a Broker or Relay that has been
// closed.
var ErrClosed = errors.New("pubsub: closed")

// Broker is a publish/subscribe bus shared by the nodes of a deployment.
// Its methods are safe for concurrent use.
type Broker interface {
	// Publish sends msg to the subscriptions of channel on every node that
	// are established when the broker receives it. A nil error means the
	// broker accepted the message; an error means it may or may not have
	// been delivered. Messages published by sequential calls are delivered
	// to each subscription in that order. Publish does not retain msg.
	Publish(ctx context.Context, channel string, msg []byte) error

	// Subscribe subscribes h to channel and returns once the broker has
	// confirmed the subscription, so that every message published after
	// it returns reaches h. ctx bounds this setup only; the subscription
	// lasts until Subscription.Close. If the connection to the broker is
	// lost later, the implementation reports it to h.HandleStatus and
	// resubscribes by itself, reporting the return as well.
	Subscribe(ctx context.Context, channel string, h Handler) (Subscription, error)
}

// Handler receives what a subscription delivers. The calls for one
// subscription never overlap and come in order.
type Handler interface {
	// HandleMessage is called for every message published on the channel.
	// The handler may retain msg but must not modify it: it may be shared
	// with the other subscriptions of the process.
	HandleMessage(msg []byte)

	// HandleStatus is called when the subscription loses its connection to
	// the broker (Connected false, with the error) and when it is
	// established again (Connected true). Messages published in between
	// were not delivered to this subscription.
	HandleStatus(st Status)
}

// Status is a change of a subscription's connection to the broker.
type Status struct {
	// Channel is the subscription's channel.
	Channel string
	// Connected tells whether the subscription is established.
	Connected bool
	// Err is why the connection was lost, when Connected is false.
	Err error
	// Since is when the subscription was lost, when Connected is true: the
	// start of the outage that just ended.
	Since time.Time
}

// Subscription is a live subscription, returned by Broker.Subscribe.
type Subscription interface {
	// Close ends the subscription. Once it returns, the handler gets no
	// more calls; it must therefore not be called from the handler. Close
	// is idempotent.
	Close() error
}

// HandlerFuncs adapts two functions to a Handler. A nil field ignores its
// calls.
type HandlerFuncs struct {
	// Message is called by HandleMessage.
	Message func(msg []byte)
	// Status is called by HandleStatus.
	Status func(st Status)
}

// HandleMessage calls f.Message.
func (f HandlerFuncs) HandleMessage(msg []byte) {
	if f.Message != nil {
		f.Message(msg)
	}
}

// HandleStatus calls f.Status.
func (f HandlerFuncs) HandleStatus(st Status) {
	if f.Status != nil {
		f.Status(st)
	}
}

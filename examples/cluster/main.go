// Command cluster is one node of the chat (package chat of examples/chat)
// deployed on several nodes: its sessions live here, behind a load balancer
// that keeps every request of a session on this node, and its room events
// reach the other nodes through Redis pub/sub (pubsub.Relay on the broker
// of github.com/gosockjs/sockjs/pubsub/redis).
//
// It serves:
//
//	/chat/...       the SockJS service of the chat
//	/broadcast/...  a SockJS service that sends every message it receives to
//	                every session of every node: a Relay whose target is the
//	                *sockjs.Handler itself, so each message is framed once per node
//	/               the chat page
//	/stats          the node's counters as JSON (sessions, relays, rooms)
//	/healthz        200 while the relays' subscriptions are up, 503 otherwise
//
// start.sh in this directory starts redis-server, nginx (nginx.conf) and
// three nodes on loopback ports. By hand:
//
//	go run . -addr 127.0.0.1:8101 -node n1 -redis 127.0.0.1:6379
//
// Flags:
//
//	-addr ADDR          address to listen on (default 127.0.0.1:8101)
//	-node NAME          the node's name in pages, events and logs (default: the address)
//	-redis ADDR         the Redis server (default 127.0.0.1:6379)
//	-channel NAME       the Redis channel of the chat (default "sockjs:chat")
//	-sockjs-url URL     sockjs-client script for the page and the iframe transports
//	-sockjs-file PATH   serve this sockjs-client file at /sockjs.min.js and use it (offline use)
//	-cookie             set JSESSIONID, for load balancers with cookie affinity (haproxy.cfg)
//	-heartbeat DUR      SockJS heartbeat delay (default 25s)
//	-v                  log every request
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/examples/chat/chat"
	"github.com/gosockjs/sockjs/examples/internal/run"
	"github.com/gosockjs/sockjs/pubsub"
	"github.com/gosockjs/sockjs/pubsub/redis"
	goredis "github.com/redis/go-redis/v9"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8101", "address to listen on")
	node := flag.String("node", "", "name of this node (default: the address)")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "address of the Redis server")
	channel := flag.String("channel", "sockjs:chat", "Redis channel of the chat")
	sockjsURL := flag.String("sockjs-url", sockjs.DefaultSockJSURL, "URL of the sockjs-client script")
	sockjsFile := flag.String("sockjs-file", "", "serve this sockjs-client script at /sockjs.min.js, and use it")
	cookie := flag.Bool("cookie", false, "set the JSESSIONID cookie, for cookie affinity")
	heartbeat := flag.Duration("heartbeat", sockjs.DefaultHeartbeatDelay, "SockJS heartbeat delay")
	verbose := flag.Bool("v", false, "log every request")
	flag.Parse()
	if *node == "" {
		*node = *addr
	}
	if *sockjsFile != "" {
		if _, err := os.Stat(*sockjsFile); err != nil {
			log.Fatal(err)
		}
		*sockjsURL = "/sockjs.min.js"
	}

	logger := run.Logger(*verbose).With("node", *node)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	n, err := start(*node, *redisAddr, *channel, *sockjsURL, *cookie, *heartbeat, logger)
	if err != nil {
		log.Fatal(err)
	}
	if *sockjsFile != "" {
		n.mux.HandleFunc("/sockjs.min.js", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, *sockjsFile)
		})
	}
	fmt.Printf("node %s listening on http://%s (redis %s)\n", *node, ln.Addr(), *redisAddr)

	if err := run.Serve(ln, n.mux, n.shutdown); err != nil {
		log.Fatal(err)
	}
}

// nodeServer is the chat of one node and its connection to the others.
type nodeServer struct {
	name      string
	hub       *chat.Hub
	relay     *pubsub.Relay
	broadcast *sockjs.Handler
	bcRelay   *pubsub.Relay
	rdb       *goredis.Client
	mux       *http.ServeMux
}

func start(name, redisAddr, channel, sockjsURL string, cookie bool, heartbeat time.Duration, logger *slog.Logger) (*nodeServer, error) {
	n := &nodeServer{name: name, mux: http.NewServeMux()}
	n.hub = chat.NewHub("/chat", chat.Options{
		Node: name,
		SockJS: sockjs.Options{
			SockJSURL:      sockjsURL,
			Logger:         logger,
			CookieNeeded:   cookie,
			HeartbeatDelay: heartbeat,
		},
	})
	n.rdb = goredis.NewClient(&goredis.Options{Addr: redisAddr, DialTimeout: time.Second, MaxRetries: -1})
	broker := redis.New(n.rdb, redis.Options{})

	// Tell the users of this node what they may have missed.
	onLoss := func(l pubsub.Loss) {
		switch l.Kind {
		case pubsub.LossGap:
			n.hub.Notice(fmt.Sprintf("%d message(s) from another node were lost while the nodes were out of touch.", l.Count))
		case pubsub.LossOutage:
			n.hub.Notice("This server lost contact with the other servers; messages from them may be missed until it is back.")
		case pubsub.LossDropped:
			n.hub.Notice(fmt.Sprintf("%d message(s) sent here could not reach the other servers.", l.Count))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	relay, err := pubsub.NewRelay(ctx, broker, channel, n.hub, pubsub.RelayOptions{
		Node:   name,
		Logger: logger,
		OnLoss: onLoss,
	})
	if err != nil {
		n.rdb.Close()
		return nil, err
	}
	n.relay = relay
	n.hub.SetPublish(relay.Publish)

	// /broadcast: every message to every session of every node.
	var bcRelay *pubsub.Relay
	n.broadcast = sockjs.NewHandler("/broadcast", func(c *sockjs.Conn, ev sockjs.Event, _ struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			bcRelay.Publish(ev.Data)
		}
		return struct{}{}
	}, struct{}{}, sockjs.Options{SockJSURL: sockjsURL, Logger: logger, CookieNeeded: cookie, HeartbeatDelay: heartbeat})
	bcRelay, err = pubsub.NewRelay(ctx, broker, channel+":broadcast", n.broadcast, pubsub.RelayOptions{Node: name, Logger: logger})
	if err != nil {
		relay.Shutdown(ctx)
		n.rdb.Close()
		return nil, err
	}
	n.bcRelay = bcRelay
	n.mux.Handle("/broadcast", n.broadcast)
	n.mux.Handle("/broadcast/", n.broadcast)

	h := n.hub.Handler()
	n.mux.Handle("/chat", h)
	n.mux.Handle("/chat/", h)
	n.mux.Handle("/{$}", chat.Page(chat.PageData{SockJSURL: sockjsURL, Prefix: "/chat", Title: "cluster"}))
	n.mux.HandleFunc("/stats", n.stats)
	n.mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if !relay.Stats().Connected || !bcRelay.Stats().Connected {
			http.Error(w, "redis subscription down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return n, nil
}

// Stats is what /stats returns.
type Stats struct {
	Node     string            `json:"node"`
	Sessions int               `json:"sessions"`
	Relay    pubsub.RelayStats `json:"relay"`
	Rooms    map[string]int    `json:"rooms"`
	SockJS   sockjs.Stats      `json:"sockjs"`

	Broadcast struct {
		Sessions int               `json:"sessions"`
		Relay    pubsub.RelayStats `json:"relay"`
	} `json:"broadcast"`
}

func (n *nodeServer) stats(w http.ResponseWriter, r *http.Request) {
	st := n.hub.Handler().Stats()
	out := Stats{
		Node:     n.name,
		Sessions: st.Sessions,
		Relay:    n.relay.Stats(),
		Rooms:    n.hub.Rooms(),
		SockJS:   st,
	}
	out.Broadcast.Sessions = n.broadcast.Stats().Sessions
	out.Broadcast.Relay = n.bcRelay.Stats()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// shutdown closes the sessions, then publishes what is pending and closes
// the connection to Redis.
func (n *nodeServer) shutdown(ctx context.Context) error {
	return errors.Join(
		n.hub.Handler().Shutdown(ctx),
		n.broadcast.Shutdown(ctx),
		n.relay.Shutdown(ctx),
		n.bcRelay.Shutdown(ctx),
		n.rdb.Close(),
	)
}

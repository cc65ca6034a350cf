// Command cluster is one node of the chat (package chat of examples/chat)
// deployed on several nodes: its sessions live here, behind a load balancer
// that keeps every request of a session on this node, and its rooms are
// Redis streams shared by the nodes (pubsub.Relay on the broker of
// github.com/gosockjs/sockjs/pubsub/redis). A client that reconnects, to
// this node or another, gets what it missed.
//
// It serves:
//
//	/chat/...       the SockJS service of the chat
//	/broadcast/...  a SockJS service that sends every message it receives to
//	                every session of every node, framed once per node
//	/               the chat page
//	/stats          the node's counters as JSON (sessions, relay, rooms)
//	/healthz        liveness: 200 while the process serves, whatever Redis does
//	/readyz         readiness: 200 until the node starts shutting down, then
//	                503; the body tells whether Redis is reachable
//
// A Redis outage does not make the node unready: its sessions keep working,
// and the messages sent meanwhile wait on their node and are delivered once
// Redis is back. A balancer that took nodes out when Redis is down would take
// the whole site down.
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
//	-redis ADDRS        Redis: one address, several (comma-separated) for a Redis
//	                    Cluster, or Sentinels with -redis-master (default 127.0.0.1:6379)
//	-redis-master NAME  the master's name, when -redis are Sentinels
//	-redis-prefix P     prefix of the Redis keys (default "sockjs:")
//	-history N          events each room keeps for reconnecting clients (default 1000)
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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosockjs/sockjs"
	"github.com/gosockjs/sockjs/examples/chat/chat"
	"github.com/gosockjs/sockjs/examples/internal/run"
	"github.com/gosockjs/sockjs/pubsub"
	"github.com/gosockjs/sockjs/pubsub/redis"
	goredis "github.com/redis/go-redis/v9"
)

// config is what the flags set.
type config struct {
	name, redisAddrs, redisMaster, redisPrefix, sockjsURL string
	history                                               int
	cookie                                                bool
	heartbeat                                             time.Duration
}

func main() {
	var cfg config
	addr := flag.String("addr", "127.0.0.1:8101", "address to listen on")
	flag.StringVar(&cfg.name, "node", "", "name of this node (default: the address)")
	flag.StringVar(&cfg.redisAddrs, "redis", "127.0.0.1:6379", "Redis address; several, comma-separated, for a Redis Cluster; Sentinels with -redis-master")
	flag.StringVar(&cfg.redisMaster, "redis-master", "", "name of the master, when -redis are Sentinels")
	flag.StringVar(&cfg.redisPrefix, "redis-prefix", redis.DefaultPrefix, "prefix of the Redis keys")
	flag.IntVar(&cfg.history, "history", redis.DefaultMaxLen, "events each room keeps for reconnecting clients")
	flag.StringVar(&cfg.sockjsURL, "sockjs-url", sockjs.DefaultSockJSURL, "URL of the sockjs-client script")
	sockjsFile := flag.String("sockjs-file", "", "serve this sockjs-client script at /sockjs.min.js, and use it")
	flag.BoolVar(&cfg.cookie, "cookie", false, "set the JSESSIONID cookie, for cookie affinity")
	flag.DurationVar(&cfg.heartbeat, "heartbeat", sockjs.DefaultHeartbeatDelay, "SockJS heartbeat delay")
	verbose := flag.Bool("v", false, "log every request")
	flag.Parse()
	if cfg.name == "" {
		cfg.name = *addr
	}
	if *sockjsFile != "" {
		if _, err := os.Stat(*sockjsFile); err != nil {
			log.Fatal(err)
		}
		cfg.sockjsURL = "/sockjs.min.js"
	}

	logger := run.Logger(*verbose).With("node", cfg.name)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	n := start(cfg, logger)
	if *sockjsFile != "" {
		n.mux.HandleFunc("/sockjs.min.js", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, *sockjsFile)
		})
	}
	fmt.Printf("node %s listening on http://%s (redis %s)\n", cfg.name, ln.Addr(), cfg.redisAddrs)

	if err := run.Serve(ln, n.mux, n.shutdown); err != nil {
		log.Fatal(err)
	}
}

// nodeServer is the chat of one node and its connection to the others.
type nodeServer struct {
	name      string
	rdb       goredis.UniversalClient
	broker    *redis.Broker
	relay     *pubsub.Relay
	hub       *chat.Hub
	broadcast *sockjs.Handler
	mux       *http.ServeMux
	draining  atomic.Bool

	bcCancel context.CancelFunc // ends the /broadcast subscription
	bcDone   sync.WaitGroup
}

// start sets the node up. It does not wait for Redis: the node serves its
// sessions while Redis is away.
func start(cfg config, logger *slog.Logger) *nodeServer {
	n := &nodeServer{name: cfg.name, mux: http.NewServeMux()}
	n.rdb = goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs:       strings.Split(cfg.redisAddrs, ","),
		MasterName:  cfg.redisMaster,
		DialTimeout: time.Second,
	})
	n.broker = redis.New(n.rdb, redis.Options{Prefix: cfg.redisPrefix, MaxLen: int64(cfg.history)})
	n.relay = pubsub.NewRelay(n.broker, pubsub.RelayOptions{Node: cfg.name, Logger: logger})
	sockjsOpts := sockjs.Options{SockJSURL: cfg.sockjsURL, Logger: logger, CookieNeeded: cfg.cookie, HeartbeatDelay: cfg.heartbeat}

	n.hub = chat.NewHub("/chat", n.relay, chat.Options{Node: cfg.name, SockJS: sockjsOpts})
	n.mux.Handle("/chat", n.hub.Handler())
	n.mux.Handle("/chat/", n.hub.Handler())
	n.mux.Handle("/{$}", chat.Page(chat.PageData{SockJSURL: cfg.sockjsURL, Prefix: "/chat", Title: "cluster"}))

	// /broadcast: every message to every session of every node.
	n.broadcast = sockjs.NewHandler("/broadcast", func(c *sockjs.Conn, ev sockjs.Event, _ struct{}) struct{} {
		if ev.Type == sockjs.EventRecv {
			if err := n.relay.Publish("broadcast", ev.Data); err != nil {
				c.Send("not delivered: " + err.Error())
			}
		}
		return struct{}{}
	}, struct{}{}, sockjsOpts)
	n.mux.Handle("/broadcast", n.broadcast)
	n.mux.Handle("/broadcast/", n.broadcast)
	var ctx context.Context
	ctx, n.bcCancel = context.WithCancel(context.Background())
	n.bcDone.Go(func() {
		sub, err := n.relay.Subscribe(ctx, "broadcast", pubsub.ReceiverFunc(func(m pubsub.Message) {
			n.broadcast.Broadcast(m.Data)
		}))
		if err != nil {
			return // shut down before Redis came
		}
		<-ctx.Done()
		sub.Close()
	})

	n.mux.HandleFunc("/stats", n.stats)
	n.mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	n.mux.HandleFunc("/readyz", n.ready)
	return n
}

// ready answers 200 until the node shuts down, whatever Redis does.
func (n *nodeServer) ready(w http.ResponseWriter, r *http.Request) {
	st := n.relay.Stats()
	w.Header().Set("Content-Type", "application/json")
	if n.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(map[string]any{
		"ready":       !n.draining.Load(),
		"redis":       st.Connected,
		"pending":     st.Pending,
		"subscribers": st.Subscriptions,
	})
}

// Stats is what /stats returns.
type Stats struct {
	Node      string            `json:"node"`
	Sessions  int               `json:"sessions"`
	Broadcast int               `json:"broadcast_sessions"`
	Relay     pubsub.RelayStats `json:"relay"`
	Rooms     map[string]int    `json:"rooms"`
	SockJS    sockjs.Stats      `json:"sockjs"`
}

func (n *nodeServer) stats(w http.ResponseWriter, r *http.Request) {
	st := n.hub.Handler().Stats()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(Stats{
		Node:      n.name,
		Sessions:  st.Sessions,
		Broadcast: n.broadcast.Stats().Sessions,
		Relay:     n.relay.Stats(),
		Rooms:     n.hub.Rooms(),
		SockJS:    st,
	})
}

// shutdown makes the node unready, closes the sessions (their "left"
// events go to the relay), appends what is pending and closes the
// connection to Redis.
func (n *nodeServer) shutdown(ctx context.Context) error {
	n.draining.Store(true)
	errs := []error{n.hub.Handler().Shutdown(ctx), n.broadcast.Shutdown(ctx), n.hub.Close()}
	n.bcCancel()
	n.bcDone.Wait()
	errs = append(errs, n.relay.Shutdown(ctx), n.broker.Close(), n.rdb.Close())
	return errors.Join(errs...)
}

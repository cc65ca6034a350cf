module github.com/gosockjs/sockjs/examples/cluster

go 1.25.0

require (
	github.com/gorilla/websocket v1.5.3
	github.com/gosockjs/sockjs v0.1.0
	github.com/gosockjs/sockjs/pubsub/redis v0.1.0
	github.com/redis/go-redis/v9 v9.22.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

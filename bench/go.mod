module github.com/gosockjs/sockjs/bench

go 1.25.0

require (
	github.com/gorilla/websocket v1.5.3
	github.com/gosockjs/sockjs v0.1.0
	github.com/igm/sockjs-go v3.0.1+incompatible
)

module github.com/gosockjs/sockjs/bench

go 1.26.8

replace github.com/gosockjs/sockjs => ../

require (
	github.com/gorilla/websocket v1.5.3
	github.com/gosockjs/sockjs v0.0.0-00010101000000-000000000000
	github.com/igm/sockjs-go v3.0.1+incompatible
)

package chat

import (
	_ "embed"
	"html/template"
	"net/http"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("chat").Parse(pageHTML))

// PageData fills the chat page.
type PageData struct {
	// SockJSURL is the address of the sockjs-client script.
	SockJSURL string
	// Prefix is the chat's SockJS prefix, such as "/chat".
	Prefix string
	// Title is shown in the header, such as "node n1" or "cluster".
	Title string
}

// Page returns a handler that serves the chat page: a single
// self-contained HTML document (inline style and script) that loads
// sockjs-client from data.SockJSURL.
func Page(data PageData) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		pageTemplate.Execute(w, data)
	})
}

package sockjs

import (
	"net/http"
	"strings"
)

// AllowOrigins returns a CheckOrigin function that allows the listed
// origins, such as "https://app.example.com" or "http://localhost:3000",
// compared without regard to case. An entry "https://*.example.com" allows
// every subdomain of example.com over https (but not example.com itself).
func AllowOrigins(origins ...string) func(r *http.Request) bool {
	exact := make(map[string]bool, len(origins))
	type wildcard struct{ scheme, suffix string }
	var wild []wildcard
	for _, o := range origins {
		o = strings.ToLower(strings.TrimSuffix(o, "/"))
		if scheme, host, ok := strings.Cut(o, "://*."); ok {
			wild = append(wild, wildcard{scheme + "://", "." + host})
			continue
		}
		exact[o] = true
	}
	return func(r *http.Request) bool {
		o := strings.ToLower(r.Header.Get(headerOrigin))
		if exact[o] {
			return true
		}
		for _, w := range wild {
			if rest, ok := strings.CutPrefix(o, w.scheme); ok &&
				strings.HasSuffix(rest, w.suffix) && len(rest) > len(w.suffix) &&
				!strings.ContainsAny(rest, "/@") {
				return true
			}
		}
		return false
	}
}

package sockjs_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockjs/sockjs"
)

// TestTransportsOption serves one transport at a time and checks every
// endpoint: only the transport listed opens sessions, the sending
// endpoints follow the transports that use them, and /info tells whether
// the websocket is there.
func TestTransportsOption(t *testing.T) {
	t.Parallel()
	xhrSenders := []sockjs.Transport{sockjs.TransportXHRPolling, sockjs.TransportXHRStreaming,
		sockjs.TransportEventSource, sockjs.TransportHTMLFile}
	for _, only := range openers {
		t.Run(string(only.transport), func(t *testing.T) {
			t.Parallel()
			svc := startService(t, nil, sockjs.Options{Transports: []sockjs.Transport{only.transport}})
			for _, o := range openers {
				status, _ := o.attempt(t, svc.HTTP, newSID(), "", nil)
				if o.transport == only.transport {
					assert.Contains(t, []int{http.StatusOK, http.StatusSwitchingProtocols}, status, "%s", o.transport)
				} else {
					assert.Equal(t, http.StatusNotFound, status, "%s", o.transport)
				}
			}
			// A served endpoint answers a wrong method with 405; one that
			// is not served does not exist.
			for _, send := range []struct {
				path    string
				servers []sockjs.Transport
			}{
				{"xhr_send", xhrSenders},
				{"jsonp_send", []sockjs.Transport{sockjs.TransportJSONPPolling}},
			} {
				status, _ := svc.request(t, http.MethodGet, "/000/"+newSID()+"/"+send.path, "", nil)
				want := http.StatusNotFound
				if slices.Contains(send.servers, only.transport) {
					want = http.StatusMethodNotAllowed
				}
				assert.Equal(t, want, status, "GET %s", send.path)
			}
			status, body := svc.request(t, http.MethodGet, "/info", "", nil)
			require.Equal(t, http.StatusOK, status)
			var info struct{ Websocket bool }
			require.NoError(t, json.Unmarshal([]byte(body), &info))
			assert.Equal(t, only.transport == sockjs.TransportWebsocket, info.Websocket, "/info websocket")
		})
	}
}

func TestTransportsOptionDefaults(t *testing.T) {
	t.Parallel()
	t.Run("all by default", func(t *testing.T) {
		t.Parallel()
		svc := startService(t, nil, sockjs.Options{})
		for _, o := range openers {
			status, _ := o.attempt(t, svc.HTTP, newSID(), "", nil)
			assert.Contains(t, []int{http.StatusOK, http.StatusSwitchingProtocols}, status, "%s", o.transport)
		}
	})
	t.Run("DisableWebsocket takes both websockets out", func(t *testing.T) {
		t.Parallel()
		svc := startService(t, nil, sockjs.Options{DisableWebsocket: true,
			Transports: []sockjs.Transport{sockjs.TransportWebsocket, sockjs.TransportWebsocketRaw, sockjs.TransportXHRPolling}})
		for _, o := range openers[:3] {
			status, _ := o.attempt(t, svc.HTTP, newSID(), "", nil)
			if o.transport == sockjs.TransportXHRPolling {
				assert.Equal(t, http.StatusOK, status)
			} else {
				assert.Equal(t, http.StatusNotFound, status, "%s", o.transport)
			}
		}
	})
	t.Run("unknown name", func(t *testing.T) {
		t.Parallel()
		assert.PanicsWithValue(t, `sockjs: unknown transport "xhr"`, func() {
			sockjs.NewHandler("/echo", newEventLog(nil).callback, 0, sockjs.Options{Transports: []sockjs.Transport{"xhr"}})
		})
	})
}

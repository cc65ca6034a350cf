package sockjs

import (
	"context"
	"sync"
)

// registry holds the live sessions of one handler. Its lock guards only its
// maps: no session or network work happens under it.
type registry struct {
	mu   sync.Mutex
	byID map[string]*session   // sessions of the HTTP transports, by session id
	anon map[*session]struct{} // websocket sessions, which have no usable id
	busy int                   // sessions not yet finished plus receivers running
	idle chan struct{}         // closed when busy drops to zero, while someone waits
}

func (g *registry) init() {
	g.byID = make(map[string]*session)
	g.anon = make(map[*session]struct{})
}

// get returns the session registered under id, or nil.
func (g *registry) get(id string) *session {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.byID[id]
}

// getOrCreate returns the session registered under id, or registers the one
// mk makes. It returns nil when max sessions are live or closing is closed.
func (g *registry) getOrCreate(id string, mk func() *session, max int, closing <-chan struct{}) (s *session, created bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s := g.byID[id]; s != nil {
		return s, false
	}
	if !g.admitLocked(max, closing) {
		return nil, false
	}
	s = mk()
	g.byID[id] = s
	g.busy++
	return s, true
}

// addAnon registers a websocket session, within the same limits.
func (g *registry) addAnon(s *session, max int, closing <-chan struct{}) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.admitLocked(max, closing) {
		return false
	}
	g.anon[s] = struct{}{}
	g.busy++
	return true
}

func (g *registry) admitLocked(max int, closing <-chan struct{}) bool {
	select {
	case <-closing:
		return false
	default:
	}
	return len(g.byID)+len(g.anon) < max
}

// remove forgets s.
func (g *registry) remove(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s.id == "" {
		delete(g.anon, s)
	} else if g.byID[s.id] == s {
		delete(g.byID, s.id)
	}
}

// len returns the number of registered sessions.
func (g *registry) len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.byID) + len(g.anon)
}

// each calls fn for every registered session, without holding the lock.
func (g *registry) each(fn func(*session)) {
	g.mu.Lock()
	all := make([]*session, 0, len(g.byID)+len(g.anon))
	for _, s := range g.byID {
		all = append(all, s)
	}
	for s := range g.anon {
		all = append(all, s)
	}
	g.mu.Unlock()
	for _, s := range all {
		fn(s)
	}
}

// hold counts one more unit of work that Shutdown waits for: a session until
// its EventClosed, or a receiving request until it ends.
func (g *registry) hold() {
	g.mu.Lock()
	g.busy++
	g.mu.Unlock()
}

// release ends one unit counted by hold or by session creation.
func (g *registry) release() {
	g.mu.Lock()
	g.busy--
	if g.busy == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
	g.mu.Unlock()
}

// wait returns when no work is held, or with ctx's error.
func (g *registry) wait(ctx context.Context) error {
	g.mu.Lock()
	if g.busy == 0 {
		g.mu.Unlock()
		return nil
	}
	if g.idle == nil {
		g.idle = make(chan struct{})
	}
	idle := g.idle
	g.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

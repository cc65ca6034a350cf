// Package difftest runs the differential test: this server and the
// reference server (npm sockjs 0.3.24, internal/refserver) are driven with
// the same generated scripts, and what a client decodes from each is
// compared step by step.
package difftest

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gosockjs/sockjs/internal/refserver"
)

var (
	seedFlag    = flag.Uint64("diff.seed", 1, "seed of the scripts of TestDifferential")
	countFlag   = flag.Int("diff.n", 150, "number of scripts TestDifferential runs")
	onlyFlag    = flag.Int("diff.script", 0, "run only this script of the -diff.n (numbered from 1)")
	verboseFlag = flag.Bool("diff.v", false, "log what the client saw at every step")
	surveyFlag  = flag.Bool("diff.survey", false, "log every unexplained divergence, unminimized, instead of stopping at the first")
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDifferential runs -diff.n generated scripts (seed -diff.seed) against
// both servers. The first divergence that no known difference (knownDifferences)
// explains fails the test with a minimized script.
func TestDifferential(t *testing.T) {
	ref := refserver.Start(t, refserver.Options{
		ResponseLimit: responseLimit, HeartbeatDelay: heartbeatDelay, DisconnectDelay: disconnectDelay,
	})
	ours := startServer(t)
	t.Logf("seed %d, %d scripts (change with -diff.seed and -diff.n)", *seedFlag, *countFlag)
	g := newGen(*seedFlag)
	seen := map[string]int{}
	steps, flakes := 0, 0
	for i := range *countFlag {
		sc := g.script()
		if *onlyFlag > 0 && i+1 != *onlyFlag {
			continue
		}
		steps += len(sc.Steps)
		d := compare(ours, ref, sc, seen)
		if d == nil {
			continue
		}
		if *surveyFlag {
			t.Errorf("script %d:\n%s%s", i+1, sc, d)
			continue
		}
		// Both servers answer the same script the same way every time;
		// what diverges once and never again is the driver's timing on a
		// loaded machine (its waits are fixed), and is logged, not failed.
		if !divergesAgain(ours, ref, sc, 2) {
			flakes++
			t.Logf("script %d diverged at step %d once, and not in 2 more runs: a timing flake\n%s%s", i+1, d.step+1, sc, d)
			continue
		}
		t.Logf("script %d diverges at step %d; minimizing\n%s", i+1, d.step+1, sc)
		small, sd := minimize(ours, ref, sc, d, 40*time.Second)
		repro := 0
		for range 3 {
			if compare(ours, ref, small, nil) != nil {
				repro++
			}
		}
		t.Fatalf("script %d of seed %d: the servers diverge.\nMinimized script (diverges in %d of 3 more runs):\n%s%s",
			i+1, *seedFlag, repro, small, sd)
	}
	t.Logf("%d scripts, %d steps, no unexplained divergence, %d timing flakes", *countFlag, steps, flakes)
	for _, k := range knownDifferences {
		if n := seen[k.name]; n > 0 {
			t.Logf("known difference %q explained %d steps", k.name, n)
		}
	}
}

// divergence is the first step where what the client saw differs.
type divergence struct {
	step      int
	ours, ref []string
}

func (d *divergence) String() string {
	return fmt.Sprintf("At step %d:\n  this server: %s\n  reference:   %s\n",
		d.step+1, strings.Join(d.ours, " | "), strings.Join(d.ref, " | "))
}

// compare runs sc on both servers, step by step, and returns the first
// divergence that no known difference explains. seen, if not nil, counts
// the known differences met. After a known difference, the steps of its
// session (of every /broadcast session, if it is one) are no longer
// compared, since the two servers' sessions now differ by design.
func compare(ours, ref string, sc script, seen map[string]int) *divergence {
	a, b := newRun(ours, sc), newRun(ref, sc)
	defer a.close()
	defer b.close()
	skip := make([]bool, len(sc.Sessions))
	for i, st := range sc.Steps {
		if skip[st.S] {
			continue
		}
		// Both servers take the step at once, which halves the time the
		// driver's waits cost.
		var ob []string
		done := make(chan struct{})
		go func() {
			defer close(done)
			ob = b.do(st, b.sessions)
		}()
		oa := a.do(st, a.sessions)
		<-done
		if *verboseFlag && seen != nil {
			fmt.Printf("step %d %s\n  this server: %s\n  reference:   %s\n", i+1, st, strings.Join(oa, " | "), strings.Join(ob, " | "))
		}
		if slices.Equal(oa, ob) {
			continue
		}
		k := explain(diffContext{sc, i, oa, ob, a.sessions[st.S], b.sessions[st.S]})
		if k == nil {
			return &divergence{i, oa, ob}
		}
		if seen != nil {
			seen[k.name]++
		}
		for j, s := range sc.Sessions {
			if j == st.S || s.Service == "/broadcast" && sc.Sessions[st.S].Service == "/broadcast" {
				skip[j] = true
			}
		}
	}
	return nil
}

// minimize shrinks sc while it still diverges (any unexplained
// divergence): it drops steps, then messages, then code units of messages,
// within budget, and returns the smallest script and its divergence.
func minimize(ours, ref string, sc script, d *divergence, budget time.Duration) (script, *divergence) {
	deadline := time.Now().Add(budget)
	try := func(c script) bool {
		if !time.Now().Before(deadline) {
			return false
		}
		if cd := compare(ours, ref, c, nil); cd != nil {
			sc, d = c.pruned(), cd
			return true
		}
		return false
	}
	for changed := true; changed && time.Now().Before(deadline); {
		changed = false
		for i := len(sc.Steps) - 1; i >= 0 && i < len(sc.Steps); i-- {
			c := sc.clone()
			c.Steps = slices.Delete(c.Steps, i, i+1)
			changed = try(c) || changed
		}
		for i := 0; i < len(sc.Steps); i++ {
			for j := len(sc.Steps[i].Msgs) - 1; j >= 0 && j < len(sc.Steps[i].Msgs); j-- {
				c := sc.clone()
				c.Steps[i].Msgs = slices.Delete(c.Steps[i].Msgs, j, j+1)
				changed = try(c) || changed
			}
		}
		for i := 0; i < len(sc.Steps); i++ {
			for j := 0; j < len(sc.Steps[i].Msgs); j++ {
				// Halve the message, then drop its code units one by one.
				for m := sc.Steps[i].Msgs[j]; len(m) > 1; m = sc.Steps[i].Msgs[j] {
					c := sc.clone()
					c.Steps[i].Msgs[j] = m[:len(m)/2]
					if !try(c) {
						c = sc.clone()
						c.Steps[i].Msgs[j] = m[len(m)/2:]
						if !try(c) {
							break
						}
					}
					changed = true
				}
				for k := len(sc.Steps[i].Msgs[j]) - 1; k >= 0 && k < len(sc.Steps[i].Msgs[j]); k-- {
					c := sc.clone()
					c.Steps[i].Msgs[j] = slices.Delete(slices.Clone(c.Steps[i].Msgs[j]), k, k+1)
					changed = try(c) || changed
				}
			}
		}
	}
	return sc, d
}

// clone returns a copy of sc that shares no slice with it.
func (sc script) clone() script {
	c := script{Sessions: slices.Clone(sc.Sessions), Steps: slices.Clone(sc.Steps)}
	for i := range c.Steps {
		c.Steps[i].Msgs = slices.Clone(c.Steps[i].Msgs)
	}
	return c
}

// pruned drops the sessions that no step uses.
func (sc script) pruned() script {
	used := make([]int, len(sc.Sessions))
	for i := range used {
		used[i] = -1
	}
	var c script
	for _, st := range sc.Steps {
		if used[st.S] < 0 {
			used[st.S] = len(c.Sessions)
			c.Sessions = append(c.Sessions, sc.Sessions[st.S])
		}
		st.S = used[st.S]
		c.Steps = append(c.Steps, st)
	}
	return c
}

// divergesAgain reports whether sc diverges in any of n more runs.
func divergesAgain(ours, ref string, sc script, n int) bool {
	for range n {
		if compare(ours, ref, sc, nil) != nil {
			return true
		}
	}
	return false
}

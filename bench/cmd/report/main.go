// Command report turns the JSON lines written by cmd/load into the
// markdown results table: scenarios by servers, each cell the absolute
// figure and its ratio to the best figure of the row.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
)

type result struct {
	Server   string             `json:"server"`
	Scenario string             `json:"scenario"`
	Metrics  map[string]float64 `json:"metrics"`
	Errors   int64              `json:"errors"`
	Error    string             `json:"error,omitempty"`
	Notes    []string           `json:"notes,omitempty"`
}

type row struct {
	scenario, metric, label string
	higher                  bool // true: higher is better
	format                  func(float64) string
}

func rate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.2fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
func ms(v float64) string { return fmt.Sprintf("%.2f ms", v) }
func us(v float64) string { return fmt.Sprintf("%.1f µs", v) }
func kib(v float64) string {
	return fmt.Sprintf("%.1f KiB", v)
}
func num(v float64) string { return fmt.Sprintf("%.2f", v) }

var rows = []row{
	{"ws-echo-1", "msgs_per_s", "ws echo, 1 session: msgs/s ↑", true, rate},
	{"ws-echo-1", "p50_ms", "ws echo, 1 session: p50 ↓", false, ms},
	{"ws-echo-1", "p99_ms", "ws echo, 1 session: p99 ↓", false, ms},
	{"ws-echo-1", "cpu_us_per_msg", "ws echo, 1 session: server CPU/msg ↓", false, us},
	{"ws-echo-100", "msgs_per_s", "ws echo, 100 sessions: msgs/s ↑", true, rate},
	{"ws-echo-100", "p50_ms", "ws echo, 100 sessions: p50 ↓", false, ms},
	{"ws-echo-100", "p99_ms", "ws echo, 100 sessions: p99 ↓", false, ms},
	{"ws-echo-100", "cpu_us_per_msg", "ws echo, 100 sessions: server CPU/msg ↓", false, us},
	{"ws-echo-1000", "msgs_per_s", "ws echo, 1000 sessions: msgs/s ↑", true, rate},
	{"ws-echo-1000", "p50_ms", "ws echo, 1000 sessions: p50 ↓", false, ms},
	{"ws-echo-1000", "p99_ms", "ws echo, 1000 sessions: p99 ↓", false, ms},
	{"ws-echo-1000", "cpu_us_per_msg", "ws echo, 1000 sessions: server CPU/msg ↓", false, us},
	{"ws-pipelined", "msgs_per_s", "ws pipelined, 100 sessions × 32 in flight: msgs/s ↑", true, rate},
	{"ws-pipelined", "p50_ms", "ws pipelined: p50 ↓", false, ms},
	{"ws-pipelined", "p99_ms", "ws pipelined: p99 ↓", false, ms},
	{"ws-pipelined", "cpu_us_per_msg", "ws pipelined: server CPU/msg ↓", false, us},
	{"broadcast-ws", "deliveries_per_s", "broadcast to 1000 ws: deliveries/s ↑", true, rate},
	{"broadcast-ws", "ttl_p50_ms", "broadcast to 1000 ws: time to last delivery (p50) ↓", false, ms},
	{"broadcast-ws", "cpu_us_per_delivery", "broadcast to 1000 ws: server CPU/delivery ↓", false, us},
	{"broadcast-xhr-streaming", "deliveries_per_s", "broadcast to 1000 xhr-streaming: deliveries/s ↑", true, rate},
	{"broadcast-xhr-streaming", "ttl_p50_ms", "broadcast to 1000 xhr-streaming: time to last delivery (p50) ↓", false, ms},
	{"broadcast-xhr-streaming", "cpu_us_per_delivery", "broadcast to 1000 xhr-streaming: server CPU/delivery ↓", false, us},
	{"idle-ws", "rss_kib_per_session", "idle ws sessions: server RSS/session ↓", false, kib},
	{"idle-ws", "goroutines_per_session", "idle ws sessions: goroutines/session ↓", false, num},
	{"idle-xhr-streaming", "rss_kib_per_session", "idle xhr-streaming sessions: server RSS/session ↓", false, kib},
	{"idle-xhr-streaming", "goroutines_per_session", "idle xhr-streaming sessions: goroutines/session ↓", false, num},
	{"xhr-polling-echo", "rt_per_s", "xhr-polling echo, 100 sessions: round trips/s ↑", true, rate},
	{"xhr-polling-echo", "p50_ms", "xhr-polling echo: p50 ↓", false, ms},
	{"xhr-polling-echo", "p99_ms", "xhr-polling echo: p99 ↓", false, ms},
	{"xhr-polling-echo", "cpu_us_per_rt", "xhr-polling echo: server CPU/round trip ↓", false, us},
	{"ws-deflate-off-chat", "msgs_per_s", "ws echo of a 200 B JSON chat message, 100 sessions: msgs/s ↑", true, rate},
	{"ws-deflate-off-chat", "cpu_us_per_msg", "ws echo of a 200 B chat message: server CPU/msg ↓", false, us},
	{"ws-deflate-on-chat", "cpu_us_per_msg", "the same with permessage-deflate: server CPU/msg ↓", false, us},
	{"ws-deflate-off-doc", "msgs_per_s", "ws echo of a 4 KB JSON document, 100 sessions: msgs/s ↑", true, rate},
	{"ws-deflate-off-doc", "cpu_us_per_msg", "ws echo of a 4 KB document: server CPU/msg ↓", false, us},
	{"ws-deflate-on-doc", "cpu_us_per_msg", "the same with permessage-deflate: server CPU/msg ↓", false, us},
}

func main() {
	in := flag.String("in", "results.jsonl", "JSON lines from cmd/load")
	out := flag.String("out", "results.md", "markdown output")
	servers := flag.String("servers", "raw,igm,node,ours", "column order")
	header := flag.String("header", "", "file with markdown to put above the table (machine, mode)")
	maxOther := flag.Float64("max-other", 0.2, "mark figures measured while other processes used more cores than this")
	skipped := flag.String("skipped", "", "file with lines 'server<TAB>reason' for servers that could not run")
	compare := flag.String("compare", "", "semicolon-separated A:B=title: a table of the ratios A/B, scenario by scenario")
	legend := flag.String("legend", "", "file with markdown to put under the table (what the columns are)")
	flag.Parse()

	cols := strings.Split(*servers, ",")
	res := map[string]map[string]*result{} // scenario -> server -> result
	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r result
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		if res[r.Scenario] == nil {
			res[r.Scenario] = map[string]*result{}
		}
		rr := r
		res[r.Scenario][r.Server] = &rr // the last run of a pair wins
	}
	f.Close()

	skip := map[string]string{}
	if *skipped != "" {
		if b, err := os.ReadFile(*skipped); err == nil {
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if k, v, ok := strings.Cut(l, "\t"); ok {
					skip[k] = v
				}
			}
		}
	}

	var b strings.Builder
	b.WriteString("# Benchmark results\n\n")
	if *header != "" {
		if h, err := os.ReadFile(*header); err == nil {
			b.Write(h)
			b.WriteString("\n")
		}
	}
	b.WriteString("Each cell: absolute figure (ratio to the best figure of the row; best = 1.00). ")
	b.WriteString("↑ higher is better (ratios ≤ 1), ↓ lower is better (ratios ≥ 1). ")
	b.WriteString("n/a: scenario not applicable (raw has no xhr transports; node has no goroutines). ")
	b.WriteString("err: the run failed, see the notes below.\n\n")
	if *legend != "" {
		if l, err := os.ReadFile(*legend); err == nil {
			b.Write(l)
			b.WriteString("\n")
		}
	}
	b.WriteString("| scenario / metric |")
	for _, c := range cols {
		b.WriteString(" " + c + " |")
	}
	b.WriteString("\n|---|")
	for range cols {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	var notes []string
	disturbed := false
	noted := map[string]bool{}
	note := func(s string) {
		if !noted[s] {
			noted[s] = true
			notes = append(notes, s)
		}
	}
	for _, rw := range rows {
		vals := map[string]float64{}
		best := math.NaN()
		for _, c := range cols {
			r := res[rw.scenario][c]
			if r == nil || r.Error != "" {
				continue
			}
			v, ok := r.Metrics[rw.metric]
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			vals[c] = v
			if math.IsNaN(best) || (rw.higher && v > best) || (!rw.higher && v < best) {
				best = v
			}
		}
		b.WriteString("| " + rw.label + " |")
		for _, c := range cols {
			r := res[rw.scenario][c]
			v, ok := vals[c]
			switch {
			case ok:
				ratio := "–"
				if best != 0 {
					ratio = fmt.Sprintf("%.2f", v/best)
				} else if v == 0 {
					ratio = "1.00"
				}
				mark := ""
				if o, ok := r.Metrics["other_cpu_util"]; ok && o > *maxOther {
					mark = " †"
					disturbed = true
				}
				b.WriteString(fmt.Sprintf(" %s (%s)%s |", rw.format(v), ratio, mark))
			case r != nil && r.Error != "":
				b.WriteString(" err |")
				note(fmt.Sprintf("%s / %s: %s", c, rw.scenario, r.Error))
			case r == nil && skip[c] != "":
				b.WriteString(" err |")
				note(fmt.Sprintf("%s: %s", c, skip[c]))
			default:
				b.WriteString(" n/a |")
			}
		}
		b.WriteString("\n")
	}
	// Server CPU utilisation per run: a throughput figure well below 100 %
	// means the load generator, not the server, set the pace.
	b.WriteString("\nCPU busy during the measurement window, in % of one core: server / load generator / everything else on the machine. ")
	b.WriteString("A throughput figure with the server well below 100 % was paced by the load generator or by latency; ")
	b.WriteString("a large third figure means other processes competed (runs above 20 % are retried, the quietest of 3 kept). The third figure mixes tick-sampled /proc/stat with the processes' own accounting, so it is good to about ±25 % (negative values are that error).\n\n| scenario |")
	for _, c := range cols {
		b.WriteString(" " + c + " |")
	}
	b.WriteString("\n|---|")
	for range cols {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, s := range []string{"ws-echo-1", "ws-echo-100", "ws-echo-1000", "ws-pipelined", "broadcast-ws", "broadcast-xhr-streaming", "xhr-polling-echo",
		"ws-deflate-off-small", "ws-deflate-on-small", "ws-deflate-off-chat", "ws-deflate-on-chat", "ws-deflate-off-doc", "ws-deflate-on-doc"} {
		if res[s] == nil {
			continue
		}
		b.WriteString("| " + s + " |")
		for _, c := range cols {
			r := res[s][c]
			if r == nil || r.Error != "" {
				b.WriteString(" – |")
				continue
			}
			m := r.Metrics
			b.WriteString(fmt.Sprintf(" %.0f / %.0f / %.0f |", 100*m["server_cpu_util"], 100*m["load_cpu_util"], 100*m["other_cpu_util"]))
		}
		b.WriteString("\n")
	}
	for _, s := range sortedKeys(res) {
		for _, c := range cols {
			if r := res[s][c]; r != nil {
				if r.Errors > 0 && r.Error == "" {
					note(fmt.Sprintf("%s / %s: %d client-side errors during the run %v", c, s, r.Errors, r.Notes))
				}
			}
		}
	}
	if disturbed {
		note(fmt.Sprintf("† measured while other processes kept more than %.0f %% of a core busy (the quietest of the tries): "+
			"throughput and latency are understated there; CPU per message is the steadier figure", 100**maxOther))
	}
	writeCompression(&b, res, cols)
	for _, c := range strings.Split(*compare, ";") {
		if pair, title, ok := strings.Cut(c, "="); ok {
			if x, y, ok := strings.Cut(pair, ":"); ok {
				writeCompare(&b, res, x, y, title)
			}
		}
	}
	if len(notes) > 0 {
		b.WriteString("\nNotes:\n\n")
		for _, n := range notes {
			b.WriteString("- " + n + "\n")
		}
	}
	if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

func sortedKeys(m map[string]map[string]*result) []string {
	return slices.Sorted(maps.Keys(m))
}

package main

import (
	"fmt"
	"math"
	"strings"
)

// unit is the quantity a scenario's figures are per: what its throughput
// counts, and the suffix of its per-unit metrics.
func unit(scenario string) (throughput, suffix string) {
	switch {
	case strings.HasPrefix(scenario, "broadcast"):
		return "deliveries_per_s", "delivery"
	case strings.HasPrefix(scenario, "xhr-polling"):
		return "rt_per_s", "rt"
	case strings.HasPrefix(scenario, "idle"):
		return "", ""
	}
	return "msgs_per_s", "msg"
}

// metric returns a figure of a successful run; load generator CPU per unit
// is derived from its utilisation for load generators that did not report
// it.
func metric(r *result, name string) (float64, bool) {
	if r == nil || r.Error != "" {
		return 0, false
	}
	v, ok := r.Metrics[name]
	if !ok && strings.HasPrefix(name, "load_cpu_us_per_") {
		tp, _ := unit(r.Scenario)
		u, ok1 := r.Metrics["load_cpu_util"]
		t, ok2 := r.Metrics[tp]
		if ok1 && ok2 && t > 0 {
			v, ok = u/t*1e6, true
		}
	}
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// triple writes "a | b | a/b" cells.
func triple(b *strings.Builder, ra, rb *result, name string, format func(float64) string) {
	x, okx := metric(ra, name)
	y, oky := metric(rb, name)
	cell := func(v float64, ok bool) string {
		if !ok {
			return "–"
		}
		return format(v)
	}
	ratio := "–"
	if okx && oky && y != 0 {
		ratio = fmt.Sprintf("**%.2f**", x/y)
	}
	fmt.Fprintf(b, " %s | %s | %s |", cell(x, okx), cell(y, oky), ratio)
}

// writeCompare writes the table of the ratios of column a to column b,
// for the scenarios both ran: throughput, server CPU and load generator
// CPU per unit, server RSS per idle session.
func writeCompare(b *strings.Builder, res map[string]map[string]*result, a, c, title string) {
	var scen []string
	for _, s := range sortedKeys(res) {
		if _, ok := res[s][a]; ok {
			if _, ok := res[s][c]; ok {
				scen = append(scen, s)
			}
		}
	}
	if len(scen) == 0 {
		return
	}
	fmt.Fprintf(b, "\n### %s\n\n", title)
	fmt.Fprintf(b, "| scenario | throughput %[1]s | %[2]s | %[1]s/%[2]s | server CPU/unit %[1]s | %[2]s | %[1]s/%[2]s | load generator CPU/unit %[1]s | %[2]s | %[1]s/%[2]s |\n", a, c)
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range scen {
		ra, rc := res[s][a], res[s][c]
		tp, suffix := unit(s)
		b.WriteString("| " + s + " |")
		if tp == "" { // idle: memory, not throughput
			triple(b, ra, rc, "rss_kib_per_session", func(v float64) string { return kib(v) + " RSS/session" })
			b.WriteString(" | | | | | |\n")
			continue
		}
		triple(b, ra, rc, tp, rate)
		triple(b, ra, rc, "cpu_us_per_"+suffix, us)
		triple(b, ra, rc, "load_cpu_us_per_"+suffix, us)
		b.WriteString("\n")
	}
}

// writeCompression writes, for every column that ran both, the figures of
// the ws-deflate-off-* and ws-deflate-on-* scenarios side by side.
func writeCompression(b *strings.Builder, res map[string]map[string]*result, cols []string) {
	kinds := []struct{ name, label string }{
		{"small", "64 B JSON"}, {"chat", "200 B JSON chat message"}, {"doc", "4 KB JSON document"},
	}
	header := false
	for _, col := range cols {
		for _, k := range kinds {
			off, on := res["ws-deflate-off-"+k.name][col], res["ws-deflate-on-"+k.name][col]
			if _, ok := metric(on, "msgs_per_s"); !ok {
				continue
			}
			if _, ok := metric(off, "msgs_per_s"); !ok {
				continue
			}
			if !header {
				header = true
				b.WriteString("\n### permessage-deflate off / on\n\n")
				b.WriteString("ws echo, 100 sessions, closed loop. Bytes are counted at the TCP level by the load generator, frame headers included: ")
				b.WriteString("down = server to client, up = client to server. Each cell: off → on (on/off).\n\n")
				b.WriteString("| server | payload | bytes/msg down | bytes/msg up | server CPU/msg | load generator CPU/msg | msgs/s |\n")
				b.WriteString("|---|---|---:|---:|---:|---:|---:|\n")
			}
			fmt.Fprintf(b, "| %s | %s (%.0f B) |", col, k.label, off.Metrics["payload_bytes"])
			for _, m := range []struct {
				name   string
				format func(float64) string
			}{
				{"wire_in_bytes_per_msg", func(v float64) string { return fmt.Sprintf("%.0f", v) }},
				{"wire_out_bytes_per_msg", func(v float64) string { return fmt.Sprintf("%.0f", v) }},
				{"cpu_us_per_msg", us},
				{"load_cpu_us_per_msg", us},
				{"msgs_per_s", rate},
			} {
				x, okx := metric(off, m.name)
				y, oky := metric(on, m.name)
				if !okx || !oky || x == 0 {
					b.WriteString(" – |")
					continue
				}
				fmt.Fprintf(b, " %s → %s (**%.2f**) |", m.format(x), m.format(y), y/x)
			}
			b.WriteString("\n")
		}
	}
}

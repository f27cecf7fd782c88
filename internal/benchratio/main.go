// Command benchratio measures benchmark pairs interleaved: it runs each
// pair's two benchmarks back to back from one compiled test binary, in
// every round, reversing their order every other round, and prints for
// each pair the median of the per-round ratios (SDK over floor) of time,
// bytes and allocations per operation, and of a custom throughput metric
// when the benchmarks report one.
//
// Interleaving makes a change in the machine's load during the run hit both
// sides of a pair alike, where sequential -count runs let it bias one side.
//
//	go test -c -o /tmp/webhook.test ./webhook
//	go run ./internal/benchratio -bin /tmp/webhook.test -rounds 20 \
//	    -pair 'Receiver1KBComplete/SDK=Receiver1KBComplete/Floor'
//
// A pair is "SDK=FLOOR", each a benchmark name (sub-benchmarks with '/');
// -pair may be repeated. -benchtime is passed to the test binary.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

type pairs []string

func (p *pairs) String() string     { return strings.Join(*p, ",") }
func (p *pairs) Set(s string) error { *p = append(*p, s); return nil }

// sample is one benchmark result line.
type sample struct {
	ns, bytes, allocs float64
	metrics           map[string]float64 // custom units, e.g. req/s
}

func main() {
	bin := flag.String("bin", "", "compiled test binary (go test -c)")
	rounds := flag.Int("rounds", 20, "rounds; each runs every pair once, in alternating order")
	benchtime := flag.String("benchtime", "1s", "passed as -test.benchtime")
	var ps pairs
	flag.Var(&ps, "pair", "SDK=FLOOR benchmark names (repeatable)")
	flag.Parse()
	if *bin == "" || len(ps) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	type result struct{ sdk, floor []sample }
	results := make([]result, len(ps))
	for r := range *rounds {
		for i, p := range ps {
			sdk, floor, ok := strings.Cut(p, "=")
			if !ok {
				fatalf("pair %q: want SDK=FLOOR", p)
			}
			first, second := sdk, floor
			if r%2 == 1 {
				first, second = floor, sdk
			}
			a := run(*bin, first, *benchtime)
			b := run(*bin, second, *benchtime)
			if r%2 == 1 {
				a, b = b, a
			}
			results[i].sdk = append(results[i].sdk, a)
			results[i].floor = append(results[i].floor, b)
		}
		fmt.Fprintf(os.Stderr, "round %d/%d done\n", r+1, *rounds)
	}
	fmt.Printf("%d rounds, order reversed every other round; medians of per-round ratios (SDK / floor)\n\n", *rounds)
	fmt.Println("| pair | SDK time/op | floor time/op | time ratio | B/op ratio | allocs/op (SDK, floor) | other |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for i, p := range ps {
		res := results[i]
		ratio := func(f func(sample) float64) float64 {
			var rs []float64
			for j := range res.sdk {
				if d := f(res.floor[j]); d > 0 {
					rs = append(rs, f(res.sdk[j])/d)
				}
			}
			return median(rs)
		}
		med := func(s []sample, f func(sample) float64) float64 {
			var v []float64
			for _, x := range s {
				v = append(v, f(x))
			}
			return median(v)
		}
		ns := func(s sample) float64 { return s.ns }
		other := ""
		for unit := range res.sdk[0].metrics {
			r := ratio(func(s sample) float64 { return s.metrics[unit] })
			other += fmt.Sprintf("%s %.0f vs %.0f (%.2fx)", unit,
				med(res.sdk, func(s sample) float64 { return s.metrics[unit] }),
				med(res.floor, func(s sample) float64 { return s.metrics[unit] }), r)
		}
		fmt.Printf("| %s | %s | %s | %.2fx | %.2fx | %.0f, %.0f | %s |\n", p,
			dur(med(res.sdk, ns)), dur(med(res.floor, ns)), ratio(ns),
			ratio(func(s sample) float64 { return s.bytes }),
			med(res.sdk, func(s sample) float64 { return s.allocs }),
			med(res.floor, func(s sample) float64 { return s.allocs }), other)
	}
}

var lineRE = regexp.MustCompile(`^Benchmark\S+\s+\d+\s+(.*)$`)

// run runs one benchmark once and parses its result.
func run(bin, name, benchtime string) sample {
	pattern := "^Benchmark" + strings.ReplaceAll(regexp.QuoteMeta(name), "/", "$/^") + "$"
	cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", pattern, "-test.benchmem",
		"-test.count", "1", "-test.benchtime", benchtime)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		fatalf("%s: %v\n%s", name, err, out.String())
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		m := lineRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		s := sample{metrics: map[string]float64{}}
		f := strings.Fields(m[1])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				s.ns = v
			case "B/op":
				s.bytes = v
			case "allocs/op":
				s.allocs = v
			case "MB/s":
			default:
				s.metrics[f[i+1]] = v
			}
		}
		return s
	}
	fatalf("%s: no benchmark result in\n%s", name, out.String())
	return sample{}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchratio: "+format+"\n", args...)
	os.Exit(1)
}

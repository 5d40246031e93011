package main

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
)

// The command's scenarios as `go test -bench` benchmarks, on one embedded
// driver and one Java Bench server shared by all of them (started only when
// a benchmark runs, so `go test` without -bench starts nothing). b.N is the
// message count of a throughput round or the ping count of a ping-pong round,
// on every side, after a warm-up round per side and scenario. ns/op is the
// time per message (1/throughput) or the round trip p50; msgs/s, p50-ns and
// p99-ns are reported as well. For alternating rounds and ratios, run the
// command instead.
//
//	go test -run '^$' -bench . -benchtime 5000000x ./cmd/tp-aeron-bench/

var (
	setupOnce  sync.Once
	setupErr   error
	sides      map[string]side
	warmedUp   = map[string]bool{}
	cleanupAll func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range sides {
		_ = s.close()
	}
	if cleanupAll != nil {
		cleanupAll()
	}
	os.Exit(code)
}

func benchSide(b *testing.B, name string) side {
	b.Helper()
	setupOnce.Do(func() {
		o := &options{termLength: "64m"}
		cleanupAll, setupErr = setup(o)
		if setupErr != nil {
			return
		}
		g, err := newGoSide(o.dir)
		if err != nil {
			setupErr = err
			return
		}
		sides = map[string]side{"go": g}
		j, err := newJavaSide(o)
		if err != nil {
			setupErr = err
			return
		}
		sides["java"] = j
		for _, x := range extraSides {
			s, err := x.connect(o.dir)
			if err != nil {
				setupErr = fmt.Errorf("%s side: %w", x.name, err)
				return
			}
			sides[x.name] = s
		}
	})
	if setupErr != nil {
		b.Fatalf("cannot set up the Aeron benchmarks (run `make deps`; a JDK 17+ is needed): %v", setupErr)
	}
	return sides[name]
}

// sideNames are the sides this binary has: java, go, and aeronc with -tags aeronc.
func sideNames() []string {
	names := []string{"java", "go"}
	for _, x := range extraSides {
		names = append(names, x.name)
	}
	return names
}

// streams gives each side and scenario its own stream ids.
func streamFor(name string, scenario int) int32 {
	return 8000 + 1000*int32(slices.Index(sideNames(), name)) + int32(scenario)*10
}

func BenchmarkIPCThroughput(b *testing.B) {
	for _, size := range []int{32, 256} {
		for _, name := range sideNames() {
			b.Run(fmt.Sprintf("%s/%dB", name, size), func(b *testing.B) {
				s := benchSide(b, name)
				stream := streamFor(name, size)
				if key := fmt.Sprint(name, "tp", size); !warmedUp[key] {
					if _, err := s.throughput(stream, size, 5_000_000); err != nil {
						b.Fatal(err)
					}
					warmedUp[key] = true
				}
				b.ResetTimer()
				rate, err := s.throughput(stream, size, b.N)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(1e9/rate, "ns/op")
				b.ReportMetric(rate, "msgs/s")
			})
		}
	}
}

func BenchmarkIPCPingPong(b *testing.B) {
	for _, name := range sideNames() {
		b.Run(name+"/32B", func(b *testing.B) {
			s := benchSide(b, name)
			stream := streamFor(name, 1)
			if key := name + "pp"; !warmedUp[key] {
				if _, _, err := s.pingPong(stream, 32, 50_000); err != nil {
					b.Fatal(err)
				}
				warmedUp[key] = true
			}
			b.ResetTimer()
			p50, p99, err := s.pingPong(stream, 32, max(b.N, 100))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(p50, "ns/op")
			b.ReportMetric(p50, "p50-ns")
			b.ReportMetric(p99, "p99-ns")
		})
	}
}

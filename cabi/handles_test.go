package main

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// Two types of handle object; not zero-sized, so every one has its own address.
type testObjA struct{ n int }
type testObjB testObjA

// Tokens are aligned, never NULL and never reused; a token names only its own object,
// and only as its own type, until it is unregistered once.
func TestRegistryTokens(t *testing.T) {
	seen := map[uintptr]bool{0: true}
	var closed []uintptr
	for i := range 100 {
		a := &testObjA{n: i}
		h := register(a)
		if seen[h] || h%8 != 0 {
			t.Fatalf("token %#x: reused, NULL or unaligned", h)
		}
		seen[h] = true
		if got, ok := lookup[*testObjA](h); !ok || got != a {
			t.Fatalf("lookup(%#x) = %v, %v; want its object", h, got, ok)
		}
		if _, ok := lookup[*testObjB](h); ok {
			t.Fatalf("lookup(%#x) as another type succeeded", h)
		}
		if _, ok := unregister[*testObjB](h); ok {
			t.Fatalf("unregister(%#x) as another type succeeded", h)
		}
		if got, ok := unregister[*testObjA](h); !ok || got != a {
			t.Fatalf("unregister(%#x) = %v, %v; want its object", h, got, ok)
		}
		if _, ok := unregister[*testObjA](h); ok {
			t.Fatalf("second unregister(%#x) succeeded", h)
		}
		if _, ok := lookup[*testObjA](h); ok {
			t.Fatalf("lookup(%#x) after unregister succeeded", h)
		}
		closed = append(closed, h)
	}
	for _, h := range closed {
		if _, ok := lookup[*testObjA](h); ok {
			t.Fatalf("closed token %#x is live again", h)
		}
	}
	if _, ok := lookup[*testObjA](0); ok {
		t.Fatal("lookup(0) succeeded")
	}
	if _, ok := lookup[*testObjA](0xdeadbee8); ok {
		t.Fatal("lookup of a token never issued succeeded")
	}
}

// Of several threads closing one handle while others use it, exactly one close gets the
// object, and every use sees either that object or nothing.
func TestRegistryCloseRacesUse(t *testing.T) {
	for range 200 {
		a := &testObjA{}
		h := register(a)
		var closes atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 4 {
			wg.Go(func() {
				<-start
				if _, ok := unregister[*testObjA](h); ok {
					closes.Add(1)
				}
			})
			wg.Go(func() {
				<-start
				for {
					got, ok := lookup[*testObjA](h)
					if !ok {
						return
					}
					if got != a {
						t.Errorf("lookup(%#x) returned another object", h)
						return
					}
					runtime.Gosched() // let the closers run on a machine with few cores
				}
			})
		}
		close(start)
		wg.Wait()
		if n := closes.Load(); n != 1 {
			t.Fatalf("%d closes of one handle succeeded, want 1", n)
		}
	}
}

// Lookups of one handle from every core, as C threads polling their own consumers do.
func BenchmarkLookupParallel(b *testing.B) {
	h := register(&testObjA{})
	defer unregister[*testObjA](h)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			lookup[*testObjA](h)
		}
	})
}

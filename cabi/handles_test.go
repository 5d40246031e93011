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
		h, _ := register(a)
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
		h, _ := register(a)
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

// A closed handle's slot serves the next handle under a new token; the old token names
// neither.
func TestRegistrySlotReuse(t *testing.T) {
	a, b := &testObjA{n: 1}, &testObjA{n: 2}
	ha, _ := register(a)
	unregister[*testObjA](ha)
	hb, ok := register(b)
	if !ok {
		t.Fatal("register failed")
	}
	defer unregister[*testObjA](hb)
	if tokenValue(hb)&indexMask != tokenValue(ha)&indexMask || hb == ha {
		t.Fatalf("tokens %#x then %#x: want the same slot, another token", ha, hb)
	}
	if _, ok := lookup[*testObjA](ha); ok {
		t.Fatalf("stale token %#x names the slot's new object", ha)
	}
	if got, ok := lookup[*testObjA](hb); !ok || got != b {
		t.Fatalf("lookup(%#x) = %v, %v; want its object", hb, got, ok)
	}
}

// A slot at its last generation is retired when closed: no token is ever issued twice.
func TestRegistryRetiresSpentSlots(t *testing.T) {
	h, _ := register(&testObjA{})
	unregister[*testObjA](h)
	slot := tokenValue(h) & indexMask
	registry.mu.Lock()
	registry.free[len(registry.free)-1] = maxGen*genOne | slot // as if reused until now
	registry.mu.Unlock()
	last, _ := register(&testObjA{})
	if tokenValue(last)&indexMask != slot || tokenValue(last)/genOne != maxGen {
		t.Fatalf("token %#x: want slot %d at generation %d", last, slot, maxGen)
	}
	unregister[*testObjA](last)
	next, _ := register(&testObjA{})
	defer unregister[*testObjA](next)
	if tokenValue(next)&indexMask == slot {
		t.Fatalf("token %#x reuses the retired slot %d", next, slot)
	}
}

// Once every slot is taken, register fails (TP_ERR_NOMEM) until a handle is closed.
func TestRegistryFull(t *testing.T) {
	var issued []uintptr
	defer func() {
		for _, h := range issued {
			unregister[*testObjA](h)
		}
	}()
	for len(issued) <= maxHandles {
		h, ok := register(&testObjA{})
		if !ok {
			break
		}
		issued = append(issued, h)
	}
	if len(issued) > maxHandles {
		t.Fatalf("%d handles registered, want at most %d", len(issued), maxHandles)
	}
	if _, ok := register(&testObjA{}); ok {
		t.Fatal("register succeeded with every slot taken")
	}
	unregister[*testObjA](issued[0])
	h, ok := register(&testObjA{})
	if !ok {
		t.Fatal("register failed after a close")
	}
	issued[0] = h
}

// Lookups of one handle from every core, as C threads polling their own consumers do.
func BenchmarkLookupParallel(b *testing.B) {
	h, _ := register(&testObjA{})
	defer unregister[*testObjA](h)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			lookup[*testObjA](h)
		}
	})
}

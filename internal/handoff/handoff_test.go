package handoff

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestTakeSeesEachPostOnce(t *testing.T) {
	var b Box[int]
	tk := NewTaker(&b)
	if _, changed, ok := tk.Take(); changed || ok {
		t.Fatalf("empty box: changed=%v ok=%v", changed, ok)
	}
	if g := b.Post(7); g != 1 {
		t.Fatalf("first generation %d, want 1", g)
	}
	if b.Adopted() != 0 {
		t.Fatalf("adopted %d before any Take", b.Adopted())
	}
	if !tk.Fresh() {
		t.Fatal("a post not taken yet is not fresh")
	}
	v, changed, ok := tk.Take()
	if v != 7 || !changed || !ok || tk.Fresh() {
		t.Fatalf("Take = %d %v %v, want 7 true true", v, changed, ok)
	}
	if _, changed, _ := tk.Take(); changed {
		t.Fatal("a second Take of the same post reported a change")
	}
	if b.Adopted() != 1 {
		t.Fatalf("adopted %d, want 1", b.Adopted())
	}
	b.Post(8)
	b.Post(9)
	if v, _, _ := tk.Take(); v != 9 || b.Adopted() != 3 {
		t.Fatalf("Take after two posts = %d (adopted %d), want the newest, 9 (3)", v, b.Adopted())
	}
	if v, ok := tk.Current(); v != 9 || !ok {
		t.Fatalf("Current = %d %v", v, ok)
	}
}

func TestRetiredReleasesOnlyWhatTheDataPathLeft(t *testing.T) {
	var r Retired[string]
	r.Add("a", 2)
	r.Add("b", 3)
	var got []string
	collect := func(s string) { got = append(got, s) }
	if n := r.Release(1, collect); n != 0 || len(got) != 0 {
		t.Fatalf("released %v with generation 1 adopted", got)
	}
	if n := r.Release(2, collect); n != 1 || got[0] != "a" || r.Len() != 1 {
		t.Fatalf("released %v (len %d) with generation 2 adopted, want [a]", got, r.Len())
	}
	r.ReleaseAll(collect)
	if len(got) != 2 || got[1] != "b" || r.Len() != 0 {
		t.Fatalf("ReleaseAll left %d, released %v", r.Len(), got)
	}
}

// resource stands for a mapping: released sets freed, and a data path that still used it
// afterwards is the bug the protocol exists to prevent.
type resource struct {
	id    int
	freed atomic.Bool
}

// TestNoUseAfterRelease runs a data path that uses whatever it took against a control
// side that posts new resources and frees the old ones as soon as Adopted allows.
func TestNoUseAfterRelease(t *testing.T) {
	var b Box[*resource]
	var retired Retired[*resource]
	const posts = 2000
	var stop atomic.Bool
	var bad atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // data path
		defer wg.Done()
		tk := NewTaker(&b)
		for !stop.Load() {
			r, _, ok := tk.Take()
			if !ok {
				continue
			}
			for range 10 { // a call that uses the resource for a while
				if r.freed.Load() {
					bad.Add(1)
				}
			}
		}
	}()
	var current *resource
	for i := range posts {
		next := &resource{id: i}
		gen := b.Post(next)
		if current != nil {
			retired.Add(current, gen)
		}
		current = next
		retired.Release(b.Adopted(), func(r *resource) { r.freed.Store(true) })
	}
	stop.Store(true)
	wg.Wait()
	retired.ReleaseAll(func(r *resource) { r.freed.Store(true) })
	if n := bad.Load(); n != 0 {
		t.Fatalf("the data path used a released resource %d times", n)
	}
}

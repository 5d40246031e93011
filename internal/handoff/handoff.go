// Package handoff passes state from a role's control side (its agent, on the runtime's
// duty cycle) to its data path (the application's thread: Offer, Commit, Poll) without a
// lock, and tells the control side when the data path has let go of older state, so
// resources it names (a mapping, a publication) are released only once no frame can
// touch them any more.
//
// The control side Posts immutable values. The data path Takes the newest at the start
// of each call: one atomic load when nothing changed, so the frame path stays free of
// locked instructions. Taking a newer value adopts it and publishes its generation; the
// control side reads that with Adopted, and everything posted before the adopted
// generation is no longer in use: the data path finished the calls that used it (its
// calls are sequential), and its release store of the generation orders those calls'
// memory accesses before the control side's acquire load of it.
//
// A data path that never calls again keeps the last value it adopted, and whatever was
// posted after it stays pending: the control side releases those at Close.
package handoff

import (
	"sync/atomic"

	"github.com/tensorpool/tensorpool/internal/ordered"
)

// Box carries values of type T from one control goroutine to one data-path goroutine
// (or a data path whose calls are serialised by the caller). The zero Box is empty.
type Box[T any] struct {
	next    atomic.Pointer[posted[T]]
	adopted uint64 // generation the data path took last; data path release-stores it
	gen     uint64 // last generation posted; control side only
}

type posted[T any] struct {
	gen uint64
	v   T
}

// Post makes v the value the data path takes next and returns its generation, which
// counts from 1. Control side only.
func (b *Box[T]) Post(v T) uint64 {
	b.gen++
	b.next.Store(&posted[T]{gen: b.gen, v: v})
	return b.gen
}

// Posted is the generation of the last Post, 0 before any. Control side only.
func (b *Box[T]) Posted() uint64 { return b.gen }

// Adopted is the generation the data path works with: values posted with an earlier
// generation are no longer used by it. Control side.
func (b *Box[T]) Adopted() uint64 { return atomic.LoadUint64(&b.adopted) }

// Taker is the data path's end of a Box: it remembers what it adopted last.
type Taker[T any] struct {
	box *Box[T]
	cur *posted[T]
}

// NewTaker returns the data path's end of b.
func NewTaker[T any](b *Box[T]) Taker[T] { return Taker[T]{box: b} }

// Fresh reports whether a value newer than the one adopted last was posted, without
// adopting it: one atomic load, inlined, for a data path to check on every call before
// it Takes. Data path only.
func (t *Taker[T]) Fresh() bool { return t.box.next.Load() != t.cur }

// Take returns the newest value posted and whether it changed since the last Take; ok
// is false while nothing was posted. Changing adopts the new value. Data path only.
func (t *Taker[T]) Take() (v T, changed, ok bool) {
	p := t.box.next.Load()
	if p != t.cur {
		t.cur = p
		changed = true
		ordered.StoreUint64(&t.box.adopted, p.gen)
	}
	if p == nil {
		return v, changed, false
	}
	return p.v, changed, true
}

// Current is the value adopted last, without looking for a newer one.
func (t *Taker[T]) Current() (v T, ok bool) {
	if t.cur == nil {
		return v, false
	}
	return t.cur.v, true
}

// Retired holds what the control side replaced, each with the generation that replaced
// it, until the data path has adopted that generation. Control side only.
type Retired[T any] struct {
	items []retired[T]
}

type retired[T any] struct {
	v          T
	replacedBy uint64
}

// Add keeps v until the data path adopts generation replacedBy.
func (r *Retired[T]) Add(v T, replacedBy uint64) {
	r.items = append(r.items, retired[T]{v: v, replacedBy: replacedBy})
}

// Len is the number of values still held.
func (r *Retired[T]) Len() int { return len(r.items) }

// Release calls release for every value whose replacement the data path has adopted
// (adopted from Box.Adopted) and forgets it; it returns how many it released.
func (r *Retired[T]) Release(adopted uint64, release func(T)) int {
	kept := r.items[:0]
	n := 0
	for _, it := range r.items {
		if it.replacedBy <= adopted {
			release(it.v)
			n++
			continue
		}
		kept = append(kept, it)
	}
	clear(r.items[len(kept):])
	r.items = kept
	return n
}

// ReleaseAll releases every value held, for Close, once the data path has stopped.
func (r *Retired[T]) ReleaseAll(release func(T)) {
	for _, it := range r.items {
		release(it.v)
	}
	clear(r.items)
	r.items = r.items[:0]
}

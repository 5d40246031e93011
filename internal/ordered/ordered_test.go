package ordered

import (
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

// StoreStoreOrdered is a promise about the build, not the machine: true exactly where the
// stores are the amd64 MOVs (amd64 without -race), false wherever they are sync/atomic's.
func TestStoreStoreOrderedExactlyOnAmd64WithoutRace(t *testing.T) {
	want := runtime.GOARCH == "amd64" && !raceEnabled
	if StoreStoreOrdered != want {
		t.Fatalf("StoreStoreOrdered = %v on %s (race %v), want %v", StoreStoreOrdered, runtime.GOARCH, raceEnabled, want)
	}
}

// words is an 8-byte aligned buffer of n words, every byte 0xA5, and its bytes.
func words(n int) ([]uint64, []byte) {
	w := make([]uint64, n)
	for i := range w {
		w[i] = 0xA5A5A5A5A5A5A5A5
	}
	return w, unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), 8*n)
}

// requireOnly fails unless got and want hold the same bytes: the store under test wrote
// exactly the bytes the sync/atomic store wrote into want, and nothing around them.
func requireOnly(t *testing.T, what string, got, want []byte) {
	t.Helper()
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: byte %d = %#x, want %#x", what, i, got[i], want[i])
		}
	}
}

var values64 = []int64{0, 1, -1, math.MinInt64, math.MaxInt64, 0x0102030405060708, -0x0102030405060708}

func TestStoreInt64(t *testing.T) {
	var v int64
	for _, x := range values64 {
		StoreInt64(&v, x)
		if got := atomic.LoadInt64(&v); got != x {
			t.Fatalf("StoreInt64(%#x) left %#x", x, got)
		}
	}
	const n = 8
	for at := range n {
		for _, x := range values64 {
			_, got := words(n)
			_, want := words(n)
			StoreInt64((*int64)(unsafe.Pointer(&got[8*at])), x)
			atomic.StoreInt64((*int64)(unsafe.Pointer(&want[8*at])), x)
			requireOnly(t, "StoreInt64 at offset "+strconv.Itoa(8*at), got, want)
		}
	}
}

func TestStoreUint64(t *testing.T) {
	var v uint64
	for _, x := range values64 {
		StoreUint64(&v, uint64(x))
		if got := atomic.LoadUint64(&v); got != uint64(x) {
			t.Fatalf("StoreUint64(%#x) left %#x", uint64(x), got)
		}
	}
	const n = 8
	for at := range n {
		for _, x := range values64 {
			_, got := words(n)
			_, want := words(n)
			StoreUint64((*uint64)(unsafe.Pointer(&got[8*at])), uint64(x))
			atomic.StoreUint64((*uint64)(unsafe.Pointer(&want[8*at])), uint64(x))
			requireOnly(t, "StoreUint64 at offset "+strconv.Itoa(8*at), got, want)
		}
	}
}

// StoreInt32 must write 4 bytes: a 64-bit store would clobber the word's other half.
func TestStoreInt32(t *testing.T) {
	values := []int32{0, 1, -1, math.MinInt32, math.MaxInt32, 0x01020304, -0x01020304}
	var v int32
	for _, x := range values {
		StoreInt32(&v, x)
		if got := atomic.LoadInt32(&v); got != x {
			t.Fatalf("StoreInt32(%#x) left %#x", x, got)
		}
	}
	const n = 4
	for at := range 2 * n {
		for _, x := range values {
			_, got := words(n)
			_, want := words(n)
			StoreInt32((*int32)(unsafe.Pointer(&got[4*at])), x)
			atomic.StoreInt32((*int32)(unsafe.Pointer(&want[4*at])), x)
			requireOnly(t, "StoreInt32 at offset "+strconv.Itoa(4*at), got, want)
		}
	}
}

// A release store publishes the plain stores before it to a reader that sees the stored
// value with an atomic load (message passing). Under -race the detector checks the
// happens-before edge itself; without it the test checks the values on this CPU.
func TestReleaseStorePublishesEarlierStores(t *testing.T) {
	const rounds = 2000
	var data [4]int64
	var flag64 int64
	var flagU uint64
	var flag32 int32
	stores := []struct {
		name    string
		publish func(i int)
		seen    func() int
	}{
		{"StoreInt64", func(i int) { StoreInt64(&flag64, int64(i)) }, func() int { return int(atomic.LoadInt64(&flag64)) }},
		{"StoreUint64", func(i int) { StoreUint64(&flagU, uint64(i)) }, func() int { return int(atomic.LoadUint64(&flagU)) }},
		{"StoreInt32", func(i int) { StoreInt32(&flag32, int32(i)) }, func() int { return int(atomic.LoadInt32(&flag32)) }},
	}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			var ack atomic.Int64
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := 1; i <= rounds; i++ {
					for j := range data {
						data[j] = int64(i*10 + j)
					}
					s.publish(i)
					for ack.Load() != int64(i) {
						runtime.Gosched()
					}
				}
			})
			failed := false
			for i := 1; i <= rounds; i++ {
				for s.seen() != i {
					runtime.Gosched()
				}
				for j := range data {
					if !failed && data[j] != int64(i*10+j) {
						t.Errorf("round %d: data[%d] = %d after the flag", i, j, data[j])
						failed = true
					}
				}
				ack.Store(int64(i)) // always, so the writer finishes
			}
			wg.Wait()
		})
	}
}

// Package benchsize is what the benchmark commands share about payload sizes: how a size
// is written on their command lines and the pool each size gets.
package benchsize

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Parse reads a payload size with an optional K or M suffix, 8 B to 16 MiB.
func Parse(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n*mult < 8 || n*mult > 16<<20 {
		return 0, fmt.Errorf("size %q: want 8 B to 16M", s)
	}
	return n * mult, nil
}

// ParseList reads a comma-separated list of sizes as Parse does.
func ParseList(s string) ([]int, error) {
	var sizes []int
	for _, one := range strings.Split(s, ",") {
		n, err := Parse(strings.TrimSpace(one))
		if err != nil {
			return nil, err
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// Geometry picks the pool for a payload size: the smallest page-multiple power-of-two
// stride that holds it, and 64 MiB of slots (the reference's 64 × 1 MiB at 640 KiB), at
// least 16 and at most 1024.
func Geometry(size int) (stride, nslots uint32) {
	stride = uint32(os.Getpagesize())
	for int(stride) < size {
		stride <<= 1
	}
	return stride, uint32(min(max((64<<20)/int(stride), 16), 1024))
}

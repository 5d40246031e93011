package main

import "math/bits"

// histogram is a log-linear latency histogram in the manner of HdrHistogram:
// values below 2^subBucketBits are exact, larger ones fall into 2^(subBucketBits-1)
// linear sub-buckets per power of two, so every recorded value is kept within
// 1/64 (1.6 %) of its true value. Record never allocates.
type histogram struct {
	Counts [bucketCount]uint64
	Total  uint64
}

const (
	subBucketBits = 7
	subBuckets    = 1 << subBucketBits // exact values 0..127
	halfBuckets   = subBuckets / 2     // sub-buckets per power of two above that
	bucketCount   = subBuckets + (64-subBucketBits)*halfBuckets
)

func bucketOf(v int64) int {
	if v < subBuckets {
		return int(max(v, 0))
	}
	shift := bits.Len64(uint64(v)) - subBucketBits // v>>shift is in [64, 128)
	return subBuckets + (shift-1)*halfBuckets + int(v>>shift) - halfBuckets
}

// highestIn is the largest value bucket i holds, the figure a percentile reports.
func highestIn(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	shift := (i-subBuckets)/halfBuckets + 1
	sub := int64((i-subBuckets)%halfBuckets + halfBuckets)
	return (sub+1)<<shift - 1
}

func (h *histogram) record(v int64) {
	h.Counts[bucketOf(v)]++
	h.Total++
}

// percentile is the value at or below which fraction q of the recorded values lie.
func (h *histogram) percentile(q float64) int64 {
	if h.Total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.Total) + 0.5)
	rank = min(max(rank, 1), h.Total)
	var seen uint64
	for i, n := range h.Counts {
		seen += n
		if seen >= rank {
			return highestIn(i)
		}
	}
	return highestIn(bucketCount - 1)
}

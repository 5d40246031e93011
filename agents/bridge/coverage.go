package bridge

// coverage is the set of payload bytes a frame's stored chunks cover: disjoint, sorted,
// maximal half-open spans. In-order chunks keep it at one span; any order needs at most
// (chunkCount+1)/2 spans, since two spans are apart by a missing chunk, so a capacity of
// (65535+1)/2 holds every frame a sender may send. It never allocates after newCoverage.
type coverage struct {
	spans []span
}

type span struct{ start, end uint32 }

// maxSpans is enough spans for a frame of the most chunks (see coverage).
const maxSpans = (65535 + 1) / 2

func newCoverage() coverage { return coverage{spans: make([]span, 0, maxSpans)} }

func (c *coverage) reset() { c.spans = c.spans[:0] }

// add records [start, end) (start < end); it reports false, changing nothing, when the
// range overlaps bytes already covered or no span is left for it.
func (c *coverage) add(start, end uint32) bool {
	s := c.spans
	i := firstEndingAfter(s, start) // the only span that may overlap, or the next one
	if i < len(s) && s[i].start < end {
		return false
	}
	joinLeft := i > 0 && s[i-1].end == start
	joinRight := i < len(s) && s[i].start == end
	switch {
	case joinLeft && joinRight:
		s[i-1].end = s[i].end
		c.spans = append(s[:i], s[i+1:]...)
	case joinLeft:
		s[i-1].end = end
	case joinRight:
		s[i].start = start
	default:
		if len(s) == cap(s) {
			return false
		}
		s = append(s, span{})
		copy(s[i+1:], s[i:])
		s[i] = span{start, end}
		c.spans = s
	}
	return true
}

// whole reports whether the spans cover exactly [0, length).
func (c *coverage) whole(length uint32) bool {
	if length == 0 {
		return len(c.spans) == 0
	}
	return len(c.spans) == 1 && c.spans[0] == span{0, length}
}

// firstEndingAfter is the index of the first span that ends after pos, len(s) if none
// (a binary search: spans are sorted and disjoint).
func firstEndingAfter(s []span, pos uint32) int {
	lo, hi := 0, len(s)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if s[mid].end > pos {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

//go:build race

package transporttest

// raceEnabled: the race detector allocates, so the allocation test cannot hold.
const raceEnabled = true

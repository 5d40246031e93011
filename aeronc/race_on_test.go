//go:build aeronc && race

package aeronc

// raceEnabled: the race detector allocates, so allocation tests cannot hold.
const raceEnabled = true

//go:build aeronc && !race

package aeronc

const raceEnabled = false

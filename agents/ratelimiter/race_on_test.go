//go:build race

package ratelimiter

const raceEnabled = true

// Package faults is the client side's fault suite: real processes (the Java media
// driver, tp-driver built from cmd/tp-driver, producers and consumers run from this
// package's test binary) killed, paused, flooded and restarted, with every frame checked
// byte for byte. Its figures are in docs/faults.md. It has no code outside its tests.
package faults

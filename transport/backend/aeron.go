//go:build !aeronc

package backend

// Name is the transport this binary was built with: the pure-Go Aeron client.
const Name = "aeron"

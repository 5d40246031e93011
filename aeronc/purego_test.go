//go:build aeronc

package aeronc

import (
	"testing"

	"github.com/tensorpool/tensorpool/aeron"
)

// connectPureGo makes a client of the project's pure-Go Aeron client (package aeron, the
// default transport) for the driver in dir, its conductor on its own goroutine, closed at
// cleanup.
func connectPureGo(t *testing.T, dir string) *aeron.Client {
	t.Helper()
	c, err := aeron.Connect(aeron.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("closing the pure-Go client: %v", err)
		}
	})
	return c
}

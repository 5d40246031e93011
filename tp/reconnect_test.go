package tp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/transport/mem"
)

// Reconnect does nothing while the transport lives, refuses a transport the Client was
// given (it cannot make another), and ends with ErrClosed after Close.
func TestReconnect_OnlyADeadTransportTheClientMade(t *testing.T) {
	transport := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Connect(ctx, Options{Transport: transport, AeronDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Reconnect(ctx); err != nil {
		t.Fatalf("Reconnect of a live Client: %v, want nil", err)
	}
	transport.Close()
	for deadline := time.Now().Add(waitTimeout); !errors.Is(c.Err(), ErrAeronLost); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Err is %v after the transport died, want ErrAeronLost", c.Err())
		}
	}
	if err := c.Reconnect(ctx); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("Reconnect of a given transport: %v, want ErrInvalidOptions", err)
	}
	if !errors.Is(c.Err(), ErrAeronLost) {
		t.Fatalf("a refused Reconnect changed Err to %v", c.Err())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Reconnect(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Reconnect after Close: %v, want ErrClosed", err)
	}
}

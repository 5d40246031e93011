//go:build aeronc

package aeronc

import (
	"context"
	"fmt"
	"testing"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/transport"
)

// A publication of one backend and a subscription of the other, on one media driver,
// exchange messages byte for byte, fragmented and not, by Offer and by TryClaim, in both
// directions, with concurrent and exclusive publications, on the Java and the C driver.
func TestMixedBackendsOnOneDriver(t *testing.T) {
	for _, driver := range []struct {
		name string
		dir  func(*testing.T) string
	}{
		{"JavaDriver", func(t *testing.T) string { return drivertest.Dir(t) }},
		{"CDriver", startCDriver},
	} {
		t.Run(driver.name, func(t *testing.T) {
			dir := driver.dir(t)
			goClient := connectPureGo(t, dir)
			cClient := connect(t, dir, true, nil)
			requireDistinctCorrelationIDs(t, goClient, cClient)
			for _, exclusive := range []bool{false, true} {
				kind := map[bool]string{false: "Concurrent", true: "Exclusive"}[exclusive]
				t.Run("AeroncToPureGo/"+kind, func(t *testing.T) {
					stream := nextStream()
					sub := await(t, "add pure-Go subscription", goClient.AddSubscription("aeron:ipc", stream))
					mixedExchange(t, await(t, "add aeronc publication", addPublication(cClient, exclusive)("aeron:ipc", stream)), sub)
				})
				t.Run("PureGoToAeronc/"+kind, func(t *testing.T) {
					stream := nextStream()
					sub := await(t, "add aeronc subscription", cClient.AddSubscription("aeron:ipc", stream))
					mixedExchange(t, await(t, "add pure-Go publication", addPublication(goClient, exclusive)("aeron:ipc", stream)), sub)
				})
			}
		})
	}
}

// addPublication is c's AddPublication or AddExclusivePublication.
func addPublication(c transport.Client, exclusive bool) func(string, int32) transport.Pending[transport.Publication] {
	if exclusive {
		return c.AddExclusivePublication
	}
	return c.AddPublication
}

// mixedExchange offers messages around the fragmentation boundary and try-claims some
// more, and checks what sub receives.
func mixedExchange(t *testing.T, pub transport.Publication, sub transport.Subscription) {
	t.Helper()
	max := pub.MaxPayloadLength()
	exchange(t, pub, sub, []int{0, 1, 8, 31, 32, 100, max - 1, max, max + 1, 2*max + 7, pub.MaxMessageLength(), 64}, 10)
	var claim transport.Claim
	var positions []int64
	for i := range 5 {
		var position int64
		eventually(t, "claim", func() bool { position = pub.TryClaim(16+i, &claim); return position > 0 })
		copy(claim.Buffer(), pattern(16+i, 100+i))
		claim.SetReservedValue(int64(1000 + i))
		claim.Commit()
		positions = append(positions, position)
	}
	var got collector
	eventually(t, "claimed messages", func() bool { sub.Poll(got.handler, 10); return len(got.got) >= 5 })
	for i, r := range got.got {
		want := pattern(16+i, 100+i)
		if string(r.msg) != string(want) || r.header.Position != positions[i] || r.header.ReservedValue != int64(1000+i) ||
			r.header.SessionID != pub.SessionID() {
			t.Fatalf("claimed message %d: %d bytes, header %+v; want %d bytes at %d, reserved %d", i, len(r.msg), r.header, len(want), positions[i], 1000+i)
		}
	}
}

// requireDistinctCorrelationIDs stops the test unless an id the pure-Go client takes from
// the driver's correlation counter is not the C client's next one too. Aeron's clients take
// the counter's value before the increment (Java's getAndAdd, C's fetch-add); a client that
// takes the value after it hands every other client's next id out twice, and the C client,
// matching the driver's answers by id, then mistakes another client's publication for its
// own subscription.
func requireDistinctCorrelationIDs(t *testing.T, goClient *aeron.Client, cClient *Client) {
	t.Helper()
	goPub := await(t, "add pure-Go publication", goClient.AddPublication("aeron:ipc", nextStream()))
	id := goPub.(*aeron.Publication).RegistrationID()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cPub, err := transport.Await(ctx, cClient.AddPublication("aeron:ipc", nextStream()))
	if err == nil && cPub.(*Publication).RegistrationID() != id {
		_ = cPub.Close()
		_ = goPub.Close()
		return
	}
	t.Fatalf("the C client's add right after the pure-Go client took correlation id %d: %v; "+
		"ids collide when aeron/concurrent's ManyToOneRingBuffer.NextCorrelationID returns the counter "+
		"after its increment instead of before it, as Aeron's clients do", id, describe(cPub, err))
}

func describe(pub transport.Publication, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("registration id %d", pub.(*Publication).RegistrationID())
}

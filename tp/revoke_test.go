package tp

import (
	"testing"

	"github.com/tensorpool/tensorpool/agents/driver"
)

// Driver spec §4.9: a consumer stops reading when its stream's producer lease is revoked,
// and only then; malformed or unknown-valued notices are rejected.
func TestDriverSpec_4_9_ProducerRevokedNotice(t *testing.T) {
	encode := func(r driver.LeaseRevoked) []byte {
		buf := make([]byte, driver.LeaseRevokedLength(&r))
		if n := driver.EncodeLeaseRevoked(buf, &r); n != len(buf) {
			t.Fatalf("encoded %d of %d bytes", n, len(buf))
		}
		return buf
	}
	producer := driver.LeaseRevoked{TimestampNs: 5, LeaseID: 7, StreamID: 10, ClientID: 3, Role: driver.RoleProducer, Reason: driver.RevokeExpired}
	consumerLease := producer
	consumerLease.Role = driver.RoleConsumer
	otherStream := producer
	otherStream.StreamID = 11
	whole := encode(producer)
	unknownReason := producer
	unknownReason.Reason = 200
	var r driver.LeaseRevoked
	for _, tc := range []struct {
		name string
		msg  []byte
		want bool
	}{
		{"producer of the stream", encode(producer), true},
		{"consumer lease", encode(consumerLease), false},
		{"another stream", encode(otherStream), false},
		{"unknown reason", encode(unknownReason), false},
		{"truncated", whole[:len(whole)-3], false},
		{"empty", nil, false},
		{"header only", whole[:8], false},
	} {
		if got := producerRevoked(tc.msg, 10, &r); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if !producerRevoked(encode(producer), 10, &r) || r.LeaseID != 7 || r.Reason != driver.RevokeExpired {
		t.Errorf("decoded %+v", r)
	}
}

// Whatever arrives on the control stream, the notice check neither panics nor accepts a
// notice for another stream or role.
func FuzzProducerRevoked(f *testing.F) {
	r := driver.LeaseRevoked{LeaseID: 7, StreamID: 10, ClientID: 3, Role: driver.RoleProducer, Reason: driver.RevokeRevoked, ErrorMessage: "x"}
	buf := make([]byte, driver.LeaseRevokedLength(&r))
	driver.EncodeLeaseRevoked(buf, &r)
	f.Add(buf)
	f.Add(buf[:9])
	f.Fuzz(func(t *testing.T, msg []byte) {
		var got driver.LeaseRevoked
		if producerRevoked(msg, 10, &got) && (got.StreamID != 10 || got.Role != driver.RoleProducer) {
			t.Fatalf("accepted %+v", got)
		}
	})
}

package consumer

import (
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

// Driver spec §4.9: a consumer stops reading when its stream's producer lease is revoked,
// and only then; malformed or unknown-valued notices are rejected.
func TestDriverSpec_4_9_ProducerRevokedNotice(t *testing.T) {
	encode := func(r wire.ShmLeaseRevoked) []byte {
		buf := make([]byte, r.EncodedLength())
		if n, err := r.Encode(buf); err != nil || n != len(buf) {
			t.Fatalf("encoded %d of %d bytes: %v", n, len(buf), err)
		}
		return buf
	}
	producer := wire.ShmLeaseRevoked{TimestampNs: 5, LeaseID: 7, StreamID: 10, ClientID: 3, Role: wire.RoleProducer, Reason: wire.RevokeExpired}
	consumerLease := producer
	consumerLease.Role = wire.RoleConsumer
	otherStream := producer
	otherStream.StreamID = 11
	whole := encode(producer)
	unknownReason := producer
	unknownReason.Reason = 200
	var r wire.ShmLeaseRevoked
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
	if !producerRevoked(encode(producer), 10, &r) || r.LeaseID != 7 || r.Reason != wire.RevokeExpired {
		t.Errorf("decoded %+v", r)
	}
}

// Whatever arrives on the control stream, the notice check neither panics nor accepts a
// notice for another stream or role.
func FuzzProducerRevoked(f *testing.F) {
	r := wire.ShmLeaseRevoked{LeaseID: 7, StreamID: 10, ClientID: 3, Role: wire.RoleProducer, Reason: wire.RevokeRevoked, ErrorMessage: "x"}
	buf := make([]byte, r.EncodedLength())
	if _, err := r.Encode(buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf)
	f.Add(buf[:9])
	f.Fuzz(func(t *testing.T, msg []byte) {
		var got wire.ShmLeaseRevoked
		if producerRevoked(msg, 10, &got) && (got.StreamID != 10 || got.Role != wire.RoleProducer) {
			t.Fatalf("accepted %+v", got)
		}
	})
}

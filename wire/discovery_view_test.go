package wire

import (
	"errors"
	"testing"
)

// viewAsRequest copies a view into the DiscoveryRequest Decode would give.
func viewAsRequest(v *DiscoveryRequestView) DiscoveryRequest {
	r := DiscoveryRequest{RequestID: v.RequestID, ClientID: v.ClientID, ResponseStreamID: v.ResponseStreamID,
		StreamID: v.StreamID, ProducerID: v.ProducerID, DataSourceID: v.DataSourceID,
		ResponseChannel: string(v.ResponseChannel), DataSourceName: string(v.DataSourceName)}
	for _, t := range v.Tags {
		r.Tags = append(r.Tags, string(t))
	}
	return r
}

func sameRequest(a, b DiscoveryRequest) bool {
	if len(a.Tags) != len(b.Tags) {
		return false
	}
	for i := range a.Tags {
		if a.Tags[i] != b.Tags[i] {
			return false
		}
	}
	return a.RequestID == b.RequestID && a.ClientID == b.ClientID && a.ResponseStreamID == b.ResponseStreamID &&
		a.StreamID == b.StreamID && a.ProducerID == b.ProducerID && a.DataSourceID == b.DataSourceID &&
		a.ResponseChannel == b.ResponseChannel && a.DataSourceName == b.DataSourceName
}

func TestDiscoveryRequestViewMatchesDecode(t *testing.T) {
	for _, m := range []DiscoveryRequest{
		{RequestID: 1, ClientID: 2, ResponseStreamID: 7004, ResponseChannel: "aeron:ipc"},
		{RequestID: 1<<40 | 9, ClientID: 3, ResponseStreamID: 1, StreamID: 10000, ProducerID: 4, DataSourceID: 5,
			Tags: []string{"camera", "", "rgb"}, ResponseChannel: "aeron:udp?endpoint=host:40123", DataSourceName: "camera-1"},
	} {
		buf := encode(t, &m)
		var v DiscoveryRequestView
		if err := v.Decode(buf); err != nil {
			t.Fatal(err)
		}
		if got := viewAsRequest(&v); !sameRequest(got, m) {
			t.Fatalf("view %+v, encoded %+v", got, m)
		}
	}
}

func TestDiscoveryRequestViewRejectsWhatDecodeRejects(t *testing.T) {
	good := encode(t, &DiscoveryRequest{RequestID: 1, ResponseStreamID: 2, Tags: []string{"a"}, ResponseChannel: "aeron:ipc"})
	resp := encode(t, &DiscoveryResponse{RequestID: 1, Status: DiscoveryStatusOK})
	for name, buf := range map[string][]byte{"short": good[:len(good)-3], "header only": good[:4], "response": resp} {
		var v DiscoveryRequestView
		err := v.Decode(buf)
		var de *DecodeError
		if err == nil || !errors.As(err, &de) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// FuzzDiscoveryRequestView holds the view to DiscoveryRequest.Decode: whatever the bytes,
// both accept or both reject, and an accepted request reads the same through either.
func FuzzDiscoveryRequestView(f *testing.F) {
	buf := readGolden(f, "discovery_request.hex")
	f.Add(buf)
	f.Add(buf[:len(buf)/2])
	f.Fuzz(func(t *testing.T, in []byte) {
		var v DiscoveryRequestView
		errV := v.Decode(in)
		var m DiscoveryRequest
		errM := m.Decode(in)
		if (errV == nil) != (errM == nil) {
			t.Fatalf("view: %v, decode: %v", errV, errM)
		}
		if errV != nil {
			checkErrorShape(t, errV)
			return
		}
		if got := viewAsRequest(&v); !sameRequest(got, m) {
			t.Fatalf("view %+v, decode %+v", got, m)
		}
	})
}

// A response's length is its base and its results' lengths.
func TestDiscoveryResponseLengthAddsUp(t *testing.T) {
	m := DiscoveryResponse{RequestID: 1, Status: DiscoveryStatusOK, ErrorMessage: "truncated", Results: []DiscoveryResult{
		{StreamID: 1, DriverControlStreamID: 2, HeaderRegionURI: "shm:file?path=/a", Tags: []string{"x", "yy"},
			PayloadPools: []PayloadPool{{PoolID: 1, RegionURI: "shm:file?path=/b"}}, DriverInstanceID: "d", DriverControlChannel: "aeron:ipc"},
		{StreamID: 3},
	}}
	want := DiscoveryResponseBaseLength(len(m.ErrorMessage)) + m.Results[0].EncodedLength() + m.Results[1].EncodedLength()
	if got := len(encode(t, &m)); got != want || m.EncodedLength() != want {
		t.Fatalf("encoded %d bytes, EncodedLength %d, parts %d", got, m.EncodedLength(), want)
	}
}

package metrics

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport/mem"
)

// A metric counts in-process at once and into its Aeron counter once the media driver
// added it (the counter then starts at the value so far); a refused counter is reported
// once and the metric keeps counting; Close frees the counters and the values stay.
func TestPublisherMirrorsMetricsIntoCounters(t *testing.T) {
	c := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{UseInvoker: true})
	defer c.Close()
	var a, b Count
	a.Add(3)
	list := []Metric{{Info: Info{TypeID: 1070, Name: "x_total", Label: "k", LabelValue: "v"}, Count: &a}, {Info: Info{TypeID: 1071, Name: "y", Gauge: true}, Count: &b}}
	require.Equal(t, "x_total k=v: role=r instance=i", list[0].CounterLabel("r", "i"))
	p := Publish(c, list, "r", "i", Key(7000, "i"))
	require.Zero(t, p.Poll(), "not added before the conductor runs")
	c.Conductor().DoWork(clock.Now())
	require.Equal(t, 2, p.Poll())
	require.NoError(t, p.Err())
	counters := p.Counters()
	require.Len(t, counters, 2)
	require.Equal(t, int64(3), counters[0].Get(), "starts at the value so far")
	a.Add(2)
	b.Set(9)
	require.Equal(t, int64(5), counters[0].Get())
	require.Equal(t, int64(9), counters[1].Get())
	p.Close()
	a.Add(1)
	require.Equal(t, uint64(6), a.Load(), "counts on after Close")

	refused := errors.New("counters buffer full")
	c.FailAdds(refused)
	p = Publish(c, list, "r", "i", Key(7000, "i"))
	c.Conductor().DoWork(clock.Now())
	require.Equal(t, 2, p.Poll())
	require.ErrorIs(t, p.Err(), refused)
	require.NoError(t, p.Err(), "reported once")
	a.Add(1)
	require.Equal(t, uint64(7), a.Load())
	p.Close()
}

func TestKeyIsBounded(t *testing.T) {
	long := make([]byte, 200)
	for i := range long {
		long[i] = 'n'
	}
	k := Key(7000, string(long))
	require.Len(t, k, maxKey)
	require.Equal(t, []byte{0x58, 0x1b, 0, 0}, k[:4])
}

package wire

import (
	"fmt"
	"math"
	"testing"

	"github.com/tensorpool/tensorpool/wire/sbe/control"
	"github.com/tensorpool/tensorpool/wire/sbe/discovery"
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
	"github.com/tensorpool/tensorpool/wire/sbe/merge"
)

// enumCase is one wire enum against its generated twin: Valid must be exactly the values
// the schema defines (not its null), String their schema names.
type enumCase struct {
	name   string
	values []int64
	valid  func(int64) bool
	str    func(int64) string
	lookup func(int64) (fmt.Stringer, error) // the generated LookupX
	null   int64
}

func uint8Values() []int64 {
	v := make([]int64, 256)
	for i := range v {
		v[i] = int64(i)
	}
	return v
}

func TestEnumsMatchTheSchemas(t *testing.T) {
	cases := []enumCase{
		{"Role", uint8Values(), func(v int64) bool { return Role(v).Valid() }, func(v int64) string { return Role(v).String() },
			func(v int64) (fmt.Stringer, error) { return driver.LookupRole(uint8(v)) }, math.MaxUint8},
		{"PublishMode", uint8Values(), func(v int64) bool { return PublishMode(v).Valid() }, func(v int64) string { return PublishMode(v).String() },
			func(v int64) (fmt.Stringer, error) { return driver.LookupPublishMode(uint8(v)) }, math.MaxUint8},
		{"HugepagesPolicy", uint8Values(), func(v int64) bool { return HugepagesPolicy(v).Valid() }, func(v int64) string { return HugepagesPolicy(v).String() },
			func(v int64) (fmt.Stringer, error) { return driver.LookupHugepagesPolicy(uint8(v)) }, math.MaxUint8},
		{"LeaseRevokeReason", uint8Values(), func(v int64) bool { return LeaseRevokeReason(v).Valid() }, func(v int64) string { return LeaseRevokeReason(v).String() },
			func(v int64) (fmt.Stringer, error) { return driver.LookupLeaseRevokeReason(uint8(v)) }, math.MaxUint8},
		{"ShutdownReason", uint8Values(), func(v int64) bool { return ShutdownReason(v).Valid() }, func(v int64) string { return ShutdownReason(v).String() },
			func(v int64) (fmt.Stringer, error) { return driver.LookupShutdownReason(uint8(v)) }, math.MaxUint8},
		{"ResponseCode", []int64{math.MinInt32, -1, 0, 1, 2, 3, 4, 5, 100, math.MaxInt32}, func(v int64) bool { return ResponseCode(v).Valid() },
			func(v int64) string { return ResponseCode(v).String() },
			func(v int64) (fmt.Stringer, error) { return driver.LookupResponseCode(int32(v)) }, math.MinInt32},
		{"ResponseCode (control)", []int64{math.MinInt32, -1, 0, 1, 2, 3, 4, 5, 100, math.MaxInt32}, func(v int64) bool { return ResponseCode(v).Valid() },
			func(v int64) string { return ResponseCode(v).String() },
			func(v int64) (fmt.Stringer, error) { return control.LookupResponseCode(int32(v)) }, math.MinInt32},
		{"Mode", uint8Values(), func(v int64) bool { return Mode(v).Valid() }, func(v int64) string { return Mode(v).String() },
			func(v int64) (fmt.Stringer, error) { return control.LookupMode(uint8(v)) }, math.MaxUint8},
		{"ClockDomain", uint8Values(), func(v int64) bool { return ClockDomain(v).Valid() }, func(v int64) string { return ClockDomain(v).String() },
			func(v int64) (fmt.Stringer, error) { return control.LookupClockDomain(uint8(v)) }, math.MaxUint8},
		{"FrameProgressState", uint8Values(), func(v int64) bool { return FrameProgressState(v).Valid() }, func(v int64) string { return FrameProgressState(v).String() },
			func(v int64) (fmt.Stringer, error) { return control.LookupFrameProgressState(uint8(v)) }, math.MaxUint8},
		{"DiscoveryStatus", uint8Values(), func(v int64) bool { return DiscoveryStatus(v).Valid() }, func(v int64) string { return DiscoveryStatus(v).String() },
			func(v int64) (fmt.Stringer, error) { return discovery.LookupDiscoveryStatus(uint8(v)) }, math.MaxUint8},
		{"ClockDomain (merge)", uint8Values(), func(v int64) bool { return ClockDomain(v).Valid() }, func(v int64) string { return ClockDomain(v).String() },
			func(v int64) (fmt.Stringer, error) { return merge.LookupClockDomain(uint8(v)) }, math.MaxUint8},
		{"MergeRuleType", uint8Values(), func(v int64) bool { return MergeRuleType(v).Valid() }, func(v int64) string { return MergeRuleType(v).String() },
			func(v int64) (fmt.Stringer, error) { return merge.LookupMergeRuleType(uint8(v)) }, math.MaxUint8},
		{"MergeTimeRuleType", uint8Values(), func(v int64) bool { return MergeTimeRuleType(v).Valid() }, func(v int64) string { return MergeTimeRuleType(v).String() },
			func(v int64) (fmt.Stringer, error) { return merge.LookupMergeTimeRuleType(uint8(v)) }, math.MaxUint8},
		{"TimestampSource", uint8Values(), func(v int64) bool { return TimestampSource(v).Valid() }, func(v int64) string { return TimestampSource(v).String() },
			func(v int64) (fmt.Stringer, error) { return merge.LookupTimestampSource(uint8(v)) }, math.MaxUint8},
	}
	for _, c := range cases {
		for _, v := range c.values {
			gen, err := c.lookup(v)
			defined := err == nil && v != c.null
			if c.valid(v) != defined {
				t.Errorf("%s(%d).Valid() = %v, the schema defines it: %v", c.name, v, c.valid(v), defined)
			}
			switch {
			case defined && c.str(v) != gen.String():
				t.Errorf("%s(%d) = %q, the schema names it %q", c.name, v, c.str(v), gen.String())
			case !defined && v != c.null && c.str(v) != fmt.Sprintf("%s(%d)", typeName(c.name), v):
				t.Errorf("%s(%d) = %q for a value the schema does not define", c.name, v, c.str(v))
			}
		}
	}
	if PublishModeNull.String() != "NULL" {
		t.Errorf("PublishModeNull = %q", PublishModeNull.String())
	}
}

// typeName drops a case's qualifier: "ResponseCode (control)" is type ResponseCode.
func typeName(name string) string {
	for i := range name {
		if name[i] == ' ' {
			return name[:i]
		}
	}
	return name
}

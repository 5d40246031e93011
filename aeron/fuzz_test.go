package aeron

import (
	"testing"
)

// FuzzResponseDispatch hands arbitrary driver responses to the conductor,
// with requests waiting on small correlation ids: any input is either used
// or ignored, never a panic. Image responses are only decoded here: acting
// on one maps the file it names.
func FuzzResponseDispatch(f *testing.F) {
	f.Add(int32(rspOnPublicationReady), make([]byte, 40))
	f.Add(int32(rspOnAvailableImage), make([]byte, 40))
	f.Add(int32(rspOnError), []byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F})
	f.Fuzz(func(t *testing.T, typeID int32, payload []byte) {
		c, _, _ := newMemoryClient(t)
		c.cfg.ErrorHandler = func(error) {}
		for id := int64(0); id < 4; id++ {
			c.registerLocked(id, "fuzz")
		}
		c.onResponse(typeID, payload)
		_, _ = decodeAvailableImage(payload)
		_, _ = decodeUnavailableImage(payload)
	})
}

package tp

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/agents/driverclient"
)

// permanent reports whether an attach attempt's failure is a refusal no retry changes
// (driverclient.RefusedError.Permanent): waiting for the first grant ends on it.
func permanent(last error) bool {
	refused, ok := errors.AsType[*driverclient.RefusedError](last)
	return ok && refused.Permanent()
}

// refusedError is ErrRefused with the driver's answer.
type refusedError struct {
	streamID uint32
	refused  *driverclient.RefusedError
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("tp: attach to stream %d refused by the driver: %s: %s", e.streamID, e.refused.Code, e.refused.Message)
}

func (e *refusedError) Unwrap() []error { return []error{ErrRefused, e.refused} }

// attachError says why waiting for a first grant ended: a refusal no retry changes, or
// ctx's end with the driver's last refusal, or, when nothing answered, where the attach
// went. last is the lease's last refusal, as the wait's condition read it on the duty
// cycle.
func (c *Client) attachError(werr error, streamID uint32, last error) error {
	if refused, ok := errors.AsType[*driverclient.RefusedError](last); ok && refused.Permanent() {
		return &refusedError{streamID: streamID, refused: refused}
	}
	if werr == nil {
		return nil
	}
	if last == nil || errors.Is(last, driverclient.ErrAttachTimeout) {
		return fmt.Errorf("tp: attach to stream %d: %w: %s", streamID, werr, c.noAnswer())
	}
	return fmt.Errorf("tp: attach to stream %d: %w (last attempt: %w)", streamID, werr, last)
}

// noAnswer says where an attach nobody answered went, and whether a media driver is
// alive there: what tells a stopped tp-driver from a wrong directory or stream.
func (c *Client) noAnswer() string {
	o := &c.opts
	where := fmt.Sprintf("no SHM driver answered on %s stream %d", o.ControlChannel, o.ControlStreamID)
	if !c.ownsTransport {
		return where
	}
	return fmt.Sprintf("%s of the media driver in %s (%s); is tp-driver running there with that control channel and stream?",
		where, o.AeronDir, mediaDriverState(o.AeronDir, time.Now()))
}

// mediaDriverState reads the heartbeat of the media driver in aeronDir's CnC file.
func mediaDriverState(aeronDir string, now time.Time) string {
	f, err := cnc.Map(cnc.Path(aeronDir))
	if err != nil {
		return fmt.Sprintf("no media driver: %v", err)
	}
	defer f.Close()
	beat := f.DriverHeartbeatMs()
	if beat <= 0 {
		return "its media driver never beat"
	}
	age := now.Sub(time.UnixMilli(beat)).Round(time.Millisecond)
	if age > mediaDriverStaleAfter {
		return fmt.Sprintf("its media driver is not alive: last heartbeat %v ago", age)
	}
	return fmt.Sprintf("media driver alive, heartbeat %v ago", age)
}

// mediaDriverStaleAfter is the heartbeat age after which a media driver counts as dead:
// Aeron's default driver timeout.
const mediaDriverStaleAfter = 10 * time.Second

// optionsError is ErrInvalidOptions with err, which says what is wrong; an allowed base
// directory that does not exist also says who makes it: it is most often tp-driver's
// shm.base_dir, before tp-driver started.
func optionsError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: AllowedBaseDirs: %w (tp-driver creates its shm.base_dir when it starts: start it first, "+
			"or name the directory it uses in Options.AllowedBaseDirs or $TP_SHM_BASE_DIRS)", ErrInvalidOptions, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
}

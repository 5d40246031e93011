package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

type tapOptions struct {
	system   systemFlags
	channel  string
	streams  []int32
	messages []string
	count    int
	duration time.Duration
	asJSON   bool
}

func newTapCommand() *cobra.Command {
	var o tapOptions
	cmd := &cobra.Command{
		Use:   "tap [flags]",
		Short: "Print every tensorpool message on Aeron streams, one decoded line each",
		Long: `tap subscribes to Aeron streams and prints every message that arrives, one
line each, decoded with the tensorpool wire codecs: the schemas control (900),
driver (901), bridge (902), merge (903), tracelink (904) and discovery (910).
Each line names the stream and publication session it came on, the message,
its SBE schema and version, and the wire spec layout its block length
selects: 1.1 or 1.2 for the five messages whose layout wire v1.2 changed
(FrameDescriptor, FrameProgress, ShmAttachRequest, ShmAttachResponse,
BridgeFrameChunk), 1.1/1.2 for the others, which read the same in both. Then
come the fields under their schema names; a field at its null value prints
as null, a byte field as its length.

Without --stream it taps the SHM driver's control, announce and QoS streams,
taken from --config or tp-driver's built-in configuration (aeron:ipc stream
1000 and QoS stream 1200); with --stream, those streams on --channel (the
clients' descriptors are aeron:ipc stream 1100 by default). Bytes that are
not a tensorpool message print as MALFORMED (a tensorpool schema id, but no
valid message) or FOREIGN, with the reason; nothing that arrives can stop the
tap.

tap is an ordinary subscriber: on an IPC stream the publishers wait for it as
for any consumer, so a tap that is stopped (Ctrl-Z) holds them back. To watch
a UDP stream published on this host, use an aeron-spy: channel. tap runs until
Ctrl-C, --count messages or --duration.`,
		Example: `  tp tap
  tp tap --stream 1100 --message FrameDescriptor --count 10
  tp tap --config /etc/tensorpool/driver.toml --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.count < 0 {
				return usageError(fmt.Errorf("--count %d: want 0 (no limit) or more", o.count))
			}
			if o.duration < 0 {
				return usageError(fmt.Errorf("--duration %v: want 0 (no limit) or more", o.duration))
			}
			filter, err := messageFilter(o.messages)
			if err != nil {
				return usageError(err)
			}
			eps, err := o.endpoints()
			if err != nil {
				return err
			}
			return runTap(cmd, o, eps, filter)
		},
	}
	f := cmd.Flags()
	o.system.register(f)
	f.StringVar(&o.channel, "channel", "aeron:ipc", "the channel of the --stream streams")
	f.Int32SliceVar(&o.streams, "stream", nil, "stream id to tap on --channel; repeat or separate with commas (default: the driver's control, announce and QoS streams)")
	f.StringSliceVar(&o.messages, "message", nil, "print only these messages, e.g. FrameDescriptor,ShmPoolAnnounce (default: all)")
	f.IntVar(&o.count, "count", 0, "stop after this many messages printed (0: no limit)")
	f.DurationVar(&o.duration, "duration", 0, "stop after this long (0: until Ctrl-C)")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object a line")
	return cmd
}

func (o *tapOptions) endpoints() ([]subEndpoint, error) {
	if len(o.streams) == 0 {
		cfg, err := o.system.driverConfig()
		if err != nil {
			return nil, err
		}
		return controlEndpoints(cfg), nil
	}
	if o.channel == "" {
		return nil, usageError(fmt.Errorf("--channel is empty"))
	}
	var eps []subEndpoint
	for _, id := range o.streams {
		eps = addEndpoint(eps, subEndpoint{Channel: o.channel, StreamID: id})
	}
	return eps, nil
}

// messageFilter accepts the named messages (any case); nil accepts every message.
func messageFilter(names []string) (map[string]bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	known := map[string]string{}
	for id := range messageTypes {
		known[strings.ToLower(id.String())] = id.String()
	}
	filter := map[string]bool{}
	for _, n := range names {
		name, ok := known[strings.ToLower(strings.TrimSpace(n))]
		if !ok {
			return nil, fmt.Errorf("--message %q: not a tensorpool message (e.g. FrameDescriptor, ShmPoolAnnounce, ShmLeaseKeepalive)", n)
		}
		filter[name] = true
	}
	return filter, nil
}

func runTap(cmd *cobra.Command, o tapOptions, eps []subEndpoint, filter map[string]bool) error {
	client, dir, err := o.system.connect()
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, stop := signalContext(cmd, o.duration)
	defer stop()
	l, err := subscribe(ctx, client, eps, o.system.wait)
	if err != nil {
		return err
	}
	defer l.close()
	var names []string
	for _, e := range eps {
		names = append(names, describeEndpoint(e))
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "tp: tapping %s in %s\n", strings.Join(names, "; "), dir)

	out := bufio.NewWriter(cmd.OutOrStdout())
	defer out.Flush()
	printed := 0
	var line []byte
	var writeErr error
	tap := func(ep *subEndpoint, msg []byte, h *transport.Header) {
		d := decodeMessage(msg)
		if filter != nil && !filter[d.Name] {
			return
		}
		line = line[:0]
		if o.asJSON {
			line, writeErr = appendTapJSON(line, time.Now(), ep, h, &d)
		} else {
			line = appendTapText(line, time.Now(), h, &d)
		}
		line = append(line, '\n')
		if _, err := out.Write(line); err != nil && writeErr == nil {
			writeErr = err
		}
		printed++
	}
	flush := time.NewTicker(100 * time.Millisecond)
	defer flush.Stop()
	done := func() bool {
		select {
		case <-flush.C:
			if err := out.Flush(); err != nil && writeErr == nil {
				writeErr = err
			}
		default:
		}
		return writeErr != nil || (o.count > 0 && printed >= o.count)
	}
	if err := l.run(ctx, tap, done); err != nil {
		return err
	}
	if writeErr != nil {
		return failure(writeErr)
	}
	return nil
}

func describeEndpoint(e subEndpoint) string {
	if len(e.Labels) == 0 {
		return e.String()
	}
	return fmt.Sprintf("%v (%s)", e, strings.Join(e.Labels, ", "))
}

// appendTapText writes one line: receive time, stream and session, then the message.
func appendTapText(b []byte, at time.Time, h *transport.Header, d *decoded) []byte {
	b = at.AppendFormat(b, "15:04:05.000000")
	b = fmt.Appendf(b, " stream=%d session=%d ", h.StreamID, h.SessionID)
	hd := d.Header
	switch d.Kind {
	case kindMessage:
		b = fmt.Appendf(b, "%s schema=%d v=%d wire=%s", d.Name, hd.SchemaID, hd.Version, d.WireVersion)
		if len(d.Fields) > 0 {
			b = append(b, ' ')
			b = d.Fields.appendText(b)
		}
	case kindMalformed:
		b = fmt.Appendf(b, "MALFORMED schema=%d template=%d v=%d block=%d length=%d", hd.SchemaID, hd.TemplateID, hd.Version, hd.BlockLength, d.Length)
	default:
		b = fmt.Appendf(b, "FOREIGN length=%d", d.Length)
	}
	if d.Err != nil {
		b = append(b, " err="...)
		b = strconv.AppendQuote(b, d.Err.Error())
	}
	return b
}

// tapRecord is a line of tap --json.
type tapRecord struct {
	Time          time.Time `json:"time"`
	Channel       string    `json:"channel"`
	StreamID      int32     `json:"stream_id"`
	SessionID     int32     `json:"session_id"`
	Position      int64     `json:"position"`
	Kind          string    `json:"kind"`
	SchemaID      *uint16   `json:"schema_id,omitempty"`
	TemplateID    *uint16   `json:"template_id,omitempty"`
	SchemaVersion *uint16   `json:"schema_version,omitempty"`
	BlockLength   *uint16   `json:"block_length,omitempty"`
	Length        int       `json:"length"`
	Message       string    `json:"message,omitempty"`
	WireVersion   string    `json:"wire_version,omitempty"`
	Fields        fields    `json:"fields,omitempty"`
	Error         string    `json:"error,omitempty"`
}

func appendTapJSON(b []byte, at time.Time, ep *subEndpoint, h *transport.Header, d *decoded) ([]byte, error) {
	r := tapRecord{
		Time: at.UTC(), Channel: ep.Channel, StreamID: h.StreamID, SessionID: h.SessionID, Position: h.Position,
		Kind: d.Kind, Length: d.Length, Message: d.Name, WireVersion: d.WireVersion, Fields: d.Fields,
	}
	if d.Kind != kindForeign || d.Header != (wire.Header{}) {
		hd := d.Header
		r.SchemaID, r.TemplateID, r.SchemaVersion, r.BlockLength = &hd.SchemaID, &hd.TemplateID, &hd.Version, &hd.BlockLength
	}
	if d.Err != nil {
		r.Error = d.Err.Error()
	}
	enc, err := json.Marshal(r)
	if err != nil {
		return b, err
	}
	return append(b, enc...), nil
}

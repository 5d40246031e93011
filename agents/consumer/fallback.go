package consumer

import (
	"errors"
	"fmt"
	"strings"
)

// ErrFallback is what every *FallbackError unwraps to (besides its cause).
var ErrFallback = errors.New("consumer: fell back from shared memory")

// ErrUnsupportedFallbackURI is what every *FallbackURIError unwraps to.
var ErrUnsupportedFallbackURI = errors.New("consumer: unsupported payload fallback URI")

// FallbackURIError rejects a payload_fallback_uri whose scheme or syntax this consumer
// does not know; §10.1.3 has such URIs treated as unsupported.
type FallbackURIError struct {
	URI     string
	Problem string
}

func (e *FallbackURIError) Error() string {
	return fmt.Sprintf("consumer: payload_fallback_uri %q: %s (§10.1.3)", e.URI, e.Problem)
}

func (e *FallbackURIError) Unwrap() error { return ErrUnsupportedFallbackURI }

// FallbackError reports that the regions of an epoch were rejected and the consumer
// entered the FALLBACK state with URI instead of failing (§15.12, §15.22). It unwraps to
// ErrFallback and to the rejection.
type FallbackError struct {
	Epoch uint64
	URI   string
	Err   error
}

func (e *FallbackError) Error() string {
	return fmt.Sprintf("consumer: epoch %d rejected (%v); payloads fall back to %q (§15.22)", e.Epoch, e.Err, e.URI)
}

func (e *FallbackError) Unwrap() []error { return []error{ErrFallback, e.Err} }

// ValidateFallbackURI accepts the payload_fallback_uri forms §10.1.3 names: an Aeron
// channel, "aeron:udp" or "aeron:ipc" optionally followed by "?" and "|"-separated
// key=value parameters, or "bridge://<id>". Every other scheme is unsupported.
func ValidateFallbackURI(uri string) error {
	bad := func(problem string) error { return &FallbackURIError{URI: uri, Problem: problem} }
	for i := 0; i < len(uri); i++ {
		if uri[i] <= ' ' || uri[i] > '~' {
			return bad(fmt.Sprintf("byte %#x at %d is not printable ASCII", uri[i], i))
		}
	}
	if id, ok := strings.CutPrefix(uri, "bridge://"); ok {
		if id == "" || strings.ContainsAny(id, "/?#") {
			return bad("a bridge URI is bridge://<id>")
		}
		return nil
	}
	rest, ok := strings.CutPrefix(uri, "aeron:")
	if !ok {
		return bad("unsupported scheme: want aeron:udp, aeron:ipc or bridge://<id>")
	}
	media, params, hasParams := strings.Cut(rest, "?")
	if media != "udp" && media != "ipc" {
		return bad(fmt.Sprintf("unsupported Aeron media %q: want udp or ipc", media))
	}
	if !hasParams {
		return nil
	}
	for param := range strings.SplitSeq(params, "|") {
		key, _, hasValue := strings.Cut(param, "=")
		if key == "" || !hasValue {
			return bad(fmt.Sprintf("parameter %q is not key=value", param))
		}
	}
	return nil
}

// fallbackState is the FALLBACK state of §15.12.
type fallbackState struct {
	active bool
	uri    string
	// rejected: entered because an epoch's regions were rejected (§15.22), not by a
	// ConsumerConfig; announces of that epoch or an older one are not retried.
	rejected bool
	epoch    uint64
}

// Fallback reports whether the consumer is in the FALLBACK state of §15.12, and where
// payloads are to come from instead: the consumer maps no SHM and delivers no frames
// meanwhile, and it does not speak the fallback transport itself; the application
// switches to it. The consumer enters the state when a ConsumerConfig says use_shm =
// false (uri then "" if no usable payload_fallback_uri was given), or when the regions of
// an announced epoch fail validation and a fallback URI is configured (§15.22: a rejected
// region is never partially consumed). It leaves it on a ConsumerConfig allowing SHM
// after use_shm = false, or once a newer epoch's regions map.
func (c *Consumer) Fallback() (uri string, active bool) {
	return c.fallback.uri, c.fallback.active
}

// fallbackURI is the payload_fallback_uri in force: the last ConsumerConfig's if it gave
// a usable one, else Config.PayloadFallbackURI (checked by New). An unsupported one from
// the ConsumerConfig is returned as the error.
func (c *Consumer) fallbackURI() (string, error) {
	if uri := c.assigned.PayloadFallbackURI; uri != "" {
		err := ValidateFallbackURI(uri)
		if err == nil {
			return uri, nil
		}
		return c.cfg.PayloadFallbackURI, err
	}
	return c.cfg.PayloadFallbackURI, nil
}

func (c *Consumer) enterFallback(uri string, rejected bool, epoch uint64) {
	if !c.fallback.active {
		c.counters.Fallbacks++
	}
	c.fallback = fallbackState{active: true, uri: uri, rejected: rejected, epoch: epoch}
}

// leaveFallback ends a fallback from rejected regions once a newer epoch mapped.
func (c *Consumer) leaveFallback() {
	if c.fallback.rejected {
		c.fallback = fallbackState{}
	}
}

// reject handles an epoch whose regions could not be mapped. A region that failed
// validation is never partially consumed (§15.22): nothing stays mapped, and with a
// usable fallback URI the consumer enters FALLBACK; without one the data source fails
// with err as the diagnostic and later announces may try again. Liveness failures
// (a stale activity timestamp, a pid change) are not rejections: the consumer waits for
// the producer instead (§15.14).
func (c *Consumer) reject(epoch uint64, err error) error {
	if errors.Is(err, ErrStaleActivity) || errors.Is(err, ErrPidChanged) {
		return err
	}
	c.counters.Rejections++
	uri, uriErr := c.fallbackURI()
	if uri == "" {
		return errors.Join(err, uriErr)
	}
	c.Unmap()
	c.enterFallback(uri, true, epoch)
	return &FallbackError{Epoch: epoch, URI: uri, Err: err}
}

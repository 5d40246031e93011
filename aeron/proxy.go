package aeron

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/tensorpool/tensorpool/aeron/concurrent"
	"github.com/tensorpool/tensorpool/aeron/counters"
)

// driverProxy writes commands into the to-driver ring buffer. Each method
// takes a fresh correlation id, encodes straight into the claimed record and
// commits it: no allocation on success.
type driverProxy struct {
	rb       *concurrent.ManyToOneRingBuffer
	clientID int64
}

// claimRetries is how often a full buffer is retried (yielding in between)
// before the command fails, as the C client does.
const claimRetries = 10

func (p *driverProxy) claim(typeID int32, length int) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		index, b, err := p.rb.Claim(typeID, length)
		if err == nil {
			return index, b, nil
		}
		if errors.Is(err, concurrent.ErrMessageTooLong) {
			return 0, nil, fmt.Errorf("%w: command of %d bytes exceeds the to-driver maximum %d", ErrInvalidArgument, length, p.rb.MaxMessageLength())
		}
		if !errors.Is(err, concurrent.ErrRingBufferFull) || attempt >= claimRetries {
			return 0, nil, fmt.Errorf("%w: %w", ErrDriverBufferFull, err)
		}
		runtime.Gosched()
	}
}

func (p *driverProxy) addPublication(channel string, streamID int32, exclusive bool) (int64, error) {
	typeID := cmdAddPublication
	if exclusive {
		typeID = cmdAddExclusivePublication
	}
	index, b, err := p.claim(typeID, publicationCommandLength(channel))
	if err != nil {
		return 0, err
	}
	correlationID := p.rb.NextCorrelationID()
	encodePublicationCommand(b, p.clientID, correlationID, streamID, channel)
	p.rb.Commit(index)
	return correlationID, nil
}

func (p *driverProxy) removePublication(registrationID int64) (int64, error) {
	index, b, err := p.claim(cmdRemovePublication, removePublicationLength)
	if err != nil {
		return 0, err
	}
	correlationID := p.rb.NextCorrelationID()
	encodeRemovePublication(b, p.clientID, correlationID, registrationID)
	p.rb.Commit(index)
	return correlationID, nil
}

func (p *driverProxy) addSubscription(channel string, streamID int32) (int64, error) {
	index, b, err := p.claim(cmdAddSubscription, subscriptionCommandLength(channel))
	if err != nil {
		return 0, err
	}
	correlationID := p.rb.NextCorrelationID()
	encodeAddSubscription(b, p.clientID, correlationID, streamID, channel)
	p.rb.Commit(index)
	return correlationID, nil
}

func (p *driverProxy) remove(typeID int32, registrationID int64) (int64, error) {
	index, b, err := p.claim(typeID, removeCommandLength)
	if err != nil {
		return 0, err
	}
	correlationID := p.rb.NextCorrelationID()
	encodeRemove(b, p.clientID, correlationID, registrationID)
	p.rb.Commit(index)
	return correlationID, nil
}

func (p *driverProxy) removeSubscription(registrationID int64) (int64, error) {
	return p.remove(cmdRemoveSubscription, registrationID)
}

func (p *driverProxy) removeCounter(registrationID int64) (int64, error) {
	return p.remove(cmdRemoveCounter, registrationID)
}

func (p *driverProxy) addCounter(typeID int32, key []byte, label string) (int64, error) {
	if len(key) > counters.MaxKeyLength {
		return 0, fmt.Errorf("%w: counter key is %d bytes, at most %d fit", ErrInvalidArgument, len(key), counters.MaxKeyLength)
	}
	if len(label) > counters.MaxLabelLength {
		return 0, fmt.Errorf("%w: counter label is %d bytes, at most %d fit", ErrInvalidArgument, len(label), counters.MaxLabelLength)
	}
	index, b, err := p.claim(cmdAddCounter, addCounterLength(len(key), len(label)))
	if err != nil {
		return 0, err
	}
	correlationID := p.rb.NextCorrelationID()
	encodeAddCounter(b, p.clientID, correlationID, typeID, key, label)
	p.rb.Commit(index)
	return correlationID, nil
}

// correlated sends a command that is only the {client id, correlation id}
// pair.
func (p *driverProxy) correlated(typeID int32, correlationID int64) error {
	index, b, err := p.claim(typeID, correlatedLength)
	if err != nil {
		return err
	}
	putCorrelated(b, p.clientID, correlationID)
	p.rb.Commit(index)
	return nil
}

// clientClose tells the driver to release everything this client holds;
// it carries no correlation id and gets no response.
func (p *driverProxy) clientClose() error { return p.correlated(cmdClientClose, nullValue) }

package logbuffer

import (
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tensorpool/tensorpool/transport"
)

// Several goroutines offer and claim on one log while a subscriber goroutine polls it, moves the
// publisher limit and cleans terms it has finished, like the driver does for an IPC publication.
// Every message must arrive exactly once, intact, and in each writer's order.
func TestConcurrentPublishersDeliverEveryMessageOnce(t *testing.T) {
	const (
		writers          = 4
		messagesPerWrite = 3000
		window           = testTermLength / 2
	)
	log := newTestLog(t, testLogConfig())
	log.SetIsConnected(true)
	limit := new(int64) // the driver's pub-lmt counter
	atomic.StoreInt64(limit, window)
	pub := NewConcurrentPublisher(log, limit)

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var claim transport.Claim
			msg := make([]byte, 0, 3*testMaxPayload)
			for seq := range messagesPerWrite {
				// Mostly small messages, some claims, and now and then a fragmented one.
				size := 8 + seq%200
				if seq%97 == 0 {
					size = 2*testMaxPayload + seq%500
				}
				msg = msg[:size]
				fillMessage(msg, w, seq)
				for {
					var result int64
					if seq%3 == 0 && size <= testMaxPayload {
						result = pub.TryClaim(size, &claim)
						if result > 0 {
							copy(claim.Buffer(), msg)
							claim.Commit()
						}
					} else {
						result = pub.Offer(msg)
					}
					if result > 0 {
						break
					}
					if result != transport.AdminAction && result != transport.BackPressured {
						t.Errorf("writer %d seq %d: result %d", w, seq, result)
						return
					}
					runtime.Gosched()
				}
			}
		}()
	}

	nextSeq := make([]int, writers)
	received := 0
	handler := func(msg []byte, _ *transport.Header) {
		w, seq, ok := checkMessage(msg)
		if !ok {
			t.Fatalf("corrupt message of %d bytes", len(msg))
		}
		if seq != nextSeq[w] {
			t.Fatalf("writer %d: got seq %d, want %d", w, seq, nextSeq[w])
		}
		nextSeq[w]++
		received++
	}
	reader := NewImageReader(log)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	subscriberPosition := new(int64) // the image's sub-pos counter
	for finished := false; ; {
		before := atomic.LoadInt64(subscriberPosition)
		reader.Poll(log, subscriberPosition, handler, 64)
		after := atomic.LoadInt64(subscriberPosition)
		if after != before {
			if after&(testTermLength-1) == 0 {
				clear(log.Term(IndexByPosition(before, 16)))
			}
			atomic.StoreInt64(limit, after+window)
			continue
		}
		if finished {
			break
		}
		select {
		case <-done:
			finished = true // one more pass drains what the last writers committed
		default:
			runtime.Gosched()
		}
	}
	if received != writers*messagesPerWrite {
		t.Errorf("received %d of %d messages", received, writers*messagesPerWrite)
	}
	if position := atomic.LoadInt64(subscriberPosition); position != pub.Position() {
		t.Errorf("subscriber at %d, publisher at %d", position, pub.Position())
	}
	if log.ActiveTermCount() < 3 {
		t.Errorf("only %d rotations; the test should wrap the partitions", log.ActiveTermCount())
	}
}

// fillMessage writes the writer and sequence, then a pattern derived from them.
func fillMessage(msg []byte, writer, seq int) {
	binary.LittleEndian.PutUint32(msg[0:], uint32(writer))
	binary.LittleEndian.PutUint32(msg[4:], uint32(seq))
	for i := 8; i < len(msg); i++ {
		msg[i] = byte(writer*31 + seq + i)
	}
}

func checkMessage(msg []byte) (writer, seq int, ok bool) {
	if len(msg) < 8 {
		return 0, 0, false
	}
	writer = int(binary.LittleEndian.Uint32(msg[0:]))
	seq = int(binary.LittleEndian.Uint32(msg[4:]))
	if writer < 0 || writer >= 4 {
		return 0, 0, false
	}
	for i := 8; i < len(msg); i++ {
		if msg[i] != byte(writer*31+seq+i) {
			return 0, 0, false
		}
	}
	return writer, seq, true
}

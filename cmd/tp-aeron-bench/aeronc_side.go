//go:build aeronc

package main

// static long long tp_bench_noop(long long x) { return x + 1; }
import "C"

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/tensorpool/tensorpool/aeronc"
	"github.com/tensorpool/tensorpool/transport"
)

func init() {
	extraSides = append(extraSides, extraSide{name: "aeronc", connect: func(dir string) (side, error) { return newAeroncSide(dir) }})
	cgoCallNs = measureCgoCall
}

// measureCgoCall times calls of an empty C function in a loop: the floor every aeronc
// publish pays once.
func measureCgoCall() float64 {
	const calls = 20_000_000
	var x C.longlong
	start := time.Now()
	for range calls {
		x = C.tp_bench_noop(x)
	}
	elapsed := time.Since(start)
	if x != calls {
		panic("tp_bench_noop miscounted")
	}
	return float64(elapsed.Nanoseconds()) / calls
}

// aeroncSide is the Go side's steps over package aeronc: the same harness, the C
// client's publication and subscription (its conductor on its own thread, as the Go
// client's conductor runs on its own goroutine).
type aeroncSide struct {
	client      *aeronc.Client
	throughputs map[int32]*aeroncThroughput
	pingPongs   map[int32]*aeroncPingPong
}

func newAeroncSide(dir string) (*aeroncSide, error) {
	c, err := aeronc.Connect(aeronc.Config{Dir: dir, ClientName: "tp-aeron-bench",
		ErrorHandler: func(err error) { fmt.Fprintln(os.Stderr, "tp-aeron-bench:", err) }})
	if err != nil {
		return nil, err
	}
	return &aeroncSide{client: c, throughputs: map[int32]*aeroncThroughput{}, pingPongs: map[int32]*aeroncPingPong{}}, nil
}

func (a *aeroncSide) close() error { return a.client.Close() }

// add awaits a resource of the C client, concrete so the benchmark's calls are direct.
func addC[T any](p transport.Pending[T], what string) (T, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := transport.Await(ctx, p)
	if err != nil {
		return v, fmt.Errorf("aeronc %s: %w", what, err)
	}
	return v, nil
}

func (a *aeroncSide) pair(stream int32) (*aeronc.Publication, *aeronc.Subscription, error) {
	sub, err := addC(a.client.AddSubscription(channel, stream), "add subscription")
	if err != nil {
		return nil, nil, err
	}
	pub, err := addC(a.client.AddPublication(channel, stream), "add publication")
	if err != nil {
		return nil, nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for !pub.IsConnected() || !sub.IsConnected() {
		if time.Now().After(deadline) {
			return nil, nil, errors.New("aeronc: not connected within 30s")
		}
		time.Sleep(time.Millisecond)
	}
	return pub.(*aeronc.Publication), sub.(*aeronc.Subscription), nil
}

type aeroncThroughput struct {
	sub   *aeronc.Subscription
	pub   *aeronc.Publication
	claim *paddedClaimC   // the publisher's
	rx    *aeroncReceiver // the subscriber's
}

type paddedClaimC struct {
	_     pad
	claim transport.Claim
	_     pad
}

type aeroncReceiver struct {
	_        pad
	stopped  bool // set by the publisher before it waits for the subscriber
	count    int64
	received int64
	sum      int64
	endNs    int64
	handler  transport.Handler
	_        pad
}

func (a *aeroncSide) throughput(stream int32, size, count int) (float64, error) {
	t := a.throughputs[stream]
	if t == nil {
		pub, sub, err := a.pair(stream)
		if err != nil {
			return 0, err
		}
		rx := &aeroncReceiver{}
		rx.handler = func(msg []byte, _ *transport.Header) {
			rx.sum += int64(binary.LittleEndian.Uint64(msg))
			rx.received++
		}
		t = &aeroncThroughput{sub: sub, pub: pub, claim: &paddedClaimC{}, rx: rx}
		a.throughputs[stream] = t
	}
	return t.round(size, int64(count))
}

func (t *aeroncThroughput) receive(done chan<- struct{}, stop <-chan struct{}) {
	rx := t.rx
	for rx.received < rx.count {
		if t.sub.Poll(rx.handler, fragmentLimit) == 0 {
			select {
			case <-stop:
				rx.endNs = nanoTime()
				close(done)
				return
			default:
			}
		}
	}
	rx.endNs = nanoTime()
	close(done)
}

func (t *aeroncThroughput) round(size int, count int64) (float64, error) {
	rx := t.rx
	rx.count, rx.received, rx.sum = count, 0, 0
	done, stop := make(chan struct{}), make(chan struct{})
	go t.receive(done, stop)
	claim := &t.claim.claim
	start := nanoTime()
	for i := int64(0); i < count; i++ {
		for {
			r := t.pub.TryClaim(size, claim)
			if r > 0 {
				break
			}
			if fatal(r) {
				close(stop)
				<-done
				return 0, fmt.Errorf("aeronc try-claim: %s", transport.ResultName(r))
			}
		}
		binary.LittleEndian.PutUint64(claim.Buffer(), uint64(i))
		claim.Commit()
	}
	<-done
	if rx.sum != count*(count-1)/2 {
		return 0, errors.New("aeronc: received the wrong messages")
	}
	return float64(count) * 1e9 / float64(rx.endNs-start), nil
}

type aeroncPingPong struct {
	pingSub, pongSub *aeronc.Subscription
	pingPub, pongPub *aeronc.Publication
	claim            transport.Claim // the pinger's
	pongClaim        *paddedClaimC   // the ponger's
	_                pad
	stop             chan struct{} // closed to end the ponger
	_                pad
	rtt              []int64
	n                int
	got              bool
	onPong, echo     transport.Handler
}

func (a *aeroncSide) pingPong(stream int32, size, count int) (float64, float64, error) {
	p := a.pingPongs[stream]
	if p == nil {
		var err error
		if p, err = a.newPingPong(stream); err != nil {
			return 0, 0, err
		}
		a.pingPongs[stream] = p
	}
	return p.round(size, count)
}

func (a *aeroncSide) newPingPong(stream int32) (*aeroncPingPong, error) {
	p := &aeroncPingPong{pongClaim: &paddedClaimC{}}
	var err error
	if p.pingPub, p.pingSub, err = a.pair(stream); err != nil {
		return nil, err
	}
	if p.pongPub, p.pongSub, err = a.pair(stream + 1); err != nil {
		return nil, err
	}
	p.onPong = func(msg []byte, _ *transport.Header) {
		p.rtt[p.n] = nanoTime() - int64(binary.LittleEndian.Uint64(msg))
		p.got = true
	}
	p.echo = func(msg []byte, _ *transport.Header) {
		claim := &p.pongClaim.claim
		for {
			r := p.pongPub.TryClaim(len(msg), claim)
			if r > 0 {
				break
			}
			if fatal(r) {
				return // the pinger notices its own closed publication
			}
		}
		copy(claim.Buffer(), msg)
		claim.Commit()
	}
	return p, nil
}

func (p *aeroncPingPong) pong(done chan<- struct{}) {
	defer close(done)
	for {
		if p.pingSub.Poll(p.echo, fragmentLimit) == 0 {
			select {
			case <-p.stop:
				return
			default:
			}
		}
	}
}

func (p *aeroncPingPong) round(size, count int) (p50, p99 float64, err error) {
	if len(p.rtt) != count {
		p.rtt = make([]int64, count)
	}
	p.stop = make(chan struct{})
	pongDone := make(chan struct{})
	go p.pong(pongDone)
	idle := 0
	for p.n = 0; p.n < count && err == nil; p.n++ {
		for {
			r := p.pingPub.TryClaim(size, &p.claim)
			if r > 0 {
				break
			}
			if fatal(r) {
				err = fmt.Errorf("aeronc ping try-claim: %s", transport.ResultName(r))
				break
			}
		}
		if err != nil {
			break
		}
		binary.LittleEndian.PutUint64(p.claim.Buffer(), uint64(nanoTime()))
		p.claim.Commit()
		p.got = false
		for !p.got {
			if p.pongSub.Poll(p.onPong, 1) == 0 {
				if idle++; idle&(1<<24-1) == 0 && p.pingPub.Position() == transport.Closed {
					err = errors.New("aeronc ping: the client closed (driver gone?)")
					break
				}
			}
		}
	}
	close(p.stop)
	<-pongDone
	if err != nil {
		return 0, 0, err
	}
	slices.Sort(p.rtt)
	return float64(p.rtt[count/2]), float64(p.rtt[int(float64(count)*0.99)]), nil
}

package tp_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/tp/local"
)

// A producer and a consumer of one stream, with the media driver and the SHM driver
// started inside this process.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	base, err := os.MkdirTemp("", "tp-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)

	// Stream 1: 64 slots, payloads up to 64 KiB.
	cfg, err := config.Local(base, 9000, config.StreamSpec{StreamID: 1, Slots: 64, Strides: []uint32{64 << 10}})
	if err != nil {
		log.Fatal(err)
	}
	stack, err := local.Start(ctx, local.Config{Driver: cfg})
	if err != nil {
		log.Fatal(err)
	}
	defer stack.Close()
	opts := stack.Options()
	opts.DescriptorStreamID = 9001
	client, err := tp.Connect(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	got := 0
	consumer, err := client.NewConsumer(ctx, 1, func(f *tp.Frame) {
		got++
		fmt.Printf("frame %d: %v %v, first byte %d\n", f.Seq(), f.DType(), f.Dims(), f.Payload()[0])
	})
	if err != nil {
		log.Fatal(err)
	}
	defer consumer.Close()
	producer, err := client.NewProducer(ctx, 1)
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()

	image := make([]byte, 480*64)
	for i := range 3 {
		image[0] = byte(i)
		frame := tp.Tensor{Shape: tp.Shape{DType: tp.Uint8, Dims: []int32{480, 64}}, Data: image}
		// The first offers may find the descriptor publication not added yet, no
		// consumer image yet, or the stream's publisher limit not yet raised for the
		// new consumer: ErrBusy, retry.
		for err := producer.Offer(frame); err != nil; err = producer.Offer(frame) {
			if !errors.Is(err, tp.ErrBusy) || ctx.Err() != nil {
				log.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
	}
	for got < 3 && ctx.Err() == nil {
		consumer.Poll(10)
	}
	// Output:
	// frame 0: UINT8 [480 64], first byte 0
	// frame 1: UINT8 [480 64], first byte 1
	// frame 2: UINT8 [480 64], first byte 2
}

// Writing a frame in place: Claim a payload slot, fill it, Commit it with its shape.
func ExampleProducer_Claim() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	base, err := os.MkdirTemp("", "tp-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	cfg, err := config.Local(base, 9010, config.StreamSpec{StreamID: 2, Slots: 16, Strides: []uint32{4096}})
	if err != nil {
		log.Fatal(err)
	}
	stack, err := local.Start(ctx, local.Config{Driver: cfg})
	if err != nil {
		log.Fatal(err)
	}
	defer stack.Close()
	opts := stack.Options()
	opts.DescriptorStreamID = 9011
	client, err := tp.Connect(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	got := false
	consumer, err := client.NewConsumer(ctx, 2, func(f *tp.Frame) {
		got = true
		fmt.Println(f.DType(), f.Dims(), f.Strides(), len(f.Payload()), "bytes")
	})
	if err != nil {
		log.Fatal(err)
	}
	defer consumer.Close()
	producer, err := client.NewProducer(ctx, 2)
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()

	for ctx.Err() == nil {
		claim, err := producer.Claim(4 * 4 * 4)
		if errors.Is(err, tp.ErrBusy) {
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		for i := range claim.Payload() {
			claim.Payload()[i] = byte(i)
		}
		if err = claim.Commit(tp.Shape{DType: tp.Float32, Dims: []int32{4, 4}}); err == nil {
			break
		} else if !errors.Is(err, tp.ErrBusy) {
			log.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	for !got && ctx.Err() == nil {
		consumer.Poll(10)
	}
	// Output:
	// FLOAT32 [4 4] [16 4] 64 bytes
}

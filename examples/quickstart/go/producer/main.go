// Command producer publishes a 480x640 8-bit image on tensorpool stream 1, ten
// frames a second, until Ctrl-C. It attaches to the tp-driver that runs with the
// media driver in $AERON_DIR (default /dev/shm/aeron-$USER).
package main

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tensorpool/tensorpool/tp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	attach, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()

	// Zero Options reach tp-driver's defaults; the logger shows the lease's events.
	client, err := tp.Connect(attach, tp.Options{Logger: slog.Default()})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	producer, err := client.NewProducer(attach, 1)
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()

	image := make([]byte, 480*640)
	frame := tp.Tensor{Shape: tp.Shape{DType: tp.Uint8, Dims: []int32{480, 640}}, Data: image}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	waiting := false
	for sent := 0; ; {
		select {
		case <-ctx.Done():
			log.Printf("sent %d frames", sent)
			return
		case <-tick.C:
		}
		image[0] = byte(sent)
		switch err := producer.Offer(frame); {
		case err == nil:
			sent++
			waiting = false
			if sent%10 == 0 {
				log.Printf("sent %d frames", sent)
			}
		case errors.Is(err, tp.ErrNoSubscriber):
			if !waiting {
				log.Print("waiting for a consumer; frames are dropped meanwhile")
				waiting = true
			}
		case errors.Is(err, tp.ErrBusy):
			// A moment of setting up or reattaching, or a slow consumer: this frame is dropped.
		default:
			log.Fatal(err)
		}
	}
}

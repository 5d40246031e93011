// Command consumer prints every frame of tensorpool stream 1 until Ctrl-C. It
// attaches to the tp-driver that runs with the media driver in $AERON_DIR
// (default /dev/shm/aeron-$USER).
package main

import (
	"context"
	"fmt"
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
	consumer, err := client.NewConsumer(attach, 1, func(f *tp.Frame) {
		// The frame's memory is the producer's SHM: use it here, or copy it.
		fmt.Printf("frame %d: %v %v, first byte %d\n", f.Seq(), f.DType(), f.Dims(), f.Payload()[0])
	})
	if err != nil {
		log.Fatal(err)
	}
	defer consumer.Close()

	for ctx.Err() == nil {
		if consumer.Poll(10) == 0 {
			if err := consumer.Err(); err != nil {
				log.Print(err)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

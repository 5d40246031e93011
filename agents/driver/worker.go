package driver

import (
	"time"

	"github.com/tensorpool/tensorpool/config"
)

// workerQueue bounds the jobs waiting for the provisioning worker: past it a
// provisioning fails at once rather than blocking the duty cycle.
const workerQueue = 4096

// worker runs the provisioner's file work on a goroutine of its own:
// creating, sizing, prefaulting and locking an epoch's files and collecting
// old epochs. A large profile takes seconds to provision; meanwhile the
// duty cycle keeps answering keepalives, detaches and other attaches. Jobs
// run one at a time, in submission order. The duty cycle submits jobs and
// polls results; a job and its result pass ownership of their contents
// through the channels.
type worker struct {
	prov    *Provisioner
	jobs    chan job
	results chan jobResult
}

// job provisions epoch of streamID with profile, or with remove set deletes
// that epoch's directory.
type job struct {
	streamID uint32
	epoch    uint64
	profile  config.Profile
	nowNs    uint64
	remove   bool
}

// jobResult is a finished job: a provisioning's epoch (nil when it failed)
// and error (with an epoch: an incomplete epoch GC), and how long it took.
type jobResult struct {
	job      job
	prepared *PreparedEpoch
	err      error
	took     time.Duration
}

func startWorker(prov *Provisioner) *worker {
	w := &worker{prov: prov, jobs: make(chan job, workerQueue), results: make(chan jobResult, workerQueue)}
	go w.run()
	return w
}

func (w *worker) run() {
	defer close(w.results)
	for j := range w.jobs {
		start := time.Now()
		r := jobResult{job: j}
		if j.remove {
			r.err = w.prov.RemoveEpoch(j.streamID, j.epoch)
		} else {
			r.prepared, r.err = w.prov.Provision(j.streamID, j.epoch, j.profile, j.nowNs)
		}
		r.took = time.Since(start)
		w.results <- r
	}
}

// submit queues a job; false means the queue is full.
func (w *worker) submit(j job) bool {
	select {
	case w.jobs <- j:
		return true
	default:
		return false
	}
}

// poll returns a finished job's result, if one is waiting. It does not block
// or allocate.
func (w *worker) poll() (jobResult, bool) {
	select {
	case r, ok := <-w.results:
		return r, ok
	default:
		return jobResult{}, false
	}
}

// stop cancels a provisioning under way, lets the queued jobs end and waits
// for the worker, releasing every epoch it prepared that nobody installed.
func (w *worker) stop() {
	w.prov.Cancel()
	close(w.jobs)
	for r := range w.results {
		if r.prepared != nil {
			w.prov.Discard(r.prepared)
		}
	}
}

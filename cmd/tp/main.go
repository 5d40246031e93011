// Command tp operates a tensorpool installation from the shell: it checks driver
// configurations, inspects SHM regions, runs the Aeron media driver and the roles (tp run
// driver, supervisor, discovery, registry), watches a running system (list, tap, hz, bw,
// stat) and says which versions it speaks. `tp --help` and `tp COMMAND --help` describe
// each command.
//
// Exit status: 0 on success, 1 on a runtime failure, 2 on a usage or configuration
// error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}

// exitError ends the command with a status other than the failure default. A nil err
// means the command already reported what went wrong.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError is a bad command line or configuration: exit status 2.
func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

// failure is a runtime failure: exit status 1.
func failure(err error) error { return &exitError{code: exitFailure, err: err} }

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "tp",
		Short: "tp operates tensorpool: check configurations, inspect SHM regions, run the media driver and the roles, watch a running system",
		Long: `tp operates a tensorpool installation: it checks SHM driver configurations,
inspects SHM regions without touching them, runs the Aeron media driver the
SHM driver and its clients share, and says which versions it speaks.

The SHM driver itself is tp-driver; tp run runs it, and the supervisor and the
discovery services, as roles.

list, tap, hz, bw and stat watch a running system without taking part in it:
what runs, every control message decoded, a stream's frame rate and
bandwidth, and the counters of the media driver, tp-driver and the clients.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.AddCommand(
		newVersionCommand(),
		newCheckCommand(),
		newInspectCommand(),
		newMediaDriverCommand(),
		newRunCommand(),
		newListCommand(),
		newTapCommand(),
		newStatCommand(),
		newHzCommand(),
		newBwCommand(),
	)
	return root
}

// execute runs tp with args and returns its exit status.
func execute(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		// cobra's own: an unknown command or a wrong number of arguments.
		ee = &exitError{code: exitUsage, err: err}
	}
	if ee.err != nil {
		fmt.Fprintln(stderr, "tp:", ee.err)
		if ee.code == exitUsage && !errors.As(ee.err, new(*configError)) {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return ee.code
}

// Package cli is blueprint's command line: the only package that imports
// cobra. Each command lives in a file named after its verb and is wiring
// only: it fills an options struct from flags, rejects bad flag combinations
// by name, and calls into a plain package (config, cdkapp, platform) to do
// the work. Errors are mapped to exit codes in one place (ExitCode).
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sqletl/blueprint/internal/cdkapp"
	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/ui"
)

// Main runs blueprint with the process's arguments and streams and returns
// the exit code; cmd/blueprint passes it to os.Exit.
func Main() int {
	// The first Ctrl-C cancels the context so steps can stop cleanly; a
	// second one kills the process (signal.NotifyContext stops catching).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The CDK's node child and its temporary directory go with the command.
	defer cdkapp.Close()
	return run(ctx, ui.System(), os.Args[1:])
}

// run executes one command line against the given streams.
func run(ctx context.Context, ios *ui.IOStreams, args []string) int {
	return Run(ctx, NewFactory(ios), args)
}

// Run executes one command line with f's providers and returns the exit
// code. End-to-end tests call it in-process with a Factory whose AWS
// transport they wrap (fault injection); everything else is the real thing.
func Run(ctx context.Context, f *Factory, args []string) int {
	ios := f.IOStreams
	root := newCmdRoot(f)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		printError(ios, cmd.CommandPath(), err)
	}
	return ExitCode(err)
}

// printError is the one place errors reach the user.
func printError(ios *ui.IOStreams, commandPath string, err error) {
	cs := ios.ColorScheme()
	switch {
	case isCancelled(err) && errors.Is(err, platform.ErrAborted):
		fmt.Fprintln(ios.ErrOut, cs.Yellow("Cancelled: nothing was deleted."))
	case isCancelled(err):
		fmt.Fprintln(ios.ErrOut, cs.Yellow("Cancelled."))
	default:
		fmt.Fprintf(ios.ErrOut, "%s %v\n", cs.Red("Error:"), err)
	}
	var usage *UsageError
	if errors.As(err, &usage) {
		fmt.Fprintf(ios.ErrOut, "Run '%s --help' for usage.\n", commandPath)
	}
}

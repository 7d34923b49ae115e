package ui

import (
	"fmt"
	"io"
	"time"
)

// Progress writes one line per event of a long operation to stderr:
//
//	→ Synthesizing into cdk.out
//	✓ Synthesized 4 stacks
//	! Spot capacity is off
//	✗ Deploying stack "blueprint-network"
//
// Lines are plain text apart from optional colour, so logs of CI runs read
// the same as a terminal.
type Progress struct {
	w       io.Writer
	cs      ColorScheme
	verbose bool
}

// Progress returns the progress writer for these streams.
func (s *IOStreams) Progress() *Progress {
	return &Progress{w: s.ErrOut, cs: s.ColorScheme(), verbose: s.verbose}
}

// Start announces a step that is about to run.
func (p *Progress) Start(format string, args ...any) { p.line(p.cs.Dim("→"), format, args) }

// Done reports a step that finished.
func (p *Progress) Done(format string, args ...any) { p.line(p.cs.Green("✓"), format, args) }

// Warn reports something the user should know that did not stop the command.
func (p *Progress) Warn(format string, args ...any) { p.line(p.cs.Yellow("!"), format, args) }

// Fail reports a step that failed. The error itself is returned, not printed here.
func (p *Progress) Fail(format string, args ...any) { p.line(p.cs.Red("✗"), format, args) }

// Info writes a plain line: hints and next steps.
func (p *Progress) Info(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}

// Detail writes an indented line, only with --verbose.
func (p *Progress) Detail(format string, args ...any) {
	if p.verbose {
		fmt.Fprintf(p.w, "  %s\n", p.cs.Dim(fmt.Sprintf(format, args...)))
	}
}

func (p *Progress) line(mark, format string, args []any) {
	fmt.Fprintf(p.w, "%s %s\n", mark, fmt.Sprintf(format, args...))
}

// Bytes formats a size for people: 812 B, 31.2 KiB, 4.0 MiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Duration formats an elapsed time for people: 850ms, 12.3s, 4m05s.
func Duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	default:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
}

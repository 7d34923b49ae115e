// Package ui is blueprint's terminal edge: the process's standard streams,
// whether they are terminals, colour, and the progress lines commands write
// to stderr. Results go to stdout, everything else to stderr. Library
// packages never print; commands hand their output to this package.
package ui

import (
	"bytes"
	"encoding/json"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the standard streams of one command invocation.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer // results: what a script would capture
	ErrOut io.Writer // progress, warnings and errors

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	color     bool // colour on stderr
	verbose   bool
}

// System returns the process's streams, with terminal detection and the
// colour decision made from the environment (NO_COLOR, TERM=dumb).
func System() *IOStreams {
	s := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	}
	s.color = ColorWanted(s.stderrTTY, os.Getenv)
	return s
}

// Test returns streams backed by buffers: no terminal, no colour.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// ColorWanted decides colour for a stream: only on a terminal, never when
// NO_COLOR is set to anything (https://no-color.org) or TERM is "dumb".
func ColorWanted(terminal bool, getenv func(string) string) bool {
	return terminal && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// IsStdinTTY, IsStdoutTTY and IsStderrTTY report whether each stream is a terminal.
func (s *IOStreams) IsStdinTTY() bool  { return s.stdinTTY }
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetTTY sets what the streams claim to be, for tests.
func (s *IOStreams) SetTTY(stdin, stdout, stderr bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = stdin, stdout, stderr
}

// CanPrompt reports whether a question can be asked and answered.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stderrTTY }

// ColorEnabled reports whether stderr output is coloured. Stdout never is:
// it is for results, which end up in files and pipes.
func (s *IOStreams) ColorEnabled() bool { return s.color }

// SetColorEnabled overrides the colour decision (--no-color turns it off).
func (s *IOStreams) SetColorEnabled(on bool) { s.color = on }

// Verbose reports whether detail lines are shown (--verbose).
func (s *IOStreams) Verbose() bool { return s.verbose }

// SetVerbose turns detail lines on or off.
func (s *IOStreams) SetVerbose(on bool) { s.verbose = on }

// ColorScheme colours text for stderr.
func (s *IOStreams) ColorScheme() ColorScheme { return ColorScheme{enabled: s.color} }

// WriteJSON writes v to stdout as indented JSON: the --output json form.
func (s *IOStreams) WriteJSON(v any) error {
	enc := json.NewEncoder(s.Out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

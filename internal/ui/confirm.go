package ui

import (
	"bufio"
	"fmt"
	"strings"
)

// Confirm asks a yes/no question on stderr and reads the answer from
// stdin; only "y" or "yes" is a yes. Callers check CanPrompt first.
func (s *IOStreams) Confirm(question string) (bool, error) {
	fmt.Fprintf(s.ErrOut, "%s [y/N] ", question)
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && line == "" {
		return false, fmt.Errorf("reading the answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// starterYAML is what `blueprint init` writes. Its values are the defaults;
// starter_test.go holds it to that.
//
//go:embed starter.yaml
var starterYAML []byte

// Starter returns a commented blueprint.yaml documenting every field, set to
// its default.
func Starter() []byte {
	return append([]byte(nil), starterYAML...)
}

// WriteStarter writes Starter() to path. An existing file is left alone
// unless force is set.
func WriteStarter(path string, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if !force {
		flags |= os.O_EXCL // refuse atomically, even if the file appears meanwhile
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return existsError{path}
		}
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("writing %s: directory %s does not exist; create it first", path, filepath.Dir(path))
		}
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.Write(starterYAML); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// existsError is fs.ErrExist with the fix in the message.
type existsError struct{ path string }

func (e existsError) Error() string {
	return e.path + " already exists; pass --force to overwrite it"
}

func (e existsError) Unwrap() error { return fs.ErrExist }

package stacks_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The workflow's header, its body and docs/ci.md name the same repository
// variables.
func TestCIVariablesAgree(t *testing.T) {
	wf, err := os.ReadFile("../.github/workflows/deploy.yml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/ci.md")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`vars\.([A-Z_]+)`).FindAllStringSubmatch(string(wf), -1) {
		used[m[1]] = true
	}
	var header []string
	for _, line := range strings.Split(string(wf), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		if m := regexp.MustCompile(`^#\s+(AWS_[A-Z_]+)\s`).FindStringSubmatch(line); m != nil {
			header = append(header, m[1])
		}
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, m[1])
	}
	var usedList []string
	for v := range used {
		usedList = append(usedList, v)
	}
	slices.Sort(usedList)
	slices.Sort(header)
	slices.Sort(documented)
	if !slices.Equal(usedList, header) || !slices.Equal(usedList, documented) {
		t.Errorf("variables: workflow uses %v, its header lists %v, docs/ci.md lists %v", usedList, header, documented)
	}
}

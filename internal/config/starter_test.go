package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The starter's values must be the defaults, or its comments would lie.
func TestStarterIsTheDefaults(t *testing.T) {
	got, err := Parse(Starter())
	if err != nil {
		t.Fatalf("starter does not parse: %v", err)
	}
	want, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("starter differs from the defaults:\n starter  %+v\n defaults %+v", got, want)
	}
}

// commentedSetting matches a commented-out setting ("# key: value"), as
// opposed to prose, which starts with a capital letter.
var commentedSetting = regexp.MustCompile(`^(\s*)# ([a-z][A-Za-z0-9]*:(\s.*)?)$`)

func uncomment(starter []byte) []byte {
	lines := strings.Split(string(starter), "\n")
	for i, l := range lines {
		if m := commentedSetting.FindStringSubmatch(l); m != nil {
			lines[i] = m[1] + m[2]
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

// The commented-out settings are valid too, and those that show a derived
// default (zones, Glue database, onDemand.enabled) show the right one.
func TestStarterCommentedSettings(t *testing.T) {
	text := uncomment(Starter())
	if string(text) == string(Starter()) {
		t.Fatal("found no commented-out settings")
	}
	got, err := Parse(text)
	if err != nil {
		t.Fatalf("starter with every setting uncommented does not parse: %v\n%s", err, text)
	}
	// These are examples, not defaults.
	if got.Account == "" || len(got.Tags) == 0 || got.Cluster.AdminRoleArn == "" || got.DataLake.ExistingBucket == "" {
		t.Errorf("an example setting was not picked up: %+v", got)
	}
	got.Account, got.Tags, got.Cluster.AdminRoleArn, got.DataLake.ExistingBucket = "", nil, "", ""

	want, _ := Parse(nil)
	// The zones written out are the placeholders up replaces; written out,
	// they are the user's choice (and up checks them).
	want = want.WithZones(want.Network.AvailabilityZones)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("a commented-out default is wrong:\n uncommented %+v\n defaults    %+v", got, want)
	}
}

// Every field of Config appears in the starter, set or commented out.
func TestStarterDocumentsEveryField(t *testing.T) {
	text := uncomment(Starter())
	var doc map[string]any
	if err := yaml.Unmarshal(text, &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range fieldPaths(reflect.TypeFor[Config](), "") {
		if !hasPath(doc, strings.Split(path, ".")) {
			t.Errorf("field %s is not documented in internal/config/starter.yaml; add it with its default", path)
		}
	}
}

// Lists the comments name must match the code.
func TestStarterProseMatchesCode(t *testing.T) {
	text := string(Starter())
	for _, v := range SupportedKubernetesVersions {
		if !strings.Contains(text, v) {
			t.Errorf("starter does not mention supported version %s", v)
		}
	}
	for _, e := range KnownInterfaceEndpoints {
		if !strings.Contains(text, e) {
			t.Errorf("starter does not mention interface endpoint %s", e)
		}
	}
	if !strings.Contains(text, "10485760") {
		t.Error("starter does not state Athena's minimum cutoff")
	}
}

func fieldPaths(t reflect.Type, prefix string) []string {
	var paths []string
	for name, ft := range yamlFields(t) {
		path := join(prefix, name)
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.NumField() > 0 {
			paths = append(paths, fieldPaths(ft, path)...)
		} else if ft.Kind() != reflect.Struct {
			paths = append(paths, path)
		}
	}
	return paths
}

func hasPath(doc map[string]any, path []string) bool {
	v, ok := doc[path[0]]
	if !ok {
		return false
	}
	if len(path) == 1 {
		return true
	}
	m, ok := v.(map[string]any)
	return ok && hasPath(m, path[1:])
}

func TestStarterReturnsACopy(t *testing.T) {
	s := Starter()
	s[0] = 'X'
	if Starter()[0] == 'X' {
		t.Error("Starter exposes the embedded bytes")
	}
}

func TestWriteStarter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "blueprint.yaml")

	if err := WriteStarter(path, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(Starter()) {
		t.Error("written file is not the starter")
	}
	if _, err := Load(path, true); err != nil {
		t.Errorf("written starter does not load: %v", err)
	}

	if err := os.WriteFile(path, []byte("name: mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteStarter(path, false)
	if err == nil || !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "pass --force") {
		t.Errorf("want an exists error telling to pass --force, got %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "name: mine\n" {
		t.Error("existing file was changed without force")
	}

	if err := WriteStarter(path, true); err != nil {
		t.Fatalf("forced: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(Starter()) {
		t.Error("forced write did not replace the file")
	}

	err = WriteStarter(filepath.Join(dir, "missing", "blueprint.yaml"), false)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("want a missing-directory error, got %v", err)
	}
}

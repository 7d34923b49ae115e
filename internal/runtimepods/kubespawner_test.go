package runtimepods

import (
	"strings"
	"testing"
)

// Cases from KubeSpawner 7.0.0's own tests/test_slugs.py (test_safe_slug
// and test_safe_slug_label).
func TestSafeSlug(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"jupyter-alex", "jupyter-alex"},
		{"jupyter-Alex", "jupyter-alex---3a1c285c"},
		{"jupyter-üni", "jupyter-ni---a5aaf5dd"},
		{"endswith-", "endswith---165f1166"},
		{"user@email.com", "user-email-com---0925f997"},
		{"has.dot", "has-dot---03e27fdf"},
		{"z9", "z9"},
		{"9z9", "x-9z9---224de202"},
		{"-start", "start---f587e2dc"},
		{"username--servername", "username-servername---d957f1de"},
		{"start---f587e2dc", "start-f587e2dc---cc5bb9c9"},
		{strings.Repeat("x", 63), strings.Repeat("x", 63)},
		{strings.Repeat("x", 64), "xxxxxxxxxxxxxxxxxxxxx---7ce10097"},
		{"", "x---e3b0c442"},
	} {
		if got := safeSlug(tc.name, isValidObjectName, 0); got != tc.want {
			t.Errorf("safe_slug(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct{ name, want string }{
		{"", ""},
		{"9a", "9a"},
		{"9.", "x-9---99a1b84b"},
		{"AbC", "AbC"},
		{"AbC.", "abc---dbe8c5d1"},
		{"ab.c", "ab.c"},
		{"a@b.c", "a-b-c---d648b243"},
		{"-x", "x---a4209624"},
		{"x-", "x---c8b60efc"},
	} {
		if got := safeSlug(tc.name, isValidLabel, 0); got != tc.want {
			t.Errorf("safe_slug(%q, is_valid_label) = %q, want %q", tc.name, got, tc.want)
		}
	}
	// test_safe_slug_max_length
	if got := safeSlug(strings.Repeat("x", 17), isValidObjectName, 16); got != "xxxxx---d04fd59f" {
		t.Errorf("max_length 16: %q", got)
	}
}

// _expand_user_properties for a default server under the "safe" scheme:
// a name that is not a valid object name is hashed (safe_slug).
func TestExpand(t *testing.T) {
	s := &spawner{namespace: "jupyter", username: "Etl.Admin"}
	for _, tc := range []struct{ template, want string }{
		{"jupyter-{user_server}", "jupyter-" + safeSlug("Etl.Admin", isValidObjectName, 48)},
		{"claim-{username}--{servername}", "claim-" + safeSlug("Etl.Admin", isValidObjectName, 48)},
		{"{unescaped_username}", "Etl.Admin"},
		{"ns-{hubnamespace}", "ns-jupyter"},
	} {
		got, err := s.expand(tc.template)
		if err != nil || got != tc.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tc.template, got, err, tc.want)
		}
	}
	if _, err := s.expand("{nope}"); err == nil {
		t.Error("unknown template field accepted")
	}
}

// KubeSpawner._apply_overrides: dicts merge (None deletes), others replace.
func TestApplyOverrides(t *testing.T) {
	traits := map[string]any{
		"node_selector": map[string]any{"lifecycle": "OnDemand", "zone": "a"},
		"cpu_limit":     1.0,
		"tolerations":   []any{"x"},
	}
	applyOverrides(traits, map[string]any{
		"node_selector": map[string]any{"zone": nil, "disk": "ssd"},
		"cpu_limit":     2.0,
		"tolerations":   []any{},
	})
	ns := traits["node_selector"].(map[string]any)
	if len(ns) != 2 || ns["lifecycle"] != "OnDemand" || ns["disk"] != "ssd" {
		t.Errorf("node_selector %v", ns)
	}
	if traits["cpu_limit"] != 2.0 || len(traits["tolerations"].([]any)) != 0 {
		t.Errorf("traits %v", traits)
	}
}

// make_pod's env ordering: variables whose $(REFS) are resolved come
// first, each round sorted by key.
func TestEnvOrder(t *testing.T) {
	s := &spawner{namespace: "jupyter", username: "u", t: map[string]any{
		"image": "img",
		"environment": map[string]any{
			"B":   "$(A)/b",
			"A":   "a",
			"C":   "$(B)/c",
			"REF": map[string]any{"valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "status.podIP"}}},
		},
	}}
	env, err := s.env()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range env {
		names = append(names, e.Name)
	}
	if got := strings.Join(names, ","); got != "A,JUPYTER_IMAGE,JUPYTER_IMAGE_SPEC,REF,B,C" {
		t.Errorf("env order %s", got)
	}
}

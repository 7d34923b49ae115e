package main

import (
	"regexp"
	"strings"
)

// document is one YAML document of a file with the 1-based line it starts on.
type document struct {
	index int // 1-based position in the file
	line  int
	text  string
}

// docSeparator matches a YAML document start marker line ("---", optionally
// followed by a comment or inline content is not supported by Kubernetes tools
// either, so only whitespace or a comment may follow).
var docSeparator = regexp.MustCompile(`^---\s*(#.*)?$`)

// splitDocuments splits a multi-document YAML stream on "---" lines. Unlike
// Argo's own splitter (a regexp on "\n---") it keeps line numbers so problems
// can point at the document.
func splitDocuments(data string) []document {
	data = strings.TrimPrefix(data, "\ufeff")
	data = strings.ReplaceAll(data, "\r\n", "\n")
	var (
		docs  []document
		cur   strings.Builder
		start = 1
	)
	flush := func() {
		text := cur.String()
		cur.Reset()
		if isBlankYAML(text) {
			return
		}
		docs = append(docs, document{index: len(docs) + 1, line: start, text: text})
	}
	lines := strings.Split(data, "\n")
	for i, l := range lines {
		if docSeparator.MatchString(l) {
			flush()
			start = i + 2
			continue
		}
		if l == "..." { // YAML document end marker
			continue
		}
		cur.WriteString(l)
		cur.WriteByte('\n')
	}
	flush()
	return docs
}

// isBlankYAML reports whether text holds only whitespace and comments.
func isBlankYAML(text string) bool {
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// helmAction matches Go-template actions that only Helm (never Argo) uses:
// trim markers, actions on ".", control words, comments, and the backtick
// escapes charts use to pass Argo's own {{...}} through Helm.
var helmAction = regexp.MustCompile("\\{\\{-|-\\}\\}|\\{\\{\\s*(\\.|\\$|/\\*|`|\"|(include|template|if|else|range|with|end|define|toYaml|tpl|required|default|quote|printf)\\b)")

// helmMarker returns the first Helm-only template action in text, or "".
func helmMarker(text string) string {
	loc := helmAction.FindStringIndex(text)
	if loc == nil {
		return ""
	}
	end := strings.Index(text[loc[0]:], "}}")
	if end < 0 || end > 60 {
		return text[loc[0]:loc[1]]
	}
	return text[loc[0] : loc[0]+end+2]
}

// lineOf returns the 1-based line within text of byte offset off.
func lineOf(text string, off int) int { return strings.Count(text[:off], "\n") + 1 }

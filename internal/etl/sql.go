package etl

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// placeholderRE is Arc's SQL parameter placeholder (SQLUtils.injectParameters):
// ${name} or ${name=default}; every one needs a sqlParams entry.
var placeholderRE = regexp.MustCompile(`\$\{\s*(\w*)\s*(?:=[^}]+)?\}`)

// sqlProblem is one problem found in SQL text.
type sqlProblem struct{ msg, fix string }

// checkSQLText checks that SQL is not empty and that its quotes and
// parentheses balance, ignoring -- and /* */ comments.
func checkSQLText(sql string) []sqlProblem {
	if strings.TrimSpace(stripSQLComments(sql)) == "" {
		return []sqlProblem{{"SQL is empty", "write the statement, or remove the stage or file"}}
	}
	var out []sqlProblem
	depth, line := 0, 1
	openLines := []int{}
	rs := []rune(sql)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\n':
			line++
		case r == '-' && i+1 < len(rs) && rs[i+1] == '-':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
			i-- // let the newline be counted
		case r == '/' && i+1 < len(rs) && rs[i+1] == '*':
			start := line
			i += 2
			for i < len(rs) && !(rs[i] == '*' && i+1 < len(rs) && rs[i+1] == '/') {
				if rs[i] == '\n' {
					line++
				}
				i++
			}
			if i >= len(rs) {
				return append(out, sqlProblem{fmt.Sprintf("comment /* opened on line %d is never closed", start), "add the closing */"})
			}
			i++
		case r == '\'' || r == '"' || r == '`':
			start := line
			i++
			for i < len(rs) && rs[i] != r {
				if rs[i] == '\\' && r != '`' {
					i++
				} else if rs[i] == '\n' {
					line++
				}
				i++
			}
			if i >= len(rs) {
				kind := map[rune]string{'\'': "single quote", '"': "double quote", '`': "backtick"}[r]
				return append(out, sqlProblem{fmt.Sprintf("unterminated %s (%c) opened on line %d", kind, r, start),
					fmt.Sprintf("close the string with %c, or escape a literal one", r)})
			}
		case r == '(':
			depth++
			openLines = append(openLines, line)
		case r == ')':
			if depth == 0 {
				out = append(out, sqlProblem{fmt.Sprintf("unbalanced parentheses: ')' on line %d has no matching '('", line), "remove the extra ')' or add the missing '('"})
				continue
			}
			depth--
			openLines = openLines[:len(openLines)-1]
		}
	}
	if depth > 0 {
		out = append(out, sqlProblem{fmt.Sprintf("unbalanced parentheses: '(' on line %d is never closed", openLines[len(openLines)-1]), "add the missing ')'"})
	}
	return out
}

func stripSQLComments(sql string) string {
	re := regexp.MustCompile(`(?s)--[^\n]*|/\*.*?\*/`)
	return re.ReplaceAllString(sql, "")
}

// checkSQLParams applies Arc's rule for sqlParams: every ${name} in the SQL
// needs a sqlParams entry, and every sqlParams entry needs a ${name} (Arc
// fails with "No placeholder found for parameter").
func checkSQLParams(sql string, params map[string]bool) []sqlProblem {
	var out []sqlProblem
	used := map[string]bool{}
	var missing []string
	for _, m := range placeholderRE.FindAllStringSubmatch(sql, -1) {
		name := m[1]
		used[name] = true
		if !params[name] && !slicesContains(missing, name) {
			missing = append(missing, name)
		}
	}
	for _, name := range missing {
		out = append(out, sqlProblem{
			fmt.Sprintf("SQL uses ${%s} but the stage has no sqlParams entry %q", name, name),
			fmt.Sprintf("add %s to sqlParams (Arc replaces ${...} in SQL only from sqlParams)", name)})
	}
	var unused []string
	for name := range params {
		if !used[name] {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	for _, name := range unused {
		out = append(out, sqlProblem{
			fmt.Sprintf("sqlParams entry %q is not used in the SQL (Arc fails: no placeholder found for parameter)", name),
			fmt.Sprintf("use ${%s} in the SQL or remove it from sqlParams", name)})
	}
	return out
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// selectColumns returns the output column names of the last top-level
// SELECT in sql: the alias after AS, or the trailing identifier.
func selectColumns(sql string) []string {
	s := stripSQLComments(sql)
	// Blank out string literals so their contents are not parsed.
	s = regexp.MustCompile(`'(?:[^'\\]|\\.)*'`).ReplaceAllString(s, "''")
	rs := []rune(s)
	depth := 0
	lastSelect := -1
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '(':
			depth++
		case ')':
			depth--
		default:
			if depth == 0 && isKeywordAt(rs, i, "select") {
				lastSelect = i + len("select")
			}
		}
	}
	if lastSelect < 0 {
		return nil
	}
	var items []string
	depth = 0
	start := lastSelect
	end := len(rs)
	for i := lastSelect; i < len(rs); i++ {
		switch rs[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				items = append(items, string(rs[start:i]))
				start = i + 1
			}
		default:
			if depth == 0 && isKeywordAt(rs, i, "from") {
				end = i
				i = len(rs)
			}
		}
	}
	if end > start {
		items = append(items, string(rs[start:end]))
	}
	var cols []string
	for _, it := range items {
		fields := strings.Fields(it)
		if len(fields) == 0 {
			continue
		}
		cols = append(cols, strings.ToLower(strings.Trim(fields[len(fields)-1], "`\"")))
	}
	return cols
}

// isKeywordAt reports whether the word kw (lower case) starts at rs[i] as a
// whole word.
func isKeywordAt(rs []rune, i int, kw string) bool {
	if i+len(kw) > len(rs) || !strings.EqualFold(string(rs[i:i+len(kw)]), kw) {
		return false
	}
	if i > 0 && isWordRune(rs[i-1]) {
		return false
	}
	return i+len(kw) == len(rs) || !isWordRune(rs[i+len(kw)])
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// checkValidateColumns applies the SQLValidate contract: the query returns
// a boolean `valid` and a `message` (text or JSON), in that order.
func checkValidateColumns(sql string) []sqlProblem {
	cols := selectColumns(sql)
	if len(cols) == 2 && cols[0] == "valid" && cols[1] == "message" {
		return nil
	}
	got := "no columns"
	if len(cols) > 0 {
		got = "columns " + strings.Join(cols, ", ")
	}
	return []sqlProblem{{
		fmt.Sprintf("SQLValidate must select exactly two columns, valid and message; the query selects %s", got),
		"end the query with SELECT <boolean> AS valid, <text or TO_JSON(...)> AS message"}}
}

// configExecuteKeys lists the variables a ConfigExecute query defines: the
// keys of the NAMED_STRUCT(...) it turns into JSON, e.g.
// NAMED_STRUCT('CONTACTS_S3_URI', ...) defines ${CONTACTS_S3_URI}.
func configExecuteKeys(sql string) []string {
	var keys []string
	re := regexp.MustCompile(`(?i)named_struct\s*\(`)
	for _, loc := range re.FindAllStringIndex(sql, -1) {
		args := splitTopLevel(sql[loc[1]:])
		for i := 0; i < len(args); i += 2 {
			k := strings.TrimSpace(args[i])
			if len(k) >= 2 && k[0] == '\'' && k[len(k)-1] == '\'' {
				keys = append(keys, k[1:len(k)-1])
			}
		}
	}
	return keys
}

// splitTopLevel splits the argument list that starts at s (just after an
// opening parenthesis) at top-level commas, up to the matching ')'.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	inQuote := false
	for i, r := range s {
		switch {
		case r == '\'':
			inQuote = !inQuote
		case inQuote:
		case r == '(':
			depth++
		case r == ')':
			if depth == 0 {
				return append(out, s[start:i])
			}
			depth--
		case r == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

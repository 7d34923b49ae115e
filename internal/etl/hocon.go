package etl

import (
	"fmt"
	"strconv"
	"strings"
)

// This file is a small HOCON reader: enough of the format to check an Arc
// stage the way Arc's Typesafe Config would read it (objects with or without
// root braces, `:`/`=`/`{` separators, newlines as separators, comments,
// quoted and """triple-quoted""" strings, unquoted strings, value
// concatenation like "s3a://"${BUCKET}"/path", and ${VAR} / ${?VAR}
// substitutions). Substitutions are recorded, not resolved: whether a
// variable is supplied is a separate check.

type hKind int

const (
	hObject hKind = iota
	hArray
	hString // a string, number, boolean or null; possibly a concatenation
)

// hValue is one parsed HOCON value.
type hValue struct {
	kind   hKind
	fields []hField  // hObject, in source order
	items  []*hValue // hArray
	parts  []hPart   // hString: literal text and substitutions, in order
	quoted bool      // hString: at least one part was quoted
	line   int       // 1-based line where the value starts
}

type hField struct {
	key  string
	val  *hValue
	line int
}

// hPart is a piece of a string value: literal text, or a substitution.
type hPart struct {
	text     string
	subst    string // variable name when this part is ${...}
	optional bool   // ${?VAR}
	line     int
}

// get returns the field named key, or nil.
func (v *hValue) get(key string) *hValue {
	if v == nil || v.kind != hObject {
		return nil
	}
	for i := len(v.fields) - 1; i >= 0; i-- { // last one wins, as in HOCON
		if v.fields[i].key == key {
			return v.fields[i].val
		}
	}
	return nil
}

// str renders a string value, writing substitutions as ${NAME}.
func (v *hValue) str() string {
	if v == nil || v.kind != hString {
		return ""
	}
	var b strings.Builder
	for _, p := range v.parts {
		if p.subst != "" {
			b.WriteString("${" + p.subst + "}")
			continue
		}
		b.WriteString(p.text)
	}
	return b.String()
}

// literal reports whether a string value has no substitutions.
func (v *hValue) literal() bool {
	for _, p := range v.parts {
		if p.subst != "" {
			return false
		}
	}
	return true
}

// substitutions lists every ${VAR} in v and below, in source order.
func (v *hValue) substitutions() []hPart {
	if v == nil {
		return nil
	}
	var out []hPart
	switch v.kind {
	case hObject:
		for _, f := range v.fields {
			out = append(out, f.val.substitutions()...)
		}
	case hArray:
		for _, it := range v.items {
			out = append(out, it.substitutions()...)
		}
	case hString:
		for _, p := range v.parts {
			if p.subst != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// hoconError is a syntax error at a line and column of the parsed text.
type hoconError struct {
	line, col int
	msg       string
}

func (e *hoconError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.line, e.col, e.msg)
}

type hParser struct {
	src       []rune
	pos       int
	line, col int
}

// parseHOCON parses a whole document; the root must be an object (with or
// without braces).
func parseHOCON(text string) (*hValue, error) {
	p := &hParser{src: []rune(text), line: 1, col: 1}
	p.skipSpace(true)
	var root *hValue
	var err error
	if p.peek() == '{' {
		root, err = p.parseObject()
		if err != nil {
			return nil, err
		}
		p.skipSpace(true)
		if !p.eof() {
			return nil, p.errorf("unexpected %q after the closing '}' of the stage", p.peek())
		}
		return root, nil
	}
	if p.peek() == '[' {
		return nil, p.errorf("a stage must be an object {...}, not an array")
	}
	root = &hValue{kind: hObject, line: p.line}
	if err := p.parseFields(root, 0); err != nil {
		return nil, err
	}
	return root, nil
}

func (p *hParser) eof() bool { return p.pos >= len(p.src) }

func (p *hParser) peek() rune {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *hParser) peekAt(n int) rune {
	if p.pos+n >= len(p.src) {
		return 0
	}
	return p.src[p.pos+n]
}

func (p *hParser) next() rune {
	r := p.src[p.pos]
	p.pos++
	if r == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col++
	}
	return r
}

func (p *hParser) errorf(format string, args ...any) error {
	return &hoconError{line: p.line, col: p.col, msg: fmt.Sprintf(format, args...)}
}

func (p *hParser) atComment() bool {
	return p.peek() == '#' || (p.peek() == '/' && p.peekAt(1) == '/')
}

// skipSpace skips blanks and comments, and newlines too when newlines is set.
// It reports whether it crossed a newline.
func (p *hParser) skipSpace(newlines bool) bool {
	crossed := false
	for !p.eof() {
		r := p.peek()
		switch {
		case r == '\n':
			if !newlines {
				return crossed
			}
			crossed = true
			p.next()
		case r == ' ' || r == '\t' || r == '\r' || r == '\uFEFF':
			p.next()
		case p.atComment():
			for !p.eof() && p.peek() != '\n' {
				p.next()
			}
		default:
			return crossed
		}
	}
	return crossed
}

func (p *hParser) parseObject() (*hValue, error) {
	obj := &hValue{kind: hObject, line: p.line}
	p.next() // '{'
	if err := p.parseFields(obj, '}'); err != nil {
		return nil, err
	}
	return obj, nil
}

// parseFields reads fields until closer ('}' or 0 for end of input).
func (p *hParser) parseFields(obj *hValue, closer rune) error {
	for {
		p.skipSpace(true)
		for p.peek() == ',' {
			if len(obj.fields) == 0 {
				return p.errorf("unexpected ',' before the first field")
			}
			p.next()
			p.skipSpace(true)
		}
		if p.eof() {
			if closer != 0 {
				return p.errorf("missing '}': the object opened on line %d is never closed", obj.line)
			}
			return nil
		}
		if p.peek() == closer {
			p.next()
			return nil
		}
		if p.peek() == '}' || p.peek() == ']' {
			return p.errorf("unexpected %q", p.peek())
		}
		line := p.line
		key, err := p.parseKey()
		if err != nil {
			return err
		}
		p.skipSpace(false)
		var val *hValue
		switch {
		case p.peek() == ':' || p.peek() == '=':
			p.next()
			p.skipSpace(false)
			val, err = p.parseValue(closer)
		case p.peek() == '+' && p.peekAt(1) == '=':
			p.next()
			p.next()
			p.skipSpace(false)
			val, err = p.parseValue(closer)
		case p.peek() == '{':
			val, err = p.parseObject()
		default:
			if p.eof() || p.peek() == '\n' {
				return p.errorf("key %q has no value: expected ':' or '=' and a value", key)
			}
			return p.errorf("expected ':' or '=' after key %q, found %q", key, p.peek())
		}
		if err != nil {
			return err
		}
		obj.fields = append(obj.fields, hField{key: key, val: val, line: line})
		// A field ends at a comma, a newline or the closer.
		crossed := p.skipSpace(false)
		switch {
		case p.eof(), p.peek() == '\n', p.peek() == ',', p.peek() == closer && closer != 0:
		case crossed:
		default:
			return p.errorf("expected ',' or a new line after the value of %q, found %q", key, p.peek())
		}
	}
}

func (p *hParser) parseKey() (string, error) {
	var b strings.Builder
	for !p.eof() {
		r := p.peek()
		switch {
		case r == '"':
			s, err := p.parseQuoted()
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		case r == ':' || r == '=' || r == '{' || r == '\n' || r == ' ' || r == '\t' || r == '\r' || (r == '+' && p.peekAt(1) == '='):
			if b.Len() == 0 {
				return "", p.errorf("expected a key, found %q", r)
			}
			return b.String(), nil
		case strings.ContainsRune("}[],$#`^?!@*&\\", r) || p.atComment():
			return "", p.errorf("unexpected %q in a key", r)
		default:
			b.WriteRune(p.next())
		}
	}
	return "", p.errorf("key %q has no value", b.String())
}

// parseValue reads one value: an object, an array, or a concatenation of
// strings and substitutions on one line.
func (p *hParser) parseValue(closer rune) (*hValue, error) {
	if p.eof() || p.peek() == '\n' || p.peek() == ',' || p.peek() == closer {
		return nil, p.errorf("missing value")
	}
	switch p.peek() {
	case '{':
		return p.parseObject()
	case '[':
		return p.parseArray()
	}
	v := &hValue{kind: hString, line: p.line}
	for {
		r := p.peek()
		switch {
		case p.eof() || r == '\n' || r == ',' || r == '}' || r == ']' || p.atComment():
			trimTrailingSpace(v)
			return v, nil
		case r == '"':
			if p.peekAt(1) == '"' && p.peekAt(2) == '"' {
				s, err := p.parseTriple()
				if err != nil {
					return nil, err
				}
				v.parts = append(v.parts, hPart{text: s, line: v.line})
			} else {
				s, err := p.parseQuoted()
				if err != nil {
					return nil, err
				}
				v.parts = append(v.parts, hPart{text: s, line: v.line})
			}
			v.quoted = true
		case r == '$' && p.peekAt(1) == '{':
			part, err := p.parseSubstitution()
			if err != nil {
				return nil, err
			}
			v.parts = append(v.parts, part)
		case r == '{' || r == '[':
			return nil, p.errorf("unexpected %q inside a string value; quote the string", r)
		case r == ' ' || r == '\t' || r == '\r':
			var ws strings.Builder
			for p.peek() == ' ' || p.peek() == '\t' || p.peek() == '\r' {
				ws.WriteRune(p.next())
			}
			v.parts = append(v.parts, hPart{text: ws.String(), line: p.line})
		case strings.ContainsRune("$:=+`^?!@*&\\", r):
			return nil, p.errorf("unexpected %q in an unquoted value; quote the string", r)
		default:
			var b strings.Builder
			for !p.eof() && !strings.ContainsRune("$\"{}[]:=,+#`^?!@*&\\ \t\r\n", p.peek()) && !p.atComment() {
				b.WriteRune(p.next())
			}
			v.parts = append(v.parts, hPart{text: b.String(), line: p.line})
		}
	}
}

// trimTrailingSpace drops whitespace-only parts at the ends of a
// concatenation, as HOCON does.
func trimTrailingSpace(v *hValue) {
	for len(v.parts) > 0 && v.parts[len(v.parts)-1].subst == "" && strings.TrimSpace(v.parts[len(v.parts)-1].text) == "" {
		v.parts = v.parts[:len(v.parts)-1]
	}
}

func (p *hParser) parseArray() (*hValue, error) {
	arr := &hValue{kind: hArray, line: p.line}
	p.next() // '['
	for {
		p.skipSpace(true)
		if p.eof() {
			return nil, p.errorf("missing ']': the array opened on line %d is never closed", arr.line)
		}
		if p.peek() == ']' {
			p.next()
			return arr, nil
		}
		if p.peek() == ',' {
			return nil, p.errorf("unexpected ',' in array")
		}
		it, err := p.parseValue(']')
		if err != nil {
			return nil, err
		}
		arr.items = append(arr.items, it)
		crossed := p.skipSpace(false)
		switch {
		case p.peek() == ',':
			p.next()
		case p.peek() == ']' || p.peek() == '\n' || p.eof() || crossed:
		default:
			return nil, p.errorf("expected ',' or ']' in array, found %q", p.peek())
		}
	}
}

func (p *hParser) parseQuoted() (string, error) {
	startLine := p.line
	var b strings.Builder
	p.next() // opening quote
	for {
		if p.eof() || p.peek() == '\n' {
			return "", &hoconError{line: startLine, col: p.col, msg: "unterminated string: missing closing '\"'"}
		}
		r := p.next()
		switch r {
		case '"':
			return b.String(), nil
		case '\\':
			if p.eof() {
				return "", p.errorf("unterminated escape")
			}
			e := p.next()
			switch e {
			case '"', '\\', '/':
				b.WriteRune(e)
			case 'n':
				b.WriteRune('\n')
			case 't':
				b.WriteRune('\t')
			case 'r':
				b.WriteRune('\r')
			case 'b':
				b.WriteRune('\b')
			case 'f':
				b.WriteRune('\f')
			case 'u':
				if p.pos+4 > len(p.src) {
					return "", p.errorf("bad \\u escape")
				}
				n, err := strconv.ParseUint(string(p.src[p.pos:p.pos+4]), 16, 32)
				if err != nil {
					return "", p.errorf("bad \\u escape")
				}
				for range 4 {
					p.next()
				}
				b.WriteRune(rune(n))
			default:
				return "", p.errorf("invalid escape \\%c in a quoted string", e)
			}
		default:
			b.WriteRune(r)
		}
	}
}

func (p *hParser) parseTriple() (string, error) {
	startLine := p.line
	p.next()
	p.next()
	p.next()
	var b strings.Builder
	for {
		if p.eof() {
			return "", &hoconError{line: startLine, col: 1, msg: `unterminated """ string`}
		}
		if p.peek() == '"' && p.peekAt(1) == '"' && p.peekAt(2) == '"' {
			// Extra quotes before the closing three belong to the string.
			for p.peekAt(3) == '"' {
				b.WriteRune(p.next())
			}
			p.next()
			p.next()
			p.next()
			return b.String(), nil
		}
		b.WriteRune(p.next())
	}
}

func (p *hParser) parseSubstitution() (hPart, error) {
	line := p.line
	p.next() // $
	p.next() // {
	part := hPart{line: line}
	if p.peek() == '?' {
		part.optional = true
		p.next()
	}
	var b strings.Builder
	for {
		if p.eof() || p.peek() == '\n' {
			return hPart{}, &hoconError{line: line, col: p.col, msg: "unterminated substitution: missing '}'"}
		}
		r := p.next()
		if r == '}' {
			break
		}
		if r != '"' {
			b.WriteRune(r)
		}
	}
	part.subst = strings.TrimSpace(b.String())
	if part.subst == "" {
		return hPart{}, &hoconError{line: line, col: p.col, msg: "empty substitution ${}"}
	}
	return part, nil
}

package ui

// ColorScheme wraps text in ANSI colours, or returns it unchanged when
// colour is off.
type ColorScheme struct{ enabled bool }

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

func (c ColorScheme) wrap(code, s string) string {
	if !c.enabled {
		return s
	}
	return code + s + ansiReset
}

func (c ColorScheme) Bold(s string) string   { return c.wrap(ansiBold, s) }
func (c ColorScheme) Dim(s string) string    { return c.wrap(ansiDim, s) }
func (c ColorScheme) Red(s string) string    { return c.wrap(ansiRed, s) }
func (c ColorScheme) Green(s string) string  { return c.wrap(ansiGreen, s) }
func (c ColorScheme) Yellow(s string) string { return c.wrap(ansiYellow, s) }

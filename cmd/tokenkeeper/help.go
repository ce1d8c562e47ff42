package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// helpWidth is the widest line any help text may have: it fits a
// 100-column terminal (TestHelpFitsAndExitsZero walks every command).
const helpWidth = 100

// helpRequest is a --help, -h or `help` answer: its text goes to stdout
// and the exit code is 0, as gh, kubectl and git do it; asking for help
// is not a mistake.
type helpRequest struct{ text string }

func (h *helpRequest) Error() string { return h.text }

// lookupCommand finds a command by the name its flag set carries: "add",
// or "pat add" for a subcommand.
func lookupCommand(name string) (command, bool) {
	cs := commands()
	var found command
	for _, word := range strings.Fields(name) {
		ok := false
		for _, c := range cs {
			if c.name == word {
				found, cs, ok = c, c.subs, true
				break
			}
		}
		if !ok {
			return command{}, false
		}
	}
	return found, found.name != ""
}

// helpText is a command's --help: its synopsis, what it does, any
// explanation the command gives after its synopsis's first line, and its
// flags.
func helpText(fs *flag.FlagSet, synopsis string) error {
	var b strings.Builder
	first, rest, _ := strings.Cut(synopsis, "\n")
	c, _ := lookupCommand(fs.Name())
	if c.args != "" {
		first = c.args
	}
	fmt.Fprintf(&b, "Usage: tokenkeeper %s %s\n", fs.Name(), first)
	// A command that explains itself after its synopsis says more than
	// its one-line help.
	if rest = strings.Trim(rest, "\n"); rest != "" {
		fmt.Fprintf(&b, "\n%s\n", wrap(rest, 0))
	} else if c.help != "" {
		fmt.Fprintf(&b, "\n%s\n", wrap(sentence(c.help), 0))
	}
	if len(c.subs) > 0 {
		fmt.Fprintln(&b, "\nCommands:")
		writeCommands(&b, c.subs)
	}
	if hasFlags(fs) {
		fmt.Fprintln(&b, "\nFlags:")
		writeFlags(&b, fs, nil)
	}
	return &helpRequest{text: b.String()}
}

// sentence makes a one-line help a sentence: capital first, full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = strings.ToUpper(string(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// writeFlags lists fs's flags with their usage and default, wrapped to
// helpWidth; skip leaves some out.
func writeFlags(w io.Writer, fs *flag.FlagSet, skip func(*flag.Flag) bool) {
	var rows [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		if skip != nil && skip(f) {
			return
		}
		arg, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if arg != "" {
			left += " " + strings.ToUpper(arg)
		}
		switch f.DefValue {
		case "", "false", "0", "0s", "[]":
		default:
			usage += " (default " + f.DefValue + ")"
		}
		rows = append(rows, [2]string{left, usage})
	})
	writeColumns(w, rows)
}

// writeCommands lists commands by name with their one-line help.
func writeCommands(w io.Writer, cs []command) {
	var rows [][2]string
	for _, c := range cs {
		if !c.hidden {
			rows = append(rows, [2]string{c.name, c.help})
		}
	}
	writeColumns(w, rows)
}

// maxLeft is the widest first column writeColumns aligns to; a longer
// entry puts its text on the next line instead.
const maxLeft = 30

// writeColumns writes rows as two aligned columns indented by two
// spaces, the second wrapped to helpWidth under itself.
func writeColumns(w io.Writer, rows [][2]string) {
	left := 0
	for _, r := range rows {
		if n := utf8.RuneCountInString(r[0]); n > left && n <= maxLeft {
			left = n
		}
	}
	indent := 2 + left + 2
	pad := strings.Repeat(" ", indent)
	for _, r := range rows {
		text := wrap(r[1], indent)
		if utf8.RuneCountInString(r[0]) > maxLeft {
			fmt.Fprintf(w, "  %s\n%s%s\n", r[0], pad, text)
			continue
		}
		fmt.Fprintf(w, "  %-*s  %s\n", left, r[0], text)
	}
}

// wrap breaks s at spaces so that, indented by indent columns (every line
// but the first gets the indent), no line passes helpWidth. Line breaks
// in s are kept. A word longer than the line stays whole.
func wrap(s string, indent int) string {
	pad := strings.Repeat(" ", indent)
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			switch {
			case line == "":
				line = word
			case indent+utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > helpWidth:
				out = append(out, line)
				line = word
			default:
				line += " " + word
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n"+pad)
}

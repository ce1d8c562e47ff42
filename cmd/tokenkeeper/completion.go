package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// completeCommand is the hidden command the completion scripts call with
// the words typed so far (the last one being completed); it prints the
// candidates, one a line. The scripts are thin: every rule is here, read
// from the command table.
const completeCommand = "__complete"

// completeCurrentFirst is __complete for PowerShell: the word being
// completed comes first, after a ':', then the words before it. Windows
// PowerShell 5.1 drops an empty argument to a native command, and the word
// being completed is empty after every space; with the ':' it never is.
const completeCurrentFirst = "__complete-ps"

// shells are the shells `completion` writes scripts for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

func cmdCompletion(ctx context.Context, e *env, args []string) error {
	pos, err := parse(flag.NewFlagSet("completion", flag.ContinueOnError), args, "bash|zsh|fish|powershell")
	if err != nil {
		return err
	}
	script, ok := map[string]string{"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion, "powershell": powershellCompletion}[pos[0]]
	if !ok {
		return usagef("completion: %q: want bash, zsh, fish or powershell", pos[0])
	}
	_, err = fmt.Fprint(e.stdout, script)
	return err
}

// cmdComplete reads account names and labels from the config file only:
// completion never touches the keyring (a TAB must not prompt to unlock
// it) and stays quiet on any error.
func cmdComplete(ctx context.Context, e *env, args []string) error {
	var cfg *storage.Config
	if dir, err := storage.DefaultDir(); err == nil {
		cfg, _ = storage.Open(dir).Load()
	}
	if cfg == nil {
		cfg = &storage.Config{}
	}
	for _, c := range complete(commands(), cfg, args, "help") {
		fmt.Fprintln(e.stdout, c)
	}
	return nil
}

// cmdCompleteCurrentFirst is cmdComplete with the PowerShell order of
// words (completeCurrentFirst).
func cmdCompleteCurrentFirst(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || !strings.HasPrefix(args[0], ":") {
		return nil // not called by the script: quiet, as __complete is
	}
	return cmdComplete(ctx, e, append(args[1:], args[0][1:]))
}

// complete returns the candidates for the last of words (the words after
// "tokenkeeper"; the last may be empty) that start with it; extra are
// command names beside cmds'.
func complete(cmds []command, cfg *storage.Config, words []string, extra ...string) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	cur, done := words[len(words)-1], words[:len(words)-1]
	if len(done) == 0 {
		var names []string
		for _, c := range cmds {
			if !c.hidden {
				names = append(names, c.name)
			}
		}
		return matching(append(names, extra...), cur)
	}
	i := slices.IndexFunc(cmds, func(c command) bool { return c.name == done[0] && !c.hidden })
	if i < 0 {
		return nil
	}
	c, rest := cmds[i], done[1:]
	if c.subs != nil {
		return complete(c.subs, cfg, append(rest, cur))
	}
	if slices.Contains(rest, "--") {
		return nil // exec's COMMAND: the shell's own completion
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	if c.flags != nil {
		c.flags(fs)
	}
	// bash splits "--format=js" into "--format", "=", "js".
	if n := len(rest); cur == "=" || n >= 2 && rest[n-1] == "=" {
		if cur == "=" {
			return nil
		}
		return c.valuesOf(cfg, rest[n-2], cur, "")
	}
	if name, val, ok := strings.Cut(cur, "="); ok && strings.HasPrefix(name, "-") {
		return c.valuesOf(cfg, name, val, name+"=")
	}
	if strings.HasPrefix(cur, "-") {
		var flags []string
		fs.VisitAll(func(f *flag.Flag) { flags = append(flags, "--"+f.Name) })
		return matching(flags, cur)
	}
	// Walk the words typed: a flag that takes a value consumes the next.
	operands := 0
	for j := 0; j < len(rest); j++ {
		w := rest[j]
		if !strings.HasPrefix(w, "-") || w == "-" {
			operands++
			continue
		}
		if f := fs.Lookup(strings.TrimLeft(w, "-")); f != nil && !strings.Contains(w, "=") && !isBool(f) {
			if j == len(rest)-1 {
				return c.valuesOf(cfg, w, cur, "")
			}
			j++
		}
	}
	if operands == 0 && c.operand != nil {
		return matching(c.operand(cfg), cur)
	}
	return nil
}

// valuesOf completes the value of flag (as typed, dashes included).
func (c command) valuesOf(cfg *storage.Config, flag, cur, prefix string) []string {
	list := c.values[strings.TrimLeft(flag, "-")]
	if list == nil {
		return nil
	}
	var out []string
	for _, v := range matching(list(cfg), cur) {
		out = append(out, prefix+v)
	}
	return out
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func matching(list []string, prefix string) []string {
	var out []string
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// words is a fixed list of candidates.
func words(ws ...string) func(*storage.Config) []string {
	return func(*storage.Config) []string { return ws }
}

func accountNames(cfg *storage.Config) []string {
	var out []string
	for _, a := range cfg.Accounts {
		out = append(out, a.Name)
	}
	return out
}

func tokenLabels(cfg *storage.Config) []string {
	var out []string
	for _, t := range cfg.Tokens {
		out = append(out, t.Label)
	}
	return out
}

func kindNames() []string {
	var out []string
	for _, k := range auth.Kinds() {
		out = append(out, string(k.Kind))
	}
	return out
}

// The scripts hand the words typed so far to `tokenkeeper __complete`,
// the program the user typed (so ./tokenkeeper completes too).

const bashCompletion = `# bash completion for tokenkeeper: source <(tokenkeeper completion bash)
_tokenkeeper() {
    local IFS=$'\n'
    COMPREPLY=($(command "${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _tokenkeeper tokenkeeper
`

const zshCompletion = `#compdef tokenkeeper
# zsh completion for tokenkeeper: source <(tokenkeeper completion zsh) after compinit
_tokenkeeper() {
    local -a cands
    cands=(${(f)"$(${words[1]} __complete "${(@)words[2,CURRENT]}" 2>/dev/null)"})
    compadd -a cands || _files
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _tokenkeeper "$@"
else
    compdef _tokenkeeper tokenkeeper
fi
`

const fishCompletion = `# fish completion for tokenkeeper: tokenkeeper completion fish | source
function __tokenkeeper_complete
    set -l words (commandline -opc)
    set -l prog $words[1]
    set -e words[1]
    $prog __complete $words (commandline -ct) 2>/dev/null
end
complete -c tokenkeeper -f -a '(__tokenkeeper_complete)'
`

// Windows PowerShell 5.1 and PowerShell 7 (-Native: tokenkeeper is not a
// cmdlet). The words are the command's elements before the cursor, quotes
// removed; the one under the cursor is $wordToComplete.
const powershellCompletion = `# PowerShell completion for tokenkeeper:
#   tokenkeeper completion powershell | Out-String | Invoke-Expression
# or add that line to $PROFILE.
Register-ArgumentCompleter -Native -CommandName 'tokenkeeper', 'tokenkeeper.exe' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @(foreach ($e in $commandAst.CommandElements) {
        if ($e.Extent.StartOffset -ge $cursorPosition) { break }
        if ($e -is [System.Management.Automation.Language.StringConstantExpressionAst]) { $e.Value } else { $e.Extent.Text }
    })
    $prog = $words[0]
    $done = @($words | Select-Object -Skip 1)
    if ($wordToComplete -ne '' -and $done.Count -gt 0) {
        $done = @($done | Select-Object -SkipLast 1)
    }
    & $prog __complete-ps ":$wordToComplete" @done 2>$null | ForEach-Object {
        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
    }
}
`

package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"github.com/tokenkeeper/tokenkeeper/ui/human"
)

// flashCopied is how long "Copied" stays in the status line when the
// clipboard is not cleared automatically.
const flashCopied = 5 * time.Second

// clipboard puts tokens on the system clipboard and takes them off again
// after Settings.ClipboardClear, but only if the clipboard still holds what
// was copied: whatever the user copied since is theirs (SPEC §7).
type clipboard struct {
	u      *UI
	copied string
	gen    int // which copy the pending clear belongs to
	stopFn func() bool
}

// copy puts text on the clipboard; what names it in the confirmation
// ("access token for demo").
func (c *clipboard) copy(what, text string) {
	c.stop()
	c.u.app.Clipboard().SetContent(text)
	c.copied = text
	c.gen++
	delay := c.u.svc.Settings().ClipboardClear
	if delay <= 0 {
		// "Never" is the user's choice, on quit too.
		c.copied = ""
		c.u.flash("Copied "+what, flashCopied)
		return
	}
	c.u.flash(fmt.Sprintf("Copied %s — clears in %s", what, human.Span(delay)), delay)
	gen := c.gen
	c.stopFn = c.u.afterFunc(delay, func() {
		fyne.Do(func() { c.clear(gen) })
	})
}

// clear empties the clipboard if copy number gen is still the latest and
// the clipboard still holds exactly what it put there.
func (c *clipboard) clear(gen int) {
	if gen != c.gen || c.copied == "" {
		return
	}
	cb := c.u.app.Clipboard()
	if cb.Content() == c.copied {
		cb.SetContent("")
	}
	c.copied, c.stopFn = "", nil
}

// quit takes the token off the clipboard now, if it is still there, as
// the app quits (SPEC §7): cancelling the pending clear instead would leave
// it behind, and on X11 GLFW hands the clipboard to a clipboard manager as
// it shuts down, which keeps it for good.
func (c *clipboard) quit() {
	c.stop()
	c.clear(c.gen)
}

// stop cancels a pending clear (a newer copy replaces it).
func (c *clipboard) stop() {
	if c.stopFn != nil {
		c.stopFn()
		c.stopFn = nil
	}
}

// copyAccessToken fetches a valid access token (refreshing it if needed) and
// copies it in format f.
func (u *UI) copyAccessToken(name string, f CopyFormat) {
	snap, _ := u.account(name)
	target := CurlURL(snap)
	u.async(func() {
		tok, err := u.svc.AccessToken(context.Background(), name)
		fyne.Do(func() {
			if err != nil {
				u.showError("copying the access token of "+name, err)
				return
			}
			u.clip.copy(copyWhat(f, "access token of "+name), CopyText(f, tok.Reveal(), target))
		})
	})
}

// copyRefToken copies a reference token in format f.
func (u *UI) copyRefToken(label string, f CopyFormat, target string) {
	u.async(func() {
		tok, err := u.svc.RefToken(context.Background(), label)
		fyne.Do(func() {
			if err != nil {
				u.showError("copying "+label, err)
				return
			}
			u.clip.copy(copyWhat(f, label), CopyText(f, tok.Reveal(), target))
		})
	})
}

func copyWhat(f CopyFormat, what string) string {
	switch f {
	case CopyHeader:
		return what + " as header"
	case CopyCurl:
		return what + " as curl command"
	}
	return what
}

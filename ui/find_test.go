package ui

import (
	"maps"
	"slices"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/auth"
)

// Tests find what the window shows the way a user does, on its canvas,
// rather than through fields kept on the production types for them.

// topDialog is the dialog shown on top of the window (dialogs are modal
// pop-ups in the canvas's overlays), or nil.
func (h *harness) topDialog() fyne.CanvasObject {
	return h.ui.Window().Canvas().Overlays().Top()
}

// shownContent is what the window shows under its dialogs.
func (h *harness) shownContent() fyne.CanvasObject {
	return h.ui.Window().Canvas().Content()
}

// buttonsIn maps the text of each button laid out in o to the button.
func buttonsIn(o fyne.CanvasObject) map[string]*widget.Button {
	out := map[string]*widget.Button{}
	for _, c := range test.LaidOutObjects(o) {
		if b, ok := c.(*widget.Button); ok && b.Visible() {
			out[b.Text] = b
		}
	}
	return out
}

// button is the button labelled text in o; the test fails without one.
func button(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	if o == nil {
		t.Fatalf("no button %q: nothing shown", text)
	}
	bs := buttonsIn(o)
	if b := bs[text]; b != nil {
		return b
	}
	t.Fatalf("no button %q; buttons: %q", text, slices.Sorted(maps.Keys(bs)))
	return nil
}

// entriesIn are the visible entries laid out in o.
func entriesIn(o fyne.CanvasObject) []*widget.Entry {
	var out []*widget.Entry
	for _, c := range test.LaidOutObjects(o) {
		if e, ok := c.(*widget.Entry); ok && e.Visible() {
			out = append(out, e)
		}
	}
	return out
}

// textsShown is every visible text in o: labels and entries as their text,
// form rows as "name: value".
func textsShown(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch o := o.(type) {
		case *widget.Form:
			for _, it := range o.Items {
				if l, ok := it.Widget.(*widget.Label); ok && l.Visible() {
					out = append(out, it.Text+": "+l.Text)
				} else {
					walk(it.Widget)
				}
			}
		case *widget.Label:
			out = append(out, o.Text)
		case *widget.Entry:
			out = append(out, o.Text)
		case *container.Scroll:
			walk(o.Content)
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// binds counts how often a list binds a row to an item, and which row
// widgets it bound, by wrapping the list's UpdateItem.
type binds struct {
	n    atomic.Int64 // the window's ticker binds on its own goroutine
	rows map[fyne.CanvasObject]bool
}

// countBinds starts counting l's binds. Read rows only on the test's
// goroutine once the binding is done.
func countBinds(l *widget.List) *binds {
	b := &binds{rows: map[fyne.CanvasObject]bool{}}
	update := l.UpdateItem
	l.UpdateItem = func(id widget.ListItemID, o fyne.CanvasObject) {
		b.n.Add(1)
		b.rows[o] = true
		update(id, o)
	}
	return b
}

// entryFor is the add-account form's entry for one of the current kind's
// fields.
func (f *addAccountForm) entryFor(key auth.Field) *widget.Entry {
	for _, fs := range f.kind.Fields {
		if fs.Key == key {
			return f.kindEntry(fs)
		}
	}
	return nil
}

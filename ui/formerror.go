package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// formError is the error line under a dialog's form and the one entry it
// marks; the add-account and edit-account dialogs share it.
type formError struct {
	label  *widget.Label
	body   fyne.CanvasObject // the dialog's content, refreshed as the line shows or hides
	marked *widget.Entry
}

func newFormError() *formError {
	l := wrappedLabel()
	l.Importance = widget.DangerImportance
	l.Hide()
	return &formError{label: l}
}

// show puts err's text under the form.
func (fe *formError) show(err error) {
	fe.label.SetText(err.Error())
	fe.label.Show()
	fe.body.Refresh()
}

// mark shows msg as e's validation error, and unmarks the entry marked
// before.
func (fe *formError) mark(e *widget.Entry, msg string) {
	fe.unmark()
	e.AlwaysShowValidationError = true
	e.SetValidationError(errors.New(msg))
	fe.marked = e
}

// clear hides the line and unmarks the marked entry.
func (fe *formError) clear() {
	fe.unmark()
	fe.label.SetText("")
	fe.label.Hide()
	fe.body.Refresh()
}

func (fe *formError) unmark() {
	if e := fe.marked; e != nil {
		e.SetValidationError(nil)
		e.AlwaysShowValidationError = false
		e.Refresh()
		fe.marked = nil
	}
}

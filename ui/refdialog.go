package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

const (
	noAccount  = "(none)"
	dateLayout = "2006-01-02"
)

// refTokenForm adds or edits a reference token (SPEC §6).
type refTokenForm struct {
	u        *UI
	editing  string // label being edited; "" when adding
	token    *widget.Entry
	label    *widget.Entry
	kind     *widget.RadioGroup
	account  *widget.Select
	expires  *widget.Entry
	never    *widget.Check
	note     *widget.Entry
	errLabel *widget.Label
	body     *fyne.Container
	saveBtn  *widget.Button
	dlg      *dialog.CustomDialog
}

// showRefTokenDialog opens the dialog to add a token (t == nil) or edit t.
func (u *UI) showRefTokenDialog(t *service.RefTokenSnapshot) {
	f := u.newRefTokenForm(t)
	f.dlg.Show()
	if t == nil {
		u.win.Canvas().Focus(f.token)
	}
}

func (u *UI) newRefTokenForm(t *service.RefTokenSnapshot) *refTokenForm {
	f := &refTokenForm{u: u}
	f.token = widget.NewPasswordEntry()
	f.token.SetPlaceHolder("paste the token")
	f.label = widget.NewEntry()
	f.label.SetPlaceHolder("e.g. demodb-reports")
	f.kind = widget.NewRadioGroup([]string{"PAT", "SAT"}, nil)
	f.kind.Horizontal, f.kind.Required = true, true
	f.kind.SetSelected("PAT")
	accounts := []string{noAccount}
	for _, a := range u.status.Accounts {
		accounts = append(accounts, a.Name)
	}
	f.account = widget.NewSelect(accounts, nil)
	f.account.SetSelected(noAccount)
	f.expires = widget.NewEntry()
	f.expires.SetPlaceHolder("YYYY-MM-DD")
	f.expires.Validator = func(s string) error {
		if f.never.Checked {
			return nil
		}
		_, err := parseDate(s)
		return err
	}
	f.never = widget.NewCheck("Never expires", func(on bool) {
		if on {
			f.expires.Disable()
		} else {
			f.expires.Enable()
		}
		f.expires.Validate()
	})
	f.note = widget.NewEntry()
	f.note.SetPlaceHolder("optional")
	f.errLabel = widget.NewLabel("")
	f.errLabel.Importance = widget.DangerImportance
	f.errLabel.Wrapping = fyne.TextWrapWord
	f.errLabel.Hide()

	title, saveText := "Add reference token", "Add"
	tokenHint := "kept in the OS keyring, never in the config file"
	if t != nil {
		f.editing = t.Label
		title, saveText = "Edit "+t.Label, "Save"
		f.token.SetPlaceHolder("leave blank to keep the stored token")
		tokenHint = "paste a reissued token to replace the stored one"
		f.label.SetText(t.Label)
		f.kind.SetSelected(strings.ToUpper(t.Kind))
		if t.Account != "" {
			f.account.SetSelected(t.Account)
		}
		if t.Expires.IsZero() {
			f.never.SetChecked(true)
		} else {
			f.expires.SetText(t.Expires.Local().Format(dateLayout))
		}
		f.note.SetText(t.Note)
	}
	tokenItem := widget.NewFormItem("Token", f.token)
	tokenItem.HintText = tokenHint
	kindItem := widget.NewFormItem("Kind", f.kind)
	kindItem.HintText = "PAT: personal (Profile Site) · SAT: service (Instance Manager Site)"
	form := widget.NewForm(
		tokenItem,
		widget.NewFormItem("Label", f.label),
		kindItem,
		widget.NewFormItem("Account", f.account),
		widget.NewFormItem("Expires", container.NewBorder(nil, nil, nil, f.never, f.expires)),
		widget.NewFormItem("Note", f.note),
	)
	f.body = container.NewVBox(form, f.errLabel)

	cancel := widget.NewButton("Cancel", func() { f.dlg.Hide() })
	f.saveBtn = widget.NewButton(saveText, f.submit)
	f.saveBtn.Importance = widget.HighImportance
	f.dlg = dialog.NewCustomWithoutButtons(title, f.body, u.win)
	f.dlg.SetButtons([]fyne.CanvasObject{cancel, f.saveBtn})
	f.dlg.Resize(fyne.NewSize(560, 0))
	return f
}

// parseDate reads a YYYY-MM-DD expiry as the start of that day, local time.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("enter a date as YYYY-MM-DD or tick Never expires")
	}
	t, err := time.ParseInLocation(dateLayout, s, time.Local)
	if err != nil {
		return time.Time{}, errors.New("not a date: use YYYY-MM-DD, e.g. 2026-03-31")
	}
	return t, nil
}

func (f *refTokenForm) spec() (service.RefTokenSpec, auth.Secret, error) {
	s := service.RefTokenSpec{
		Label: strings.TrimSpace(f.label.Text),
		Kind:  strings.ToLower(f.kind.Selected),
		Note:  strings.TrimSpace(f.note.Text),
	}
	if a := f.account.Selected; a != noAccount {
		s.Account = a
	}
	tok := auth.Secret(strings.TrimSpace(f.token.Text))
	if f.editing == "" && tok == "" {
		return s, "", &auth.InputError{Field: "token", Msg: "is required: paste the token"}
	}
	if s.Label == "" {
		return s, "", &auth.InputError{Field: "label", Msg: "is required"}
	}
	if !f.never.Checked {
		t, err := parseDate(f.expires.Text)
		if err != nil {
			return s, "", &auth.InputError{Field: "expires", Msg: err.Error()}
		}
		if f.editing == "" && t.Before(f.u.now()) {
			return s, "", &auth.InputError{Field: "expires", Msg: "is in the past"}
		}
		s.Expires = t
	}
	return s, tok, nil
}

func (f *refTokenForm) showError(err error) {
	f.errLabel.SetText(err.Error())
	f.errLabel.Show()
	f.body.Refresh()
	var ie *auth.InputError
	if !errors.As(err, &ie) {
		return
	}
	var e *widget.Entry
	switch strings.ToLower(ie.Field) {
	case "token":
		e = f.token
	case "label":
		e = f.label
	case "expires", "expiry":
		e = f.expires
	case "note":
		e = f.note
	}
	if e != nil {
		e.AlwaysShowValidationError = true
		e.SetValidationError(errors.New(ie.Msg))
	}
}

func (f *refTokenForm) submit() {
	f.errLabel.Hide()
	f.body.Refresh()
	spec, tok, err := f.spec()
	if err != nil {
		f.showError(err)
		return
	}
	f.saveBtn.Disable()
	u, editing := f.u, f.editing
	u.async(func() {
		ctx := context.Background()
		var err error
		if editing == "" {
			err = u.svc.AddRefToken(ctx, spec, tok)
		} else {
			err = u.svc.UpdateRefToken(ctx, editing, spec, tok)
		}
		fyne.Do(func() {
			f.saveBtn.Enable()
			if err != nil {
				f.showError(err)
				return
			}
			f.dlg.Hide()
			u.flash("Saved "+spec.Label, flashCopied)
		})
	})
}

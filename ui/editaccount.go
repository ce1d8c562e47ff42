package ui

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// editAccountForm is the account menu's "Edit…" dialog: the client
// settings `tokenkeeper set` changes, prefilled with the stored ones. Only
// the fields the user changed are sent, so a setting left alone is not
// validated again (a CA file since moved does not block a new browser).
type editAccountForm struct {
	u    *UI
	name string
	was  service.ClientSettings
	kind auth.KindSpec

	browser, caFile, gitHost *widget.Entry
	scopes, params           *widget.Entry
	redirectPort             *widget.Entry
	redirectHost             *widget.Select
	offline                  *widget.Check
	errors                   *formError
	saveBtn, cancelBtn       *widget.Button
	body                     *fyne.Container
	dlg                      *dialog.CustomDialog
}

// editAccount reads the account's stored settings and opens the dialog.
func (u *UI) editAccount(name string) {
	u.async(func() {
		d, err := u.svc.Details(context.Background(), name)
		fyne.Do(func() {
			if err != nil {
				u.showError("reading the settings of "+name, err)
				return
			}
			u.newEditAccountForm(d).dlg.Show()
		})
	})
}

func (u *UI) newEditAccountForm(d service.Details) *editAccountForm {
	s := d.Settings
	f := &editAccountForm{u: u, name: d.Snapshot.Name, was: s}
	f.kind, _ = auth.KindOf(auth.Kind(d.Snapshot.Kind))
	f.browser = newEntry("blank: the system browser")
	f.browser.SetText(s.Browser)
	f.caFile = newEntry("blank: the system roots only")
	f.caFile.SetText(s.CAFile)
	f.gitHost = newEntry("e.g. gitlab.example.com or github.com/myorg")
	f.gitHost.SetText(s.GitHost)
	f.scopes = newEntry("blank: the provider kind's")
	f.scopes.SetText(strings.Join(s.Scopes, " "))
	f.params = widget.NewMultiLineEntry()
	f.params.SetPlaceHolder("key=value per line, e.g. prompt=consent")
	f.params.SetMinRowsVisible(3)
	f.params.SetText(paramsText(s.Params))
	f.redirectHost = widget.NewSelect([]string{"127.0.0.1", "localhost", "[::1]"}, nil)
	f.redirectHost.SetSelected(orDefault(s.RedirectHost, "127.0.0.1"))
	f.redirectPort = newEntry("any free port")
	if s.RedirectPort != 0 {
		f.redirectPort.SetText(strconv.Itoa(s.RedirectPort))
	}
	f.offline = widget.NewCheck("Request offline_access (a refresh token)", nil)
	f.offline.SetChecked(!s.NoOfflineAccess)
	f.errors = newFormError()

	item := func(label string, w fyne.CanvasObject, hint string) *widget.FormItem {
		it := widget.NewFormItem(label, w)
		it.HintText = hint
		return it
	}
	items := []*widget.FormItem{
		item("Browser", f.browser, "no shell; the URL replaces %s or is appended"),
		item("CA file", f.caFile, "PEM; trusted besides the system roots, for this account only"),
		item("Git host", f.gitHost, "git-credential answers git for HOST[/PATH] with this account's token"),
		item("Scopes", f.scopes, "space separated; from the next sign-in"),
	}
	if f.kind.OfflineAccess {
		items = append(items, item("", f.offline, ""))
	}
	items = append(items,
		item("Extra parameters", f.params, paramsHint(f.kind)),
		item("Redirect host", f.redirectHost, "loopback only (RFC 8252)"),
		item("Redirect port", f.redirectPort, "blank: any free port"))
	note := wrappedLabel()
	note.SetText("The session is kept. Scopes, offline_access, parameters and the redirect take effect at the next sign-in.")
	note.Importance = widget.LowImportance
	f.body = container.NewVBox(widget.NewForm(items...), note, f.errors.label)
	f.errors.body = f.body
	scroll := container.NewVScroll(f.body)
	scroll.SetMinSize(fyne.NewSize(560, 420))

	f.cancelBtn = widget.NewButton("Cancel", func() { f.dlg.Hide() })
	f.saveBtn = widget.NewButton("Save", f.submit)
	f.saveBtn.Importance = widget.HighImportance
	f.dlg = dialog.NewCustomWithoutButtons("Edit "+f.name, scroll, u.win)
	f.dlg.SetButtons([]fyne.CanvasObject{f.cancelBtn, f.saveBtn})
	return f
}

// paramsText is params as the parameters entry shows them, one key=value
// a line, sorted.
func paramsText(params map[string]string) string {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(params)) {
		lines = append(lines, k+"="+params[k])
	}
	return strings.Join(lines, "\n")
}

// update is what the user changed; errors are about fields the window
// parses itself.
func (f *editAccountForm) update() (service.AccountUpdate, error) {
	var u service.AccountUpdate
	changed := func(entry *widget.Entry, was string) *string {
		if v := strings.TrimSpace(entry.Text); v != was {
			return &v
		}
		return nil
	}
	u.Browser, u.CAFile, u.GitHost = changed(f.browser, f.was.Browser), changed(f.caFile, f.was.CAFile), changed(f.gitHost, f.was.GitHost)
	if sc := strings.Fields(f.scopes.Text); !slices.Equal(sc, f.was.Scopes) {
		u.Scopes = &sc
	}
	if no := !f.offline.Checked; f.kind.OfflineAccess && no != f.was.NoOfflineAccess {
		u.NoOfflineAccess = &no
	}
	params, err := parseParams(f.params.Text)
	if err != nil {
		return u, err
	}
	if !maps.Equal(params, f.was.Params) {
		if params == nil {
			params = map[string]string{}
		}
		u.Params = &params
	}
	if h := f.redirectHost.Selected; h != orDefault(f.was.RedirectHost, "127.0.0.1") {
		if h == "127.0.0.1" {
			h = ""
		}
		u.RedirectHost = &h
	}
	port := 0
	if p := strings.TrimSpace(f.redirectPort.Text); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return u, &auth.InputError{Field: "redirect port", Key: auth.FieldRedirectPort, Msg: "must be a number"}
		}
	}
	if port != f.was.RedirectPort {
		u.RedirectPort = &port
	}
	return u, nil
}

// entryFor is the entry showing the field an *auth.InputError names.
func (f *editAccountForm) entryFor(key auth.Field) *widget.Entry {
	switch key {
	case auth.FieldBrowser:
		return f.browser
	case auth.FieldCAFile:
		return f.caFile
	case auth.FieldGitHost:
		return f.gitHost
	case auth.FieldScopes:
		return f.scopes
	case auth.FieldParams:
		return f.params
	case auth.FieldRedirectPort:
		return f.redirectPort
	}
	return nil
}

func (f *editAccountForm) showError(err error) {
	f.errors.show(err)
	if ie, ok := errors.AsType[*auth.InputError](err); ok {
		if e := f.entryFor(ie.Key); e != nil {
			f.errors.mark(e, ie.Msg)
			f.u.win.Canvas().Focus(e)
		}
	}
}

// submit sends the changes; the dialog stays open on an error, with the
// field marked.
func (f *editAccountForm) submit() {
	f.errors.clear()
	upd, err := f.update()
	if err != nil {
		f.showError(err)
		return
	}
	if upd == (service.AccountUpdate{}) {
		f.dlg.Hide()
		return
	}
	f.saveBtn.Disable()
	u, name := f.u, f.name
	u.async(func() {
		err := u.svc.UpdateAccount(context.Background(), name, upd)
		fyne.Do(func() {
			f.saveBtn.Enable()
			if err != nil {
				f.showError(err)
				return
			}
			f.dlg.Hide()
			u.flash("Saved the settings of "+name, flashCopied)
		})
	})
}

package ui

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// addAccountForm is the add-account dialog (SPEC §1, §7). It shows only the
// fields the chosen provider kind defines (auth.KindSpec) and lets the
// service validate, so the window and the CLI accept exactly the same
// input.
type addAccountForm struct {
	u    *UI
	kind auth.KindSpec

	kindSelect                  *widget.Select
	name, clientID, secret      *widget.Entry
	scopes, params              *widget.Entry
	redirectPort                *widget.Entry
	browser, caFile, gitHost    *widget.Entry
	kindEntries                 map[string]*widget.Entry // by fieldID, across the kinds seen
	offline                     *widget.Check
	refreshNote, notes          *widget.Label
	redirectHost                *widget.Select
	form, advancedForm          *widget.Form
	advanced                    *widget.Accordion
	errors                      *formError
	addBtn, addSignInBtn        *widget.Button
	cancelBtn                   *widget.Button
	busy                        *widget.ProgressBarInfinite
	body                        *fyne.Container
	dlg                         *dialog.CustomDialog
	scopesEdited, settingScopes bool
}

// fieldID tells a kind's fields apart; parameter fields share one Key.
func fieldID(f auth.FieldSpec) string { return string(f.Key) + ":" + f.Param }

func (u *UI) showAddAccount() {
	f := u.newAddAccountForm()
	f.dlg.Show()
	u.win.Canvas().Focus(f.name)
}

func (u *UI) newAddAccountForm() *addAccountForm {
	f := &addAccountForm{u: u, kindEntries: map[string]*widget.Entry{}}
	f.name = newEntry("e.g. demodb-support")
	f.clientID = newEntry("")
	f.secret = widget.NewPasswordEntry()
	f.secret.SetPlaceHolder("only for confidential clients")
	f.scopes = newEntry("space separated")
	f.scopes.OnChanged = func(s string) {
		if !f.settingScopes {
			f.scopesEdited = true
		}
		f.syncOffline()
	}
	f.offline = widget.NewCheck("Request offline_access (a refresh token, to renew without signing in)", func(on bool) {
		f.setOffline(on)
	})
	f.refreshNote = wrappedLabel()
	f.notes = wrappedLabel()
	f.notes.Importance = widget.LowImportance
	f.params = widget.NewMultiLineEntry()
	f.params.SetPlaceHolder("key=value per line, e.g. prompt=consent")
	f.params.SetMinRowsVisible(3)
	f.redirectHost = widget.NewSelect([]string{"127.0.0.1", "localhost", "[::1]"}, nil)
	f.redirectHost.SetSelectedIndex(0)
	f.redirectPort = newEntry("any free port")
	f.browser = newEntry("e.g. firefox -P work")
	f.caFile = newEntry("/path/to/ca.pem")
	f.gitHost = newEntry("e.g. gitlab.example.com or github.com/myorg")

	f.form = widget.NewForm()
	f.advancedForm = widget.NewForm()
	f.advanced = widget.NewAccordion(widget.NewAccordionItem("Advanced", f.advancedForm))
	f.errors = newFormError()
	f.busy = widget.NewProgressBarInfinite()
	f.busy.Hide()

	kinds := auth.Kinds()
	labels := make([]string, len(kinds))
	for i, k := range kinds {
		labels[i] = k.Label
	}
	f.kindSelect = widget.NewSelect(labels, func(label string) {
		for _, k := range kinds {
			if k.Label == label {
				f.setKind(k)
			}
		}
	})
	kindRow := widget.NewForm(widget.NewFormItem("Provider", f.kindSelect))
	f.body = container.NewVBox(kindRow, f.form, f.notes, f.errors.label, f.advanced, f.busy) // setKind replaces f.form
	f.errors.body = f.body
	scroll := container.NewVScroll(f.body)
	scroll.SetMinSize(fyne.NewSize(560, 440))

	f.cancelBtn = widget.NewButton("Cancel", func() { f.dlg.Hide() })
	f.addBtn = widget.NewButton("Add", func() { f.submit(false) })
	f.addSignInBtn = widget.NewButtonWithIcon("Add and sign in", theme.LoginIcon(), func() { f.submit(true) })
	f.addSignInBtn.Importance = widget.HighImportance
	f.dlg = dialog.NewCustomWithoutButtons("Add account", scroll, u.win)
	f.dlg.SetButtons([]fyne.CanvasObject{f.cancelBtn, f.addBtn, f.addSignInBtn})
	f.kindSelect.SetSelectedIndex(0)
	return f
}

func newEntry(placeholder string) *widget.Entry {
	e := widget.NewEntry()
	e.SetPlaceHolder(placeholder)
	return e
}

func wrappedLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	return l
}

// kindEntry is the entry of one of a kind's fields. Entries are kept
// across kinds by field, so a URL typed before switching kinds stays.
func (f *addAccountForm) kindEntry(fs auth.FieldSpec) *widget.Entry {
	id := fieldID(fs)
	e, ok := f.kindEntries[id]
	if !ok {
		e = widget.NewEntry()
		f.kindEntries[id] = e
	}
	switch {
	case fs.Example != "":
		e.SetPlaceHolder(fs.Example)
	case fs.Default != "":
		e.SetPlaceHolder(fs.Default)
	default:
		e.SetPlaceHolder("")
	}
	return e
}

// setKind rebuilds the form for kind k.
func (f *addAccountForm) setKind(k auth.KindSpec) {
	f.kind = k
	item := func(label string, w fyne.CanvasObject, hint string) *widget.FormItem {
		it := widget.NewFormItem(label, w)
		it.HintText = hint
		return it
	}
	items := []*widget.FormItem{item("Name", f.name, "used by the command line: tokenkeeper token NAME")}
	var adv []*widget.FormItem
	for _, fs := range k.Fields {
		hint := fs.Hint
		if fs.Default != "" {
			hint = strings.TrimPrefix(hint+"; blank: "+fs.Default, "; ")
		}
		it := item(fs.Label, f.kindEntry(fs), hint)
		if fs.Advanced {
			adv = append(adv, it)
		} else {
			items = append(items, it)
		}
	}
	items = append(items,
		item("Client ID", f.clientID, ""),
		item("Client secret", f.secret, "optional; kept in the OS keyring"),
		item("Scopes", f.scopes, ""))
	if k.OfflineAccess {
		items = append(items, item("", f.offline, ""))
	} else if k.RefreshNote != "" {
		f.refreshNote.SetText(k.RefreshNote)
		items = append(items, item("", f.refreshNote, ""))
	}
	// New forms: a Form keeps the widgets of its first items when the
	// count does not grow (Fyne 2.7), and kinds have different entries.
	f.form = widget.NewForm(items...)
	f.body.Objects[1] = f.form

	f.notes.SetText(strings.Join(k.Notes, "\n"))
	f.notes.Hidden = len(k.Notes) == 0

	adv = append(adv,
		item("Extra parameters", f.params, paramsHint(k)),
		item("Redirect host", f.redirectHost, "loopback only (RFC 8252)"),
		item("Redirect port", f.redirectPort, "blank: any free port"),
		item("Browser", f.browser, "blank: the system browser; no shell, the URL replaces %s or is appended"),
		item("CA file", f.caFile, "PEM; trusted besides the system roots, for this account only"),
		item("Git host", f.gitHost, "git-credential answers git for HOST[/PATH] with this account's token"))
	f.advancedForm = widget.NewForm(adv...)
	f.advanced.Items[0].Detail = f.advancedForm
	f.advanced.Refresh()
	f.body.Refresh()

	if !f.scopesEdited || strings.TrimSpace(f.scopes.Text) == "" {
		f.settingScopes = true
		f.scopes.SetText(strings.Join(k.Scopes, " "))
		f.settingScopes = false
		f.scopesEdited = false
	}
	f.syncOffline()
	f.errors.clear()
}

// paramsHint names the parameters the kind always sends.
func paramsHint(k auth.KindSpec) string {
	if len(k.Params) == 0 {
		return "added to the authorization request"
	}
	var kv []string
	for _, key := range slices.Sorted(maps.Keys(k.Params)) {
		kv = append(kv, key+"="+k.Params[key])
	}
	return "added to the authorization request, after " + strings.Join(kv, " ")
}

// syncOffline ticks the offline_access box when the scopes contain it.
func (f *addAccountForm) syncOffline() {
	on := slices.Contains(strings.Fields(f.scopes.Text), "offline_access")
	if f.offline.Checked != on {
		f.offline.Checked = on
		f.offline.Refresh()
	}
}

// setOffline adds or removes offline_access in the scopes.
func (f *addAccountForm) setOffline(on bool) {
	fields := strings.Fields(f.scopes.Text)
	has := slices.Contains(fields, "offline_access")
	switch {
	case on && !has:
		fields = append(fields, "offline_access")
	case !on && has:
		fields = slices.DeleteFunc(fields, func(s string) bool { return s == "offline_access" })
	default:
		return
	}
	f.scopes.SetText(strings.Join(fields, " "))
}

// spec reads the form; errors are about fields the window parses itself.
func (f *addAccountForm) spec() (service.AccountSpec, error) {
	s := service.AccountSpec{
		Name:         strings.TrimSpace(f.name.Text),
		Kind:         f.kind.Kind,
		ClientID:     strings.TrimSpace(f.clientID.Text),
		ClientSecret: auth.Secret(strings.TrimSpace(f.secret.Text)),
	}
	s.NoOfflineAccess = f.kind.OfflineAccess && !f.offline.Checked
	s.Browser, s.CAFile = strings.TrimSpace(f.browser.Text), strings.TrimSpace(f.caFile.Text)
	s.GitHost = strings.TrimSpace(f.gitHost.Text)
	if sc := strings.Fields(f.scopes.Text); len(sc) > 0 {
		s.Scopes = sc
	}
	params, err := parseParams(f.params.Text)
	if err != nil {
		return s, err
	}
	s.Params = params
	for _, fs := range f.kind.Fields {
		s.SetInput(fs, strings.TrimSpace(f.kindEntry(fs).Text))
	}
	if h := f.redirectHost.Selected; h != "127.0.0.1" {
		s.RedirectHost = h
	}
	if p := strings.TrimSpace(f.redirectPort.Text); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return s, &auth.InputError{Field: "redirect port", Key: auth.FieldRedirectPort, Msg: "must be a number"}
		}
		s.RedirectPort = n
	}
	return s, nil
}

// parseParams reads "key=value" lines; blank lines and # comments are
// skipped.
func parseParams(text string) (map[string]string, error) {
	var m map[string]string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, &auth.InputError{Field: "extra parameters", Key: auth.FieldParams, Msg: fmt.Sprintf("line %d: want key=value", i+1)}
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = strings.TrimSpace(v)
	}
	return m, nil
}

// fieldEntry maps an *auth.InputError's field to the entry showing it and
// whether that entry is under Advanced.
func (f *addAccountForm) fieldEntry(ie *auth.InputError) (*widget.Entry, bool) {
	for _, fs := range f.kind.Fields {
		if fs.Key == ie.Key {
			return f.kindEntry(fs), fs.Advanced
		}
	}
	switch ie.Key {
	case auth.FieldName:
		return f.name, false
	case auth.FieldClientID:
		return f.clientID, false
	case auth.FieldClientSecret:
		return f.secret, false
	case auth.FieldScopes:
		return f.scopes, false
	case auth.FieldParams:
		return f.params, true
	case auth.FieldRedirectPort:
		return f.redirectPort, true
	case auth.FieldBrowser:
		return f.browser, true
	case auth.FieldCAFile:
		return f.caFile, true
	case auth.FieldGitHost:
		return f.gitHost, true
	case auth.FieldRedirectHost, auth.FieldClientAuth:
		return nil, true
	}
	return nil, false
}

// showError puts err under the form and, for a field error, marks the
// field (opening Advanced when the field lives there).
func (f *addAccountForm) showError(err error) {
	f.errors.show(err)
	var ie *auth.InputError
	if !errors.As(err, &ie) {
		return
	}
	e, advanced := f.fieldEntry(ie)
	if advanced {
		f.advanced.Open(0)
	}
	if e != nil {
		f.errors.mark(e, ie.Msg)
		f.u.win.Canvas().Focus(e)
	}
}

func (f *addAccountForm) setBusy(busy bool) {
	for _, b := range []*widget.Button{f.addBtn, f.addSignInBtn} {
		if busy {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	if busy {
		f.busy.Show()
		f.busy.Start()
	} else {
		f.busy.Stop()
		f.busy.Hide()
	}
	f.body.Refresh()
}

// submit validates with the service (which also runs discovery), adds the
// account and optionally starts the sign-in.
func (f *addAccountForm) submit(signIn bool) {
	f.errors.clear()
	spec, err := f.spec()
	if err != nil {
		f.showError(err)
		return
	}
	f.setBusy(true)
	u := f.u
	u.async(func() {
		ctx := context.Background()
		err := u.svc.ValidateAccount(ctx, spec)
		if err == nil {
			err = u.svc.AddAccount(ctx, spec)
		}
		fyne.Do(func() {
			f.setBusy(false)
			if err != nil {
				f.showError(err)
				return
			}
			f.dlg.Hide()
			u.flash("Added "+spec.Name, flashCopied)
			if signIn {
				u.signIn(spec.Name)
			}
		})
	})
}

package ui

import (
	"context"
	"errors"
	"fmt"
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
// fields the chosen provider kind needs and lets the service validate, so
// the window and the CLI accept exactly the same input.
type addAccountForm struct {
	u    *UI
	kind auth.Kind

	kindSelect                  *widget.Select
	name, url, authURL, tokURL  *widget.Entry
	clientID, secret, scopes    *widget.Entry
	offline                     *widget.Check
	params, redirectPort        *widget.Entry
	redirectHost                *widget.Select
	form, advancedForm          *widget.Form
	advanced                    *widget.Accordion
	errLabel                    *widget.Label
	addBtn, addSignInBtn        *widget.Button
	cancelBtn                   *widget.Button
	busy                        *widget.ProgressBarInfinite
	body                        *fyne.Container
	dlg                         *dialog.CustomDialog
	scopesEdited, settingScopes bool
}

// kindOptions are the Select labels, in auth.Kinds order.
func kindOptions() []string {
	var opts []string
	for _, k := range auth.Kinds {
		opts = append(opts, KindLabel(k))
	}
	return opts
}

func (u *UI) showAddAccount() {
	f := u.newAddAccountForm()
	f.dlg.Show()
	u.win.Canvas().Focus(f.name)
}

func (u *UI) newAddAccountForm() *addAccountForm {
	f := &addAccountForm{u: u}
	entry := func(placeholder string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(placeholder)
		return e
	}
	f.name = entry("e.g. demodb-support")
	f.url = entry("https://")
	f.authURL = entry("https://…/authorize")
	f.tokURL = entry("https://…/token")
	f.clientID = entry("")
	f.secret = widget.NewPasswordEntry()
	f.secret.SetPlaceHolder("only for confidential clients")
	f.scopes = entry("space separated")
	f.scopes.OnChanged = func(s string) {
		if !f.settingScopes {
			f.scopesEdited = true
		}
		f.syncOffline()
	}
	f.offline = widget.NewCheck("Request offline_access (a refresh token, to renew without signing in)", func(on bool) {
		f.setOffline(on)
	})
	f.params = widget.NewMultiLineEntry()
	f.params.SetPlaceHolder("key=value per line, e.g. prompt=consent")
	f.params.SetMinRowsVisible(3)
	f.redirectHost = widget.NewSelect([]string{"127.0.0.1", "localhost", "[::1]"}, nil)
	f.redirectHost.SetSelectedIndex(0)
	f.redirectPort = entry("any free port")

	f.form = widget.NewForm()
	f.advancedForm = widget.NewForm()
	f.advanced = widget.NewAccordion(widget.NewAccordionItem("Advanced", f.advancedForm))
	f.errLabel = widget.NewLabel("")
	f.errLabel.Importance = widget.DangerImportance
	f.errLabel.Wrapping = fyne.TextWrapWord
	f.errLabel.Hide()
	f.busy = widget.NewProgressBarInfinite()
	f.busy.Hide()

	f.kindSelect = widget.NewSelect(kindOptions(), func(label string) {
		for _, k := range auth.Kinds {
			if KindLabel(k) == label {
				f.setKind(k)
			}
		}
	})
	kindRow := widget.NewForm(widget.NewFormItem("Provider", f.kindSelect))
	f.body = container.NewVBox(kindRow, f.form, f.errLabel, f.advanced, f.busy)
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

// urlLabel names the URL field per kind, matching the service's error
// messages (SPEC §1).
func urlLabel(k auth.Kind) string {
	switch k {
	case auth.KindERPNet:
		return "Instance URL"
	case auth.KindOIDC:
		return "Issuer URL"
	case auth.KindTokenIDP:
		return "Base URL"
	}
	return ""
}

// setKind rebuilds the form for kind k.
func (f *addAccountForm) setKind(k auth.Kind) {
	f.kind = k
	item := func(label string, w fyne.CanvasObject, hint string) *widget.FormItem {
		it := widget.NewFormItem(label, w)
		it.HintText = hint
		return it
	}
	items := []*widget.FormItem{item("Name", f.name, "used by the command line: tokenkeeper token NAME")}
	switch k {
	case auth.KindERPNet:
		items = append(items, item(urlLabel(k), f.url, "e.g. https://demodb.my.erp.net; endpoints are discovered"))
	case auth.KindOIDC:
		items = append(items, item(urlLabel(k), f.url, "the issuer; /.well-known/openid-configuration is read from it"))
	case auth.KindTokenIDP:
		items = append(items, item(urlLabel(k), f.url, "token requests go to <base>/token"))
	case auth.KindOAuth2:
		items = append(items,
			item("Authorization URL", f.authURL, ""),
			item("Token URL", f.tokURL, ""))
	}
	items = append(items,
		item("Client ID", f.clientID, ""),
		item("Client secret", f.secret, "optional; kept in the OS keyring"),
		item("Scopes", f.scopes, ""),
		item("", f.offline, ""))
	f.form.Items = items
	f.form.Refresh()

	adv := []*widget.FormItem{}
	if k == auth.KindTokenIDP {
		adv = append(adv, item("Authorization URL", f.authURL, "optional; default <base>/authorize"))
	}
	adv = append(adv,
		item("Extra parameters", f.params, "added to the authorization request"),
		item("Redirect host", f.redirectHost, "loopback only (RFC 8252)"),
		item("Redirect port", f.redirectPort, "blank: any free port"))
	f.advancedForm.Items = adv
	f.advancedForm.Refresh()

	if !f.scopesEdited || strings.TrimSpace(f.scopes.Text) == "" {
		f.settingScopes = true
		f.scopes.SetText(defaultScopes(k))
		f.settingScopes = false
		f.scopesEdited = false
	}
	f.syncOffline()
	f.clearErrors()
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
		Name:            strings.TrimSpace(f.name.Text),
		Kind:            f.kind,
		ClientID:        strings.TrimSpace(f.clientID.Text),
		ClientSecret:    auth.Secret(strings.TrimSpace(f.secret.Text)),
		NoOfflineAccess: !f.offline.Checked,
	}
	switch f.kind {
	case auth.KindOAuth2:
		s.AuthURL, s.TokenURL = strings.TrimSpace(f.authURL.Text), strings.TrimSpace(f.tokURL.Text)
	case auth.KindTokenIDP:
		s.URL, s.AuthURL = strings.TrimSpace(f.url.Text), strings.TrimSpace(f.authURL.Text)
	default:
		s.URL = strings.TrimSpace(f.url.Text)
	}
	if sc := strings.Fields(f.scopes.Text); len(sc) > 0 {
		s.Scopes = sc
	}
	params, err := parseParams(f.params.Text)
	if err != nil {
		return s, err
	}
	s.Params = params
	if h := f.redirectHost.Selected; h != "127.0.0.1" {
		s.RedirectHost = h
	}
	if p := strings.TrimSpace(f.redirectPort.Text); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return s, &auth.InputError{Field: "redirect port", Msg: "must be a number"}
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
			return nil, &auth.InputError{Field: "extra parameters", Msg: fmt.Sprintf("line %d: want key=value", i+1)}
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = strings.TrimSpace(v)
	}
	return m, nil
}

// fieldEntry maps an *auth.InputError's field to the entry showing it.
func (f *addAccountForm) fieldEntry(field string) (*widget.Entry, bool) {
	switch strings.ToLower(field) {
	case "name":
		return f.name, false
	case "instance url", "issuer url", "base url", "url":
		return f.url, false
	case "authorization url":
		return f.authURL, f.kind == auth.KindTokenIDP
	case "token url":
		return f.tokURL, false
	case "client id":
		return f.clientID, false
	case "client secret":
		return f.secret, false
	case "scopes", "scope":
		return f.scopes, false
	case "extra parameters", "params":
		return f.params, true
	case "redirect port":
		return f.redirectPort, true
	}
	return nil, field == "redirect host"
}

func (f *addAccountForm) allEntries() []*widget.Entry {
	return []*widget.Entry{f.name, f.url, f.authURL, f.tokURL, f.clientID, f.secret, f.scopes, f.params, f.redirectPort}
}

func (f *addAccountForm) clearErrors() {
	for _, e := range f.allEntries() {
		if e.AlwaysShowValidationError {
			e.SetValidationError(nil)
			e.AlwaysShowValidationError = false
			e.Refresh()
		}
	}
	f.errLabel.SetText("")
	f.errLabel.Hide()
	f.body.Refresh()
}

// showError puts err under the form and, for a field error, marks the
// field (opening Advanced when the field lives there).
func (f *addAccountForm) showError(err error) {
	f.errLabel.SetText(err.Error())
	f.errLabel.Show()
	f.body.Refresh()
	var ie *auth.InputError
	if !errors.As(err, &ie) {
		return
	}
	e, advanced := f.fieldEntry(ie.Field)
	if advanced {
		f.advanced.Open(0)
	}
	if e != nil {
		e.AlwaysShowValidationError = true
		e.SetValidationError(errors.New(ie.Msg))
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
	f.clearErrors()
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

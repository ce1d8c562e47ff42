package ui

import (
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/tokenkeeper/tokenkeeper/ui/human"
)

var (
	leadChoices  = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute}
	clearChoices = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 0}
)

// durationLabel names a choice; 0 is "never" for the clipboard.
func durationLabel(d time.Duration) string {
	if d == 0 {
		return "Never"
	}
	return human.Span(d)
}

// durationSelect offers choices (plus cur if it is not among them).
func durationSelect(choices []time.Duration, cur time.Duration) (*widget.Select, func() time.Duration) {
	if !slices.Contains(choices, cur) {
		choices = append([]time.Duration{cur}, choices...)
	}
	labels := make([]string, len(choices))
	for i, c := range choices {
		labels[i] = durationLabel(c)
	}
	s := widget.NewSelect(labels, nil)
	s.SetSelectedIndex(slices.Index(choices, cur))
	return s, func() time.Duration { return choices[s.SelectedIndex()] }
}

// settingsForm is the settings dialog's content.
type settingsForm struct {
	lead, clear   *widget.Select
	notifications *widget.Check
	startHidden   *widget.Check
	keepRenewing  *widget.Check // nil when the agent has a tray
	form          *widget.Form
	dlg           dialog.Dialog
}

func (u *UI) showSettings() {
	u.newSettingsForm().dlg.Show()
}

func (u *UI) newSettingsForm() *settingsForm {
	cur := u.svc.Settings()
	f := &settingsForm{}
	var leadVal, clearVal func() time.Duration
	f.lead, leadVal = durationSelect(leadChoices, cur.RenewLead)
	f.clear, clearVal = durationSelect(clearChoices, cur.ClipboardClear)
	f.notifications = widget.NewCheck("Notify about sign-in required, failing renewal and expiring tokens", nil)
	f.notifications.SetChecked(cur.Notifications)
	f.startHidden = widget.NewCheck("Start at login, hidden in the tray", nil)
	f.startHidden.SetChecked(cur.StartHidden)
	leadItem := widget.NewFormItem("Renew before expiry", f.lead)
	leadItem.HintText = "at the latest; also when 80% of the lifetime has passed"
	clearItem := widget.NewFormItem("Clear clipboard after", f.clear)
	clearItem.HintText = "only if it still holds the copied token"
	hiddenItem := widget.NewFormItem("", f.startHidden)
	hiddenItem.HintText = "renewal then runs from the moment you log in"
	f.form = widget.NewForm(leadItem, clearItem, widget.NewFormItem("", f.notifications), hiddenItem)
	if !u.opts.Tray && u.opts.StopAgent != nil {
		// Only without a tray does closing the window stop renewal; the
		// choice is this window's own preference, not the agent's.
		f.keepRenewing = widget.NewCheck("Keep renewing in the background when the window is closed", nil)
		f.keepRenewing.SetChecked(u.keepRenewing())
		keepItem := widget.NewFormItem("", f.keepRenewing)
		keepItem.HintText = "there is no tray here: `tokenkeeper` opens the window again"
		f.form.AppendItem(keepItem)
	}
	d := dialog.NewCustomConfirm("Settings", "Save", "Cancel", f.form, func(ok bool) {
		if !ok {
			return
		}
		next := cur
		next.RenewLead, next.ClipboardClear = leadVal(), clearVal()
		next.Notifications, next.StartHidden = f.notifications.Checked, f.startHidden.Checked
		if err := u.svc.SaveSettings(next); err != nil {
			u.showError("saving settings", err)
			return
		}
		if f.keepRenewing != nil {
			u.app.Preferences().SetBool(keepRenewingKey, f.keepRenewing.Checked)
		}
		u.flash("Settings saved", flashCopied)
	}, u.win)
	d.Resize(fyne.NewSize(520, 0))
	f.dlg = d
	return f
}

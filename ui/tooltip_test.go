package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// walkShown calls fn with every visible object drawn in o and its
// position on the canvas, at being o's. Unlike test.LaidOutObjects it
// walks the renderers the canvas draws with, so the objects it finds are
// the ones a pointer reaches.
func walkShown(o fyne.CanvasObject, at fyne.Position, fn func(fyne.CanvasObject, fyne.Position)) {
	if o == nil || !o.Visible() {
		return
	}
	fn(o, at)
	var kids []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		kids = x.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(x).Objects()
	}
	for _, k := range kids {
		walkShown(k, at.Add(k.Position()), fn)
	}
}

// shownAt finds the visible object of type T on the canvas that ok
// accepts, and where it is.
func shownAt[T fyne.CanvasObject](t *testing.T, c fyne.Canvas, ok func(T) bool) (T, fyne.Position) {
	t.Helper()
	var found T
	var pos fyne.Position
	var seen bool
	walkShown(c.Content(), c.Content().Position(), func(o fyne.CanvasObject, at fyne.Position) {
		if x, is := o.(T); is && !seen && ok(x) {
			found, pos, seen = x, at, true
		}
	})
	if !seen {
		t.Fatalf("nothing of type %T shown that the test looks for", found)
	}
	return found, pos
}

// centre is the middle of o drawn at at.
func centre(o fyne.CanvasObject, at fyne.Position) fyne.Position {
	return at.Add(fyne.NewPos(o.Size().Width/2, o.Size().Height/2))
}

// shownRow is the account row on screen showing name.
func shownRow(t *testing.T, h *harness, name string) *accountRow {
	t.Helper()
	r, _ := shownAt(t, h.ui.Window().Canvas(), func(r *accountRow) bool { return r.snap.Name == name })
	return r
}

// hoverFor moves the pointer onto o and rests it there for the tooltip's
// delay; it returns the tooltip shown, "" when none.
func (h *harness) hoverFor(o fyne.CanvasObject) string {
	h.t.Helper()
	c := h.ui.Window().Canvas()
	_, at := shownAt(h.t, c, func(x fyne.CanvasObject) bool { return x == o })
	test.MoveMouse(c, centre(o, at))
	h.fire(tipDelay)
	return h.tipShown()
}

// tipShown is the text of the tooltip on the canvas and checks that it
// lies inside the window.
func (h *harness) tipShown() string {
	h.t.Helper()
	layer := h.ui.tips.layer // spans the window's content
	if !layer.Visible() || layer.Size() != h.ui.Window().Content().Size() {
		h.t.Errorf("tooltip layer %v, shown %v; the window's content is %v", layer.Size(), layer.Visible(), h.ui.Window().Content().Size())
	}
	var text string
	for _, o := range layer.Objects {
		p, s := o.Position(), o.Size()
		if p.X < 0 || p.Y < 0 || p.X+s.Width > layer.Size().Width || p.Y+s.Height > layer.Size().Height {
			h.t.Errorf("tooltip at %v, %v: outside the window's %v", p, s, layer.Size())
		}
		if l, ok := o.(*widget.Label); ok && l.Visible() {
			text = l.Text
		}
	}
	return text
}

// labelsShown are the texts of the labels drawn in o.
func labelsShown(o fyne.CanvasObject) string {
	var out []string
	walkShown(o, fyne.Position{}, func(o fyne.CanvasObject, _ fyne.Position) {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	})
	return strings.Join(out, "\n")
}

// moveAway rests the pointer on a spot with no tooltip (the status bar).
func (h *harness) moveAway() {
	c := h.ui.Window().Canvas()
	test.MoveMouse(c, fyne.NewPos(5, c.Size().Height-5))
}

func windowHarness(t *testing.T, st service.Status) *harness {
	t.Helper()
	h := newHarness(t, st, Options{})
	h.ui.Window().Resize(fyne.NewSize(1060, 560))
	h.ui.Show()
	return h
}

// TestIconButtonsHaveTooltips: every icon-only button in the window names
// its action in a tooltip when the pointer rests on it (the same words as
// the menu's item for that action), and the tip goes when the pointer
// leaves.
func TestIconButtonsHaveTooltips(t *testing.T) {
	h := windowHarness(t, sampleStatus())
	c := h.ui.Window().Canvas()

	// No bare icon button is left without a tip, in either tab.
	for tab := range 2 {
		h.ui.tabs.SelectIndex(tab)
		walkShown(c.Content(), fyne.Position{}, func(o fyne.CanvasObject, _ fyne.Position) {
			if b, ok := o.(*widget.Button); ok && b.Text == "" && b.Icon != nil {
				t.Errorf("tab %d: an icon button (%s) without a tooltip", tab, b.Icon.Name())
			}
			if b, ok := o.(*tipButton); ok && b.tip == "" {
				t.Errorf("tab %d: an icon button (%s) with an empty tooltip", tab, b.Icon.Name())
			}
		})
	}
	h.ui.tabs.SelectIndex(0)

	in, out := shownRow(t, h, "demodb"), shownRow(t, h, "github-api")
	for _, tc := range []struct {
		what string
		btn  fyne.CanvasObject
		want string
	}{
		{"copy", in.copyBtn, "Copy access token"},
		{"refresh", in.mainBtn, "Refresh now"},
		{"sign in", out.mainBtn, "Sign in…"},
		{"more", in.moreBtn, "More actions"},
	} {
		if got := h.hoverFor(tc.btn); got != tc.want {
			t.Errorf("%s button's tooltip: %q, want %q", tc.what, got, tc.want)
		}
		h.moveAway()
		if got := h.tipShown(); got != "" {
			t.Errorf("%s button's tooltip %q still shown after the pointer left", tc.what, got)
		}
	}
	// The primary button's tip is the menu item it stands for.
	menu := h.ui.accountMenu(in.snap)
	if menu.Items[0].Label != in.mainBtn.tip {
		t.Errorf("refresh: menu says %q, button %q", menu.Items[0].Label, in.mainBtn.tip)
	}

	// The tip waits for the pointer to rest.
	_, at := shownAt(t, c, func(b *tipButton) bool { return b == in.copyBtn })
	test.MoveMouse(c, centre(in.copyBtn, at))
	if got := h.tipShown(); got != "" {
		t.Errorf("tooltip %q shown before the pointer rested", got)
	}
	h.moveAway()
	h.fire(tipDelay)
	if got := h.tipShown(); got != "" {
		t.Errorf("tooltip %q shown after the pointer left before the delay", got)
	}

	settings, _ := shownAt(t, c, func(b *tipButton) bool { return b.Icon != nil && b.Icon.Name() == "foreground_settings.svg" })
	if got := h.hoverFor(settings); got != "Settings" {
		t.Errorf("settings button's tooltip: %q", got)
	}
	// A tap gives way to what it opens.
	test.Tap(settings)
	if got := h.tipShown(); got != "" {
		t.Errorf("tooltip %q still shown after the tap", got)
	}
	h.topDialog().Hide()

	h.ui.tabs.SelectIndex(1)
	tok, _ := shownAt(t, c, func(r *tokenRow) bool { return r.tok.Label == "reports-pat" })
	if got := h.hoverFor(tok.copyBtn); got != "Copy reference token" {
		t.Errorf("reference token copy button's tooltip: %q", got)
	}
	if got := h.hoverFor(tok.moreBtn); got != "More actions" {
		t.Errorf("reference token more button's tooltip: %q", got)
	}
}

// TestRowMenusStayInsideWindow: a row's menus, opened from buttons at the
// window's right edge and on the lowest rows, lie wholly inside the window.
func TestRowMenusStayInsideWindow(t *testing.T) {
	h := windowHarness(t, sampleStatus())
	c := h.ui.Window().Canvas()
	_, area := c.InteractiveArea()
	check := func(what string, b *tipButton) {
		t.Helper()
		test.Tap(b)
		top := c.Overlays().Top()
		if top == nil {
			t.Fatalf("%s: no menu", what)
		}
		var menu *widget.PopUpMenu
		walkShown(top, top.Position(), func(o fyne.CanvasObject, _ fyne.Position) {
			if m, ok := o.(*widget.PopUpMenu); ok {
				menu = m
			}
		})
		if menu == nil {
			t.Fatalf("%s: no pop-up menu in the overlay", what)
		}
		p, s := menu.Position(), menu.Size()
		if p.X < 0 || p.Y < 0 || p.X+s.Width > area.Width || p.Y+s.Height > area.Height {
			t.Errorf("%s menu at %v, size %v: outside the window's %v", what, p, s, area)
		}
		if s.Width < menu.MinSize().Width || s.Height < menu.MinSize().Height {
			t.Errorf("%s menu squeezed to %v (needs %v)", what, s, menu.MinSize())
		}
		c.Overlays().Remove(top)
	}
	for _, name := range []string{"demodb", "prod", "github-api"} {
		r := shownRow(t, h, name)
		check(name+" more", r.moreBtn)
		if !r.copyBtn.Disabled() {
			check(name+" copy", r.copyBtn)
		}
	}
	h.ui.tabs.SelectIndex(1)
	tok, _ := shownAt(t, c, func(r *tokenRow) bool { return r.tok.Label == "forever" })
	check("reference token more", tok.moreBtn)
}

// TestErrorLineCutAtWordsShownWholeOnHoverAndTap: a failing account's
// error, too long for its column, is cut after a whole word with an
// ellipsis (Fyne's own truncation cut "provider answered HTTP 40…"); the
// whole text shows as a tooltip on hover and in the dialog a tap opens.
func TestErrorLineCutAtWordsShownWholeOnHoverAndTap(t *testing.T) {
	const full = "provider answered HTTP 401 Unauthorized: invalid_client, the client secret was rejected"
	st := sampleStatus()
	st.Accounts[2].LastError = full // tokenidp, failing
	h := windowHarness(t, st)
	c := h.ui.Window().Canvas()

	// What the canvas draws of the error.
	txt, at := shownAt(t, c, func(x *canvas.Text) bool { return strings.HasPrefix(x.Text, "provider") })
	shown, cut := strings.CutSuffix(txt.Text, "…")
	if !cut || shown == full {
		t.Fatalf("error shown as %q: want it cut with an ellipsis", txt.Text)
	}
	if !strings.HasPrefix(full, shown) || full[len(shown)] != ' ' && full[len(shown)] != ',' && full[len(shown)] != ':' {
		t.Errorf("error cut mid-word: %q", txt.Text)
	}

	test.MoveMouse(c, centre(txt, at))
	h.fire(tipDelay)
	if got := h.tipShown(); got != full {
		t.Errorf("tooltip on the error: %q, want the whole error", got)
	}

	// The badge above it shows the whole error on hover too.
	if got := h.hoverFor(shownRow(t, h, "tokenidp").badge); got != full {
		t.Errorf("tooltip on the badge: %q, want the whole error", got)
	}
	if got := h.hoverFor(shownRow(t, h, "demodb").badge); got != "" {
		t.Errorf("tooltip on a valid account's badge: %q", got)
	}
	h.moveAway()

	test.TapCanvas(c, centre(txt, at))
	d := h.topDialog()
	if d == nil {
		t.Fatal("tapping the error opened nothing")
	}
	if texts := labelsShown(d); !strings.Contains(texts, full) {
		t.Errorf("the dialog a tap opens does not hold the whole error: %q", texts)
	}
	if got := h.tipShown(); got != "" {
		t.Errorf("tooltip %q still shown under the dialog", got)
	}

	// An error that fits has no tooltip: it would only repeat it.
	prod := shownRow(t, h, "prod")
	h.ui.Window().Canvas().Overlays().Remove(d)
	if got := h.hoverFor(prod.detail); got != "" {
		t.Errorf("tooltip %q on an error shown whole", got)
	}
}

func TestFitWords(t *testing.T) {
	width := func(s string) float32 { return float32(len([]rune(s))) }
	for _, tc := range []struct {
		text string
		w    float32
		want string
	}{
		{"short", 10, "short"},
		{"provider answered HTTP 401", 25, "provider answered HTTP…"},
		{"provider answered HTTP 401", 23, "provider answered HTTP…"},
		{"provider answered HTTP 401", 22, "provider answered…"},
		{"a: b c", 4, "a…"},
		{"unbreakable_identifier and more", 5, "unbreakable_identifier…"},
		{"", 0, ""},
	} {
		if got := fitWords(tc.text, tc.w, width); got != tc.want {
			t.Errorf("fitWords(%q, %v) = %q, want %q", tc.text, tc.w, got, tc.want)
		}
	}
}

// typeShortcut presses shortcut s as Fyne's desktop driver delivers it
// (glfw window.triggersShortcut): to the focused widget when it is a
// fyne.Shortcutable, else to the canvas.
func typeShortcut(c fyne.Canvas, s fyne.Shortcut) {
	if f, ok := c.Focused().(fyne.Shortcutable); ok {
		f.TypedShortcut(s)
		return
	}
	c.(fyne.Shortcutable).TypedShortcut(s)
}

// TestShortcutsWorkWhileFilterFocused: Ctrl+N opens Add account and
// Ctrl+F focuses the filter from anywhere in the window, also while the
// filter itself has the focus (a focused entry took every shortcut and
// dropped Ctrl+N); the filter's own shortcuts still work.
func TestShortcutsWorkWhileFilterFocused(t *testing.T) {
	h := windowHarness(t, sampleStatus())
	c := h.ui.Window().Canvas()
	ctrl := func(k fyne.KeyName) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
	}

	typeShortcut(c, ctrl(fyne.KeyF))
	if c.Focused() != h.ui.accounts.filter {
		t.Fatalf("Ctrl+F focused %T, want the filter", c.Focused())
	}
	test.Type(h.ui.accounts.filter, "prod")
	if got := h.ui.accounts.filter.Text; got != "prod" {
		t.Fatalf("typed into the filter: %q", got)
	}
	typeShortcut(c, &fyne.ShortcutSelectAll{})
	if got := h.ui.accounts.filter.SelectedText(); got != "prod" {
		t.Errorf("Ctrl+A in the filter selected %q", got)
	}

	typeShortcut(c, ctrl(fyne.KeyN))
	d := h.topDialog()
	if d == nil || !strings.Contains(labelsShown(d), "Add account") {
		t.Fatalf("Ctrl+N with the filter focused: want Add account, have %v", d)
	}
	c.Overlays().Remove(d)

	// With the focus on the list, Ctrl+F brings it back to the filter.
	c.Focus(h.ui.accounts.list)
	typeShortcut(c, ctrl(fyne.KeyF))
	if c.Focused() != h.ui.accounts.filter {
		t.Errorf("Ctrl+F from the list focused %T, want the filter", c.Focused())
	}
}

// TestRenderTooltip: a tooltip near the window's right edge, kept inside.
func TestRenderTooltip(t *testing.T) {
	h := renderHarness(t, sampleStatus())
	h.hoverFor(shownRow(t, h, "demodb").moreBtn)
	test.AssertRendersToImage(t, "tooltip.png", h.ui.Window().Canvas())
}

// TestRenderAccountMenu: the more menu of a row at the window's right edge.
func TestRenderAccountMenu(t *testing.T) {
	h := renderHarness(t, sampleStatus())
	test.Tap(shownRow(t, h, "prod").moreBtn)
	test.AssertRendersToImage(t, "account_menu.png", h.ui.Window().Canvas())
}

// TestRenderErrorTooltip: a long error, cut after a word in its column,
// shown whole and wrapped in its tooltip.
func TestRenderErrorTooltip(t *testing.T) {
	st := sampleStatus()
	st.Accounts[2].LastError = "provider answered HTTP 401 Unauthorized: invalid_client, the client secret was rejected; " +
		"check the client ID and secret registered at the provider"
	h := renderHarness(t, st)
	h.hoverFor(shownRow(t, h, "tokenidp").detail)
	test.AssertRendersToImage(t, "error_tooltip.png", h.ui.Window().Canvas())
}

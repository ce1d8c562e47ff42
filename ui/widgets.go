package ui

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// themeColor looks a colour up in w's theme for the current variant.
func themeColor(w fyne.Widget, name fyne.ThemeColorName) color.Color {
	th := theme.Current()
	if b, ok := w.(interface{ Theme() fyne.Theme }); ok {
		th = b.Theme()
	}
	return th.Color(name, fyne.CurrentApp().Settings().ThemeVariant())
}

// badge is a small coloured pill naming a state. Tapping it runs OnTapped
// (the row uses it to show the full error text); resting the pointer on it
// shows its tip (the error), when it has one.
type badge struct {
	widget.BaseWidget
	Text     string
	Color    fyne.ThemeColorName
	OnTapped func()

	tips *tips
	tip  string
}

func newBadge(t *tips) *badge {
	b := &badge{Color: theme.ColorNamePlaceHolder, tips: t}
	b.ExtendBaseWidget(b)
	return b
}

func (b *badge) set(text string, c fyne.ThemeColorName) {
	if b.Text == text && b.Color == c {
		return
	}
	b.Text, b.Color = text, c
	b.Refresh()
}

// setTip changes the tooltip ("" for none).
func (b *badge) setTip(tip string) {
	if b.tip != tip {
		b.tip = tip
		b.tips.retext(b, tip)
	}
}

// MouseIn implements desktop.Hoverable.
func (b *badge) MouseIn(*desktop.MouseEvent) { b.tips.hover(b, b.tip) }

// MouseMoved implements desktop.Hoverable.
func (b *badge) MouseMoved(*desktop.MouseEvent) {}

// MouseOut implements desktop.Hoverable.
func (b *badge) MouseOut() { b.tips.leave(b) }

// Tapped implements fyne.Tappable.
func (b *badge) Tapped(*fyne.PointEvent) {
	b.tips.leave(b)
	if b.OnTapped != nil {
		b.OnTapped()
	}
}

func (b *badge) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(color.Transparent)
	txt := canvas.NewText("", color.Black)
	txt.TextStyle.Bold = true
	r := &badgeRenderer{b: b, bg: bg, txt: txt}
	r.Refresh()
	return r
}

type badgeRenderer struct {
	b   *badge
	bg  *canvas.Rectangle
	txt *canvas.Text
}

func (r *badgeRenderer) pad() fyne.Size {
	p := theme.Padding()
	return fyne.NewSize(p*1.5, p/2)
}

func (r *badgeRenderer) Layout(size fyne.Size) {
	ts, p := r.txt.MinSize(), r.pad()
	pill := fyne.NewSize(ts.Width+2*p.Width, ts.Height+2*p.Height)
	y := (size.Height - pill.Height) / 2
	r.bg.Move(fyne.NewPos(0, y))
	r.bg.Resize(pill)
	r.txt.Move(fyne.NewPos(p.Width, y+p.Height))
	r.txt.Resize(ts)
}

func (r *badgeRenderer) MinSize() fyne.Size {
	ts, p := r.txt.MinSize(), r.pad()
	return fyne.NewSize(ts.Width+2*p.Width, ts.Height+2*p.Height)
}

func (r *badgeRenderer) Refresh() {
	c := themeColor(r.b, r.b.Color)
	cr, cg, cb, _ := c.RGBA()
	r.bg.FillColor = color.NRGBA{R: uint8(cr >> 8), G: uint8(cg >> 8), B: uint8(cb >> 8), A: 0x33}
	r.bg.CornerRadius = theme.Padding() * 2
	r.txt.Text = r.b.Text
	r.txt.Color = c
	r.txt.TextSize = theme.CaptionTextSize() + 1
	r.bg.Refresh()
	r.txt.Refresh()
	r.Layout(r.b.Size())
}

func (r *badgeRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.txt} }
func (r *badgeRenderer) Destroy()                     {}

// lifeBar is a thin bar showing how much of a token's lifetime is left;
// lighter than widget.ProgressBar and coloured by urgency.
type lifeBar struct {
	widget.BaseWidget
	Value float64 // 0..1
}

func newLifeBar() *lifeBar {
	b := &lifeBar{}
	b.ExtendBaseWidget(b)
	return b
}

// lifeBarSteps is the bar's resolution, finer than its width in pixels:
// a one-hour token's bar is redrawn every 14 s instead of every second.
const lifeBarSteps = 256

func (b *lifeBar) set(v float64) {
	v = math.Round(v*lifeBarSteps) / lifeBarSteps
	if b.Value == v {
		return
	}
	b.Value = v
	b.Refresh()
}

// barColor is green while plenty is left, amber in the last fifth.
func barColor(v float64) fyne.ThemeColorName {
	if v < 0.2 {
		return theme.ColorNameWarning
	}
	return theme.ColorNameSuccess
}

func (b *lifeBar) CreateRenderer() fyne.WidgetRenderer {
	r := &lifeBarRenderer{b: b, bg: canvas.NewRectangle(color.Transparent), fg: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

type lifeBarRenderer struct {
	b      *lifeBar
	bg, fg *canvas.Rectangle
}

const lifeBarHeight = 5

func (r *lifeBarRenderer) Layout(size fyne.Size) {
	y := (size.Height - lifeBarHeight) / 2
	r.bg.Move(fyne.NewPos(0, y))
	r.bg.Resize(fyne.NewSize(size.Width, lifeBarHeight))
	r.fg.Move(fyne.NewPos(0, y))
	r.fg.Resize(fyne.NewSize(size.Width*float32(r.b.Value), lifeBarHeight))
}

func (r *lifeBarRenderer) MinSize() fyne.Size { return fyne.NewSize(40, lifeBarHeight) }

func (r *lifeBarRenderer) Refresh() {
	r.bg.FillColor = themeColor(r.b, theme.ColorNameInputBackground)
	r.fg.FillColor = themeColor(r.b, barColor(r.b.Value))
	r.bg.CornerRadius, r.fg.CornerRadius = lifeBarHeight/2, lifeBarHeight/2
	r.Layout(r.b.Size())
	r.bg.Refresh()
	r.fg.Refresh()
}

func (r *lifeBarRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.fg} }
func (r *lifeBarRenderer) Destroy()                     {}

// columns lays objects out side by side with widths in proportion to
// weights, so every list row and its header line up.
type columns []float32

func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	var total float32
	for _, w := range c {
		total += w
	}
	avail := size.Width - pad*float32(len(objs)-1)
	x := float32(0)
	for i, o := range objs {
		w := avail * c[i] / total
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

func (c columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		m := o.MinSize()
		w += m.Width
		h = max(h, m.Height)
	}
	return fyne.NewSize(w+theme.Padding()*float32(len(objs)-1), h)
}

// setLabel shows text in importance imp, refreshing l only when either
// changed: rows are re-set every second, and a Label refresh re-measures
// and re-lays out its text even when nothing changed.
func setLabel(l *widget.Label, text string, imp widget.Importance) {
	if l.Text == text && l.Importance == imp {
		return
	}
	l.Text, l.Importance = text, imp
	l.Refresh()
}

// setEnabled enables or disables b, touching it only on a change.
func setEnabled(b *widget.Button, on bool) {
	switch {
	case on && b.Disabled():
		b.Enable()
	case !on && !b.Disabled():
		b.Disable()
	}
}

// setIcon changes b's icon only when it differs.
func setIcon(b *widget.Button, icon fyne.Resource) {
	if b.Icon != icon {
		b.SetIcon(icon)
	}
}

// small returns a label in the caption size, for second lines of rows.
func small(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameCaptionText
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// rowHeading is a list row's bold title and the smaller line under it.
func rowHeading() (title, sub *widget.Label) {
	title = widget.NewLabel("")
	title.TextStyle.Bold = true
	title.Truncation = fyne.TextTruncateEllipsis
	sub = small("")
	sub.Importance = widget.MediumImportance
	return title, sub
}

// iconButton is a compact, icon-only row action; tip names the action.
func (u *UI) iconButton(tip string, icon fyne.Resource, tapped func()) *tipButton {
	b := newTipButton(u.tips, tip, icon, tapped)
	b.Importance = widget.LowImportance
	return b
}

// popUpBelow shows menu under the object that opened it, or above it when
// there is no room below, moved left as far as it must to stay inside the
// window: the row actions sit at the window's right edge.
func popUpBelow(menu *fyne.Menu, c fyne.Canvas, under fyne.CanvasObject) {
	m := widget.NewPopUpMenu(menu, c)
	size := m.MinSize()
	_, area := c.InteractiveArea()
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(under)
	pos := at.AddXY(0, under.Size().Height)
	if pos.Y+size.Height > area.Height && at.Y-size.Height >= 0 {
		pos.Y = at.Y - size.Height
	}
	m.ShowAtPosition(clampInto(pos, size, area))
}

// filterEntry is the filter box. A focused widget.Entry takes every
// shortcut and drops those it has no use for: Fyne's driver hands a
// shortcut to the focused widget when it is a fyne.Shortcutable and to the
// canvas only otherwise, so the window's Ctrl+N did nothing while the
// filter had the focus. filterEntry gives the window's shortcuts to the
// window first.
type filterEntry struct {
	widget.Entry
	window func(fyne.Shortcut) bool // runs a window shortcut; false: not one
}

func newFilterEntry(window func(fyne.Shortcut) bool) *filterEntry {
	e := &filterEntry{window: window}
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut implements fyne.Shortcutable.
func (e *filterEntry) TypedShortcut(s fyne.Shortcut) {
	if e.window(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Fyne 2.7 has no tooltips (fyne-io/fyne#1650 is open; its maintainers
// suggest a widget that shows a pop-up on hover). The add-on the Fyne
// community uses, github.com/dweymouth/fyne-tooltip, is not served by the
// module proxy this project builds from, and fyne-x has none, so the
// window has its own: tipButton and tipLabel are desktop.Hoverable and
// tell the window's tips, which draws one bubble at a time in a layer over
// the window's content. The layer holds only non-interactive objects, so
// it never takes a hover or a tap from what lies under it (Fyne delivers
// pointer events to the deepest Hoverable or Tappable object at the
// point, skipping others). A pop-up in the canvas's overlays would: the
// hovered button would get MouseOut as it appeared, and the tip flicker.

// tipDelay is how long the pointer rests on a widget before its tip shows,
// about what GTK and Qt wait.
const tipDelay = 500 * time.Millisecond

// tipMaxWidth is where a long tip (a provider's error) wraps.
const tipMaxWidth = 380

// tips shows the tooltip of the widget under the pointer.
type tips struct {
	u     *UI
	layer *fyne.Container // over the window's content, no layout
	owner fyne.CanvasObject
	text  string
	stop  func() bool // the pending show, nil when none
}

func newTips(u *UI) *tips {
	return &tips{u: u, layer: container.NewWithoutLayout()}
}

// hover starts the wait before owner's tip shows; the pointer came to rest
// on it.
func (t *tips) hover(owner fyne.CanvasObject, text string) {
	t.leave(nil)
	if text == "" {
		return
	}
	t.owner, t.text = owner, text
	t.stop = t.u.afterFunc(tipDelay, func() {
		t.u.toUI(func() {
			if t.owner == owner && t.stop != nil {
				t.stop = nil
				t.show()
			}
		})
	})
}

// leave hides owner's tip or stops it from showing; nil: whatever tip.
func (t *tips) leave(owner fyne.CanvasObject) {
	if owner != nil && owner != t.owner {
		return
	}
	if t.stop != nil {
		t.stop()
		t.stop = nil
	}
	t.owner, t.text = nil, ""
	if len(t.layer.Objects) > 0 {
		t.layer.Objects = nil
		t.layer.Refresh()
	}
}

// retext changes the text of owner's tip, also while it shows.
func (t *tips) retext(owner fyne.CanvasObject, text string) {
	if owner != t.owner || text == t.text {
		return
	}
	if text == "" {
		t.leave(owner)
		return
	}
	t.text = text
	if len(t.layer.Objects) > 0 {
		t.show()
	}
}

// show draws the bubble under its owner, or above it when there is no
// room below, kept inside the window.
func (t *tips) show() {
	th := theme.Current()
	v := t.u.app.Settings().ThemeVariant()
	label := widget.NewLabel(t.text)
	label.SizeName = theme.SizeNameCaptionText
	label.Wrapping = fyne.TextWrapWord
	pad := th.Size(theme.SizeNameInnerPadding)
	one := fyne.MeasureText(t.text, th.Size(theme.SizeNameCaptionText), fyne.TextStyle{})
	width := min(one.Width+2*pad+1, tipMaxWidth, t.layer.Size().Width)
	label.Resize(fyne.NewSize(width, 0)) // a wrapped label's height follows its width
	size := fyne.NewSize(width, label.MinSize().Height)
	label.Resize(size)

	bg := canvas.NewRectangle(th.Color(theme.ColorNameOverlayBackground, v))
	bg.StrokeColor = th.Color(theme.ColorNameShadow, v)
	bg.StrokeWidth = 1
	bg.CornerRadius = th.Size(theme.SizeNameInputRadius)
	bg.Resize(size)

	// The layer spans the window's content: place the bubble in its
	// coordinates.
	d := fyne.CurrentApp().Driver()
	at := d.AbsolutePositionForObject(t.owner).Subtract(d.AbsolutePositionForObject(t.layer))
	area, osz := t.layer.Size(), t.owner.Size()
	gap := th.Size(theme.SizeNamePadding)
	pos := fyne.NewPos(at.X, at.Y+osz.Height+gap)
	if pos.Y+size.Height > area.Height {
		pos.Y = at.Y - gap - size.Height
	}
	pos = clampInto(pos, size, area)
	bg.Move(pos)
	label.Move(pos)
	t.layer.Objects = []fyne.CanvasObject{bg, label}
	t.layer.Refresh()
}

// clampInto moves pos so that a box of size at pos lies inside area (at
// its top left when it is larger).
func clampInto(pos fyne.Position, size, area fyne.Size) fyne.Position {
	pos.X = max(0, min(pos.X, area.Width-size.Width))
	pos.Y = max(0, min(pos.Y, area.Height-size.Height))
	return pos
}

// tipButton is an icon button whose tooltip names its action: the only
// words an icon-only button has.
type tipButton struct {
	widget.Button
	tips *tips
	tip  string
}

var _ desktop.Hoverable = (*tipButton)(nil)

func newTipButton(t *tips, tip string, icon fyne.Resource, tapped func()) *tipButton {
	b := &tipButton{tips: t, tip: tip}
	b.Icon, b.OnTapped = icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// setTip changes the tooltip, touching nothing when it is the same.
func (b *tipButton) setTip(tip string) {
	if b.tip != tip {
		b.tip = tip
		b.tips.retext(b, tip)
	}
}

// MouseIn implements desktop.Hoverable.
func (b *tipButton) MouseIn(e *desktop.MouseEvent) {
	b.Button.MouseIn(e)
	b.tips.hover(b, b.tip)
}

// MouseOut implements desktop.Hoverable.
func (b *tipButton) MouseOut() {
	b.Button.MouseOut()
	b.tips.leave(b)
}

// Tapped implements fyne.Tappable: the tip gives way to what the tap opens.
func (b *tipButton) Tapped(e *fyne.PointEvent) {
	b.tips.leave(b)
	b.Button.Tapped(e)
}

// tipLabel is a one-line caption label that, when its text does not fit,
// cuts it at a word boundary with an ellipsis (Fyne's own truncation cuts
// mid-word: "provider answered HTTP 40…") and shows the whole text as its
// tooltip. Tapping it runs OnTapped (the row shows the state's
// explanation with the full error).
type tipLabel struct {
	widget.BaseWidget
	Text       string
	Importance widget.Importance
	OnTapped   func()

	tips  *tips
	label *widget.Label // shows the fitted text
}

var (
	_ desktop.Hoverable = (*tipLabel)(nil)
	_ fyne.Tappable     = (*tipLabel)(nil)
)

func newTipLabel(t *tips) *tipLabel {
	l := &tipLabel{tips: t, label: small("")}
	l.ExtendBaseWidget(l)
	return l
}

// set shows text in importance imp, refreshing only on a change (rows are
// re-set every second).
func (l *tipLabel) set(text string, imp widget.Importance) {
	if l.Text == text && l.Importance == imp {
		return
	}
	l.Text, l.Importance = text, imp
	l.Refresh()
	l.tips.retext(l, l.tip())
}

// tip is the whole text when it is cut, else nothing.
func (l *tipLabel) tip() string {
	if l.label.Text == l.Text {
		return ""
	}
	return l.Text
}

// MouseIn implements desktop.Hoverable.
func (l *tipLabel) MouseIn(*desktop.MouseEvent) { l.tips.hover(l, l.tip()) }

// MouseMoved implements desktop.Hoverable.
func (l *tipLabel) MouseMoved(*desktop.MouseEvent) {}

// MouseOut implements desktop.Hoverable.
func (l *tipLabel) MouseOut() { l.tips.leave(l) }

// Tapped implements fyne.Tappable.
func (l *tipLabel) Tapped(*fyne.PointEvent) {
	l.tips.leave(l)
	if l.OnTapped != nil {
		l.OnTapped()
	}
}

func (l *tipLabel) CreateRenderer() fyne.WidgetRenderer {
	return &tipLabelRenderer{l: l}
}

type tipLabelRenderer struct{ l *tipLabel }

func (r *tipLabelRenderer) Layout(size fyne.Size) {
	lb := r.l.label
	th := theme.Current()
	avail := size.Width - 2*th.Size(theme.SizeNameInnerPadding)
	fitted := fitWords(r.l.Text, avail, func(s string) float32 {
		return fyne.MeasureText(s, th.Size(lb.SizeName), lb.TextStyle).Width
	})
	if lb.Text != fitted || lb.Importance != r.l.Importance {
		lb.Text, lb.Importance = fitted, r.l.Importance
		lb.Refresh()
	}
	lb.Resize(size)
}

// MinSize is the label's: with its truncation, little wider than an
// ellipsis, so the text gives way to the columns.
func (r *tipLabelRenderer) MinSize() fyne.Size {
	return r.l.label.MinSize() // the label's own ellipsis
}

func (r *tipLabelRenderer) Refresh() { r.Layout(r.l.Size()) }

func (r *tipLabelRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.l.label} }
func (r *tipLabelRenderer) Destroy()                     {}

// ellipsis ends a text cut short.
const ellipsis = "…"

// fitWords is text when it fits in width as width measures it, else its
// longest run of whole words that fits with an ellipsis after it. When not
// even the first word fits, it is the first word and Fyne's truncation
// (the label's) cuts that, as nothing else can.
func fitWords(text string, width float32, measure func(string) float32) string {
	if text == "" || measure(text) <= width {
		return text
	}
	best := ""
	for i, r := range text {
		if r != ' ' || i == 0 {
			continue
		}
		cand := strings.TrimRight(text[:i], " ,;:")
		if measure(cand+ellipsis) > width {
			break
		}
		best = cand
	}
	if best == "" {
		first, _, _ := strings.Cut(text, " ")
		return first + ellipsis
	}
	return best + ellipsis
}

// Command minimalfyne is scripts/bench's baseline (SPEC §12): the smallest
// Fyne window that does periodic work, one label updated once a second, at
// Tokenkeeper's window size. Tokenkeeper's window is measured against it
// the same way (start to mapped, RSS, CPU).
package main

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("net.tokenkeeper.bench.minimal")
	w := a.NewWindow("Minimal")
	label := widget.NewLabel(time.Now().Format(time.TimeOnly))
	w.SetContent(label)
	w.Resize(fyne.NewSize(1060, 620))
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for now := range t.C {
			fyne.Do(func() { label.SetText(now.Format(time.TimeOnly)) })
		}
	}()
	w.ShowAndRun()
}

// Command minimalfyne is scripts/bench's baseline (SPEC §12): the smallest
// Fyne window that does periodic work, one label updated once a second, at
// Tokenkeeper's window size. Tokenkeeper's window is measured against it
// the same way (start to mapped, RSS, CPU). With -hidden the window is
// never shown: the idle floor of a running Fyne app with nothing visible.
package main

import (
	"flag"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	hidden := flag.Bool("hidden", false, "never show the window")
	flag.Parse()
	a := app.NewWithID("net.tokenkeeper.bench.minimal")
	w := a.NewWindow("Minimal")
	label := widget.NewLabel(time.Now().Format(time.TimeOnly))
	w.SetContent(label)
	w.Resize(fyne.NewSize(1060, 620))
	if *hidden {
		// Nothing visible, nothing to update: like Tokenkeeper in the tray.
		a.Run()
		return
	}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for now := range t.C {
			fyne.Do(func() { label.SetText(now.Format(time.TimeOnly)) })
		}
	}()
	w.ShowAndRun()
}

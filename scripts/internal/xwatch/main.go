// Command xwatch waits for a top-level window to be shown on an X display
// and looks at it as a user would: it takes the window's picture, writes it
// as PNG and counts its bright green pixels (Tokenkeeper's "valid" badge
// and countdown bars; a signed-out list has none). The Windows window
// smoke under Wine uses it (scripts/internal/wine/window-smoke.sh), where
// the window is a Wine X11 window like any other.
//
// Usage:
//
//	xwatch -name TITLE [-green N] [-timeout 90s] [-out shot.png]
//
// It polls until a viewable window named TITLE exists and, with -green N,
// until it shows at least N green pixels; then it writes the picture to
// -out and prints "green=COUNT". It exits 1 when the timeout passes first,
// having written the last picture it took (if any), so a failure can be
// looked at.
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

func main() {
	name := flag.String("name", "", "the window's title (WM_NAME), exactly")
	green := flag.Int("green", 0, "wait until the window shows at least this many bright green pixels")
	timeout := flag.Duration("timeout", 90*time.Second, "give up after this long")
	out := flag.String("out", "", "write the window's picture here (PNG)")
	flag.Parse()
	if *name == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*name, *green, *timeout, *out); err != nil {
		fmt.Fprintln(os.Stderr, "xwatch:", err)
		os.Exit(1)
	}
}

func run(name string, green int, timeout time.Duration, out string) error {
	x, err := xgb.NewConn()
	if err != nil {
		return err
	}
	defer x.Close()
	root := xproto.Setup(x).DefaultScreen(x).Root
	deadline := time.Now().Add(timeout)
	var last *image.RGBA
	var lastErr error
	for {
		win, err := find(x, root, name)
		if err == nil {
			last, err = shot(x, win)
		}
		if err == nil {
			n := countGreen(last)
			if n >= green {
				fmt.Printf("green=%d\n", n)
				return save(last, out)
			}
			err = fmt.Errorf("window %q shows %d green pixels, want at least %d", name, n, green)
		}
		lastErr = err
		if time.Now().After(deadline) {
			if last != nil {
				_ = save(last, out)
			}
			return fmt.Errorf("after %v: %w", timeout, lastErr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var errNoWindow = errors.New("no such window shown")

// find returns a viewable top-level window titled name (Wine maps each
// Windows top-level window as a child of the root).
func find(x *xgb.Conn, root xproto.Window, name string) (xproto.Window, error) {
	tree, err := xproto.QueryTree(x, root).Reply()
	if err != nil {
		return 0, err
	}
	for _, w := range tree.Children {
		attr, err := xproto.GetWindowAttributes(x, w).Reply()
		if err != nil || attr.MapState != xproto.MapStateViewable {
			continue
		}
		p, err := xproto.GetProperty(x, false, w, xproto.AtomWmName, xproto.GetPropertyTypeAny, 0, 256).Reply()
		if err == nil && string(p.Value) == name {
			return w, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", errNoWindow, name)
}

// shot reads the window's pixels (ZPixmap, 32 bits per pixel as Xvfb's
// 24-bit TrueColor visual gives them: B, G, R, unused).
func shot(x *xgb.Conn, w xproto.Window) (*image.RGBA, error) {
	g, err := xproto.GetGeometry(x, xproto.Drawable(w)).Reply()
	if err != nil {
		return nil, err
	}
	img, err := xproto.GetImage(x, xproto.ImageFormatZPixmap, xproto.Drawable(w), 0, 0, g.Width, g.Height, 0xffffffff).Reply()
	if err != nil {
		return nil, err
	}
	width, height := int(g.Width), int(g.Height)
	if len(img.Data) < width*height*4 {
		return nil, fmt.Errorf("image of %d bytes for %dx%d: not 32 bits per pixel", len(img.Data), width, height)
	}
	rgba := image.NewRGBA(image.Rect(0, 0, width, height))
	for i := 0; i < width*height; i++ {
		b, gr, r := img.Data[4*i], img.Data[4*i+1], img.Data[4*i+2]
		rgba.SetRGBA(i%width, i/width, color.RGBA{R: r, G: gr, B: b, A: 0xff})
	}
	return rgba, nil
}

func countGreen(img *image.RGBA) int {
	n := 0
	for i := 0; i < len(img.Pix); i += 4 {
		r, g, b := img.Pix[i], img.Pix[i+1], img.Pix[i+2]
		if g >= 180 && r <= 140 && b <= 140 {
			n++
		}
	}
	return n
}

func save(img *image.RGBA, path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

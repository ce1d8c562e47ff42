// Package x11cliptest is a private Xvfb and a second X client that reads
// and takes the CLIPBOARD selection as a pasting application does, for the
// clipboard's tests and the agent's smoke tests.
package x11cliptest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// hangLimit only ends a test that would otherwise hang; no result depends
// on it.
const hangLimit = 30 * time.Second

// StartXvfb starts a private X server on a display it picks itself
// (-displayfd) and returns ":N"; it is stopped when the test ends.
func StartXvfb(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("needs Xvfb (apt-get install xvfb, or scripts/setup --test)")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(hangLimit):
			cmd.Process.Kill()
			<-done
		}
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n') // EOF if Xvfb died
		got <- strings.TrimSpace(line)
	}()
	var num string
	select {
	case num = <-got:
	case <-time.After(hangLimit):
	}
	if _, err := strconv.Atoi(num); err != nil {
		cmd.Process.Kill()
		<-done
		t.Fatalf("Xvfb gave no display number (%q): %s", num, logs.String())
	}
	return ":" + num
}

// Client is a second X client, as a pasting application is.
type Client struct {
	t      testing.TB
	conn   *xgb.Conn
	Win    xproto.Window // its window, the owner after Take
	events chan xgb.Event
}

// NewClient connects to display until the test ends.
func NewClient(t testing.TB, display string) *Client {
	t.Helper()
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	win, err := xproto.NewWindowId(conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreateWindowChecked(conn, 0, win, root, 0, 0, 1, 1, 0, xproto.WindowClassInputOnly, 0, 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	c := &Client{t: t, conn: conn, Win: win, events: make(chan xgb.Event, 16)}
	go func() {
		for {
			ev, xerr := conn.WaitForEvent()
			if ev == nil && xerr == nil {
				close(c.events)
				return
			}
			if ev != nil {
				c.events <- ev
			}
		}
	}()
	return c
}

// Atom interns name.
func (c *Client) Atom(name string) xproto.Atom {
	c.t.Helper()
	r, err := xproto.InternAtom(c.conn, false, uint16(len(name)), name).Reply()
	if err != nil {
		c.t.Fatal(err)
	}
	return r.Atom
}

// Conn is the client's X connection, for requests the helpers lack.
func (c *Client) Conn() *xgb.Conn { return c.conn }

// Owner is the CLIPBOARD's owner window, 0 for none.
func (c *Client) Owner() xproto.Window {
	c.t.Helper()
	r, err := xproto.GetSelectionOwner(c.conn, c.Atom("CLIPBOARD")).Reply()
	if err != nil {
		c.t.Fatal(err)
	}
	return r.Owner
}

// Read converts CLIPBOARD to target as a pasting client does (ICCCM
// §2.4) and returns the data and its type; ok is false when the
// conversion was refused.
func (c *Client) Read(target string) (data []byte, typ xproto.Atom, ok bool) {
	c.t.Helper()
	prop := c.Atom("TK_TEST_PASTE")
	xproto.ConvertSelection(c.conn, c.Win, c.Atom("CLIPBOARD"), c.Atom(target), prop, xproto.TimeCurrentTime)
	deadline := time.After(hangLimit)
	for {
		select {
		case ev := <-c.events:
			n, isNotify := ev.(xproto.SelectionNotifyEvent)
			if !isNotify {
				continue
			}
			if n.Property == xproto.AtomNone {
				return nil, 0, false
			}
			r, err := xproto.GetProperty(c.conn, true, c.Win, n.Property, xproto.GetPropertyTypeAny, 0, 1<<20).Reply()
			if err != nil {
				c.t.Fatal(err)
			}
			return r.Value, r.Type, true
		case <-deadline:
			c.t.Fatalf("no SelectionNotify for %s", target)
		}
	}
}

// Take makes the client the clipboard's owner, as copying elsewhere does.
func (c *Client) Take() {
	c.t.Helper()
	if err := xproto.SetSelectionOwnerChecked(c.conn, c.Win, c.Atom("CLIPBOARD"), xproto.TimeCurrentTime).Check(); err != nil {
		c.t.Fatal(err)
	}
	if got := c.Owner(); got != c.Win {
		c.t.Fatalf("the test client could not take the clipboard (owner %d)", got)
	}
}

package x11clip

import "time"

// SetAfterFunc puts the test's timers in place of time.AfterFunc.
func (c *Clipboard) SetAfterFunc(f func(time.Duration, func()) func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.afterFunc = f
}

// Window is the hidden window that owns the selection.
func (c *Clipboard) Window() uint32 { return uint32(c.win) }

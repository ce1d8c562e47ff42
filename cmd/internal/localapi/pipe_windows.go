package localapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The agent's endpoint on Windows is a named pipe, the system's own local
// IPC with an access list (Docker, OpenSSH's ssh-agent and tailscaled use
// one the same way); AF_UNIX exists only on Windows 10 1803 and later and
// has no peer credentials. The pipe is opened for overlapped I/O, and each
// Read, Write and Accept waits on an event of its own beside the close and
// deadline events (WaitForMultipleObjects), which gives net.Conn's
// deadlines and a Close that ends I/O in flight. github.com/Microsoft/go-winio
// does this through an I/O completion port instead, but under Wine 8, where
// this project's Windows tests run, its first Write never completes (tried:
// DialPipe succeeds, the server's Accept never returns); plain events work
// on both.

// pipeConn is one end of a connected pipe instance.
type pipeConn struct {
	h       windows.Handle
	closing windows.Handle // manual-reset event, set by Close
	closed  atomic.Bool
	once    sync.Once
	r, w    *pipeIO
	addr    pipeAddr
}

// pipeIO is one direction's state: one operation at a time, its
// OVERLAPPED (on the heap: the system writes to it until the operation
// completes), and its deadline.
type pipeIO struct {
	mu       sync.Mutex
	ov       windows.Overlapped
	wake     windows.Handle // auto-reset event: the deadline moved
	deadline atomic.Int64   // UnixNano; 0 is none
}

type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }

func newEvent(manual bool) (windows.Handle, error) {
	var m uint32
	if manual {
		m = 1
	}
	return windows.CreateEvent(nil, m, 0, nil)
}

func newPipeIO() (*pipeIO, error) {
	done, err := newEvent(true)
	if err != nil {
		return nil, err
	}
	wake, err := newEvent(false)
	if err != nil {
		windows.CloseHandle(done)
		return nil, err
	}
	return &pipeIO{ov: windows.Overlapped{HEvent: done}, wake: wake}, nil
}

func (p *pipeIO) close() {
	windows.CloseHandle(p.ov.HEvent)
	windows.CloseHandle(p.wake)
}

// newPipeConn takes h, a pipe handle opened for overlapped I/O; it is
// closed on error.
func newPipeConn(h windows.Handle, name string) (*pipeConn, error) {
	c := &pipeConn{h: h, addr: pipeAddr(name)}
	var err error
	if c.closing, err = newEvent(true); err == nil {
		if c.r, err = newPipeIO(); err == nil {
			if c.w, err = newPipeIO(); err != nil {
				c.r.close()
			}
		}
		if err != nil {
			windows.CloseHandle(c.closing)
		}
	}
	if err != nil {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("agent pipe: %w", err)
	}
	return c, nil
}

func (c *pipeConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, err := c.io(c.r, b, false)
	if n == 0 && brokenPipe(err) {
		return 0, io.EOF
	}
	return n, err
}

func (c *pipeConn) Write(b []byte) (int, error) {
	var sent int
	for sent < len(b) {
		n, err := c.io(c.w, b[sent:], true)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// brokenPipe reports the errors that mean the other end closed.
func brokenPipe(err error) bool {
	return errors.Is(err, windows.ERROR_BROKEN_PIPE) || errors.Is(err, windows.ERROR_PIPE_NOT_CONNECTED) ||
		errors.Is(err, windows.ERROR_NO_DATA)
}

// io starts one overlapped ReadFile or WriteFile and waits until it
// completes, the connection is closed or the deadline passes; the last two
// cancel it (CancelIoEx) and wait for the cancellation, so the buffer and
// the OVERLAPPED are the system's no longer when io returns.
func (c *pipeConn) io(p *pipeIO, b []byte, write bool) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	if d := p.deadline.Load(); d != 0 && time.Now().UnixNano() >= d {
		return 0, os.ErrDeadlineExceeded
	}
	if err := windows.ResetEvent(p.ov.HEvent); err != nil {
		return 0, err
	}
	var err error
	if write {
		err = windows.WriteFile(c.h, b, nil, &p.ov)
	} else {
		err = windows.ReadFile(c.h, b, nil, &p.ov)
	}
	if err != nil && err != windows.ERROR_IO_PENDING {
		return 0, c.opErr(write, err)
	}
	stop := c.await(p)
	var n uint32
	err = windows.GetOverlappedResult(c.h, &p.ov, &n, true)
	if err == nil {
		return int(n), nil
	}
	if stop != nil && err == windows.ERROR_OPERATION_ABORTED {
		return int(n), stop
	}
	return int(n), c.opErr(write, err)
}

// await waits for p's operation to complete, or cancels it at Close or its
// deadline and says which.
func (c *pipeConn) await(p *pipeIO) error {
	handles := []windows.Handle{p.ov.HEvent, c.closing, p.wake}
	for {
		ms := uint32(windows.INFINITE)
		if d := p.deadline.Load(); d != 0 {
			left := time.Until(time.Unix(0, d))
			if left <= 0 {
				windows.CancelIoEx(c.h, &p.ov)
				return os.ErrDeadlineExceeded
			}
			ms = uint32(min(left.Milliseconds()+1, windows.INFINITE-1))
		}
		ev, err := windows.WaitForMultipleObjects(handles, false, ms)
		switch {
		case err != nil:
			windows.CancelIoEx(c.h, &p.ov)
			return err
		case ev == windows.WAIT_OBJECT_0:
			return nil
		case ev == windows.WAIT_OBJECT_0+1:
			windows.CancelIoEx(c.h, &p.ov)
			return net.ErrClosed
		}
		// The deadline moved, or its time came: look again.
	}
}

func (c *pipeConn) opErr(write bool, err error) error {
	op := "read"
	if write {
		op = "write"
	}
	return &net.OpError{Op: op, Net: "pipe", Addr: c.addr, Err: err}
}

// Close ends the connection: I/O in flight returns net.ErrClosed. Data
// already written stays readable by the other end (the handle is closed,
// not disconnected: DisconnectNamedPipe would discard it).
func (c *pipeConn) Close() error {
	c.once.Do(func() {
		c.closed.Store(true)
		windows.SetEvent(c.closing)
		c.r.mu.Lock() // the operations in flight have ended
		c.w.mu.Lock()
		windows.CloseHandle(c.h)
		c.r.close()
		c.w.close()
		windows.CloseHandle(c.closing)
		c.w.mu.Unlock()
		c.r.mu.Unlock()
	})
	return nil
}

func (c *pipeConn) LocalAddr() net.Addr  { return c.addr }
func (c *pipeConn) RemoteAddr() net.Addr { return c.addr }

func (c *pipeConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

func (c *pipeConn) SetReadDeadline(t time.Time) error  { return c.setDeadline(c.r, t) }
func (c *pipeConn) SetWriteDeadline(t time.Time) error { return c.setDeadline(c.w, t) }

func (c *pipeConn) setDeadline(p *pipeIO, t time.Time) error {
	if c.closed.Load() {
		return net.ErrClosed
	}
	var d int64
	if !t.IsZero() {
		d = t.UnixNano()
	}
	p.deadline.Store(d)
	// An operation waiting looks at its deadline again. (Close holds mu
	// while it closes the event, and closed is set before: a SetEvent
	// racing Close fails harmlessly on a closed handle.)
	windows.SetEvent(p.wake)
	return nil
}

// pipeListener accepts connections on a named pipe: one instance always
// waits for the next client (so the name exists while the agent runs, and
// a client finding no name knows there is no agent), and every client
// must be this user (its process's token user SID), as the access list
// already demands.
type pipeListener struct {
	name    string
	sa      *windows.SecurityAttributes
	self    *windows.SID
	closing windows.Handle
	closed  atomic.Bool
	once    sync.Once
	mu      sync.Mutex // one Accept at a time; Close waits for it
	next    windows.Handle
	ov      windows.Overlapped
	log     atomic.Pointer[slog.Logger]
}

// The instance flags: a byte stream both ways, for local clients only.
const (
	pipeOpen = windows.PIPE_ACCESS_DUPLEX | windows.FILE_FLAG_OVERLAPPED
	pipeMode = windows.PIPE_TYPE_BYTE | windows.PIPE_READMODE_BYTE | windows.PIPE_WAIT | windows.PIPE_REJECT_REMOTE_CLIENTS
	pipeBuf  = 64 << 10
)

// listenPipe makes the pipe's first instance. FILE_FLAG_FIRST_PIPE_INSTANCE
// fails when the name exists already, so an instance someone else made
// first (they could then read what clients send) is never joined.
func listenPipe(name string, self *windows.SID) (*pipeListener, error) {
	// Only this user, not even Administrators or SYSTEM, may open it: the
	// same rule as the socket's 0600 (SDDL: protected DACL, one entry).
	sd, err := windows.SecurityDescriptorFromString("D:P(A;;GA;;;" + self.String() + ")")
	if err != nil {
		return nil, fmt.Errorf("agent pipe: %w", err)
	}
	l := &pipeListener{name: name, self: self}
	l.sa = &windows.SecurityAttributes{SecurityDescriptor: sd}
	l.sa.Length = uint32(unsafe.Sizeof(*l.sa))
	if l.closing, err = newEvent(true); err != nil {
		return nil, fmt.Errorf("agent pipe: %w", err)
	}
	if l.ov.HEvent, err = newEvent(true); err != nil {
		windows.CloseHandle(l.closing)
		return nil, fmt.Errorf("agent pipe: %w", err)
	}
	if l.next, err = l.instance(true); err != nil {
		windows.CloseHandle(l.closing)
		windows.CloseHandle(l.ov.HEvent)
		return nil, err
	}
	return l, nil
}

func (l *pipeListener) instance(first bool) (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString(l.name)
	if err != nil {
		return 0, err
	}
	flags := uint32(pipeOpen)
	if first {
		flags |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
	}
	h, err := windows.CreateNamedPipe(name, flags, pipeMode, windows.PIPE_UNLIMITED_INSTANCES, pipeBuf, pipeBuf, 0, l.sa)
	if err != nil {
		if first && err == windows.ERROR_ACCESS_DENIED {
			return 0, fmt.Errorf("agent pipe %s: it exists and is not this agent's: %w", l.name, errForeignPeer)
		}
		return 0, fmt.Errorf("agent pipe %s: %w", l.name, err)
	}
	return h, nil
}

func (l *pipeListener) setLog(log *slog.Logger) { l.log.Store(log) }

func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.name) }

func (l *pipeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if l.closed.Load() {
			return nil, net.ErrClosed
		}
		h := l.next
		if err := l.connect(h); err != nil {
			if errors.Is(err, windows.ERROR_NO_DATA) {
				// The client came and went already: reuse the instance.
				windows.DisconnectNamedPipe(h)
				continue
			}
			return nil, err
		}
		// The next instance exists before this one is handed over, so
		// the name never disappears while the agent runs.
		next, err := l.instance(false)
		if err != nil {
			windows.DisconnectNamedPipe(h)
			return nil, err
		}
		l.next = next
		err = checkPipePeer(h, l.self, true)
		c, cerr := newPipeConn(h, l.name)
		if cerr != nil {
			return nil, cerr
		}
		if err == nil {
			return c, nil
		}
		c.Close()
		if log := l.log.Load(); log != nil {
			log.Warn("local API: refused a connection", "err", err)
		}
	}
}

// connect waits for a client on h, or for Close.
func (l *pipeListener) connect(h windows.Handle) error {
	if err := windows.ResetEvent(l.ov.HEvent); err != nil {
		return err
	}
	err := windows.ConnectNamedPipe(h, &l.ov)
	switch err {
	case nil, windows.ERROR_PIPE_CONNECTED:
		return nil
	case windows.ERROR_IO_PENDING:
	default:
		return &net.OpError{Op: "accept", Net: "pipe", Addr: pipeAddr(l.name), Err: err}
	}
	ev, err := windows.WaitForMultipleObjects([]windows.Handle{l.ov.HEvent, l.closing}, false, windows.INFINITE)
	if err == nil && ev != windows.WAIT_OBJECT_0 {
		err = net.ErrClosed
	}
	if err != nil {
		windows.CancelIoEx(h, &l.ov)
	}
	var n uint32
	if gerr := windows.GetOverlappedResult(h, &l.ov, &n, true); gerr != nil && err == nil {
		err = &net.OpError{Op: "accept", Net: "pipe", Addr: pipeAddr(l.name), Err: gerr}
	}
	return err
}

// Close stops accepting; connections already accepted go on.
func (l *pipeListener) Close() error {
	err := error(net.ErrClosed)
	l.once.Do(func() {
		err = nil
		l.closed.Store(true)
		windows.SetEvent(l.closing)
		l.mu.Lock()
		windows.CloseHandle(l.next)
		windows.CloseHandle(l.ov.HEvent)
		windows.CloseHandle(l.closing)
		l.mu.Unlock()
	})
	return err
}

// currentSID is the user this process runs as.
func currentSID() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("who am I: %w", err)
	}
	return u.User.Sid, nil
}

// processSID is the user the process pid runs as. Another user's process
// cannot be opened, which is an answer too.
func processSID(pid uint32) (*windows.SID, error) {
	p, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(p)
	var tok windows.Token
	if err := windows.OpenProcessToken(p, windows.TOKEN_QUERY, &tok); err != nil {
		return nil, err
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return nil, err
	}
	return u.User.Sid, nil
}

// checkPipePeer asks who the process at the other end of h is (its client
// when server, else its server) and refuses anyone but self.
func checkPipePeer(h windows.Handle, self *windows.SID, server bool) error {
	var pid uint32
	var err error
	if server {
		err = windows.GetNamedPipeClientProcessId(h, &pid)
	} else {
		err = windows.GetNamedPipeServerProcessId(h, &pid)
	}
	if err != nil {
		return fmt.Errorf("%w: cannot tell the peer: %v", errForeignPeer, err)
	}
	sid, err := processSID(pid)
	if err != nil {
		return fmt.Errorf("%w: process %d: %v", errForeignPeer, pid, err)
	}
	if !sid.Equals(self) {
		return fmt.Errorf("%w: process %d runs as %s, not as %s", errForeignPeer, pid, sid, self)
	}
	return nil
}

package auth

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
)

// maxCAFileBytes bounds a CA bundle: the whole Mozilla root store is
// about 250 KB.
const maxCAFileBytes = 4 << 20

// LoadCAFile reads a PEM bundle of CA certificates (one or more
// "CERTIFICATE" blocks; other blocks are ignored) for a provider behind a
// private CA. Errors are *InputError for the field "CA file", naming the
// path and what is wrong with it.
//
// Only a regular file is read. A pipe or device would be read once at
// best: `--ca-file <(cat ca.pem)` names /dev/fd/63, gone by the next
// refresh, and /dev/stdin takes the terminal's input. The file is opened
// without blocking (caOpenFlags: a FIFO put in its place would otherwise
// hold open(2), and the account's lock, until a writer came) and the open
// file's type is checked, so the file checked is the one read. check,
// when not nil, is given the open file's FileInfo before anything is read
// and refuses the file with its error (the caller's rule on who may write
// it); that error's message names the path.
func LoadCAFile(path string, check func(fs.FileInfo) error) ([]*x509.Certificate, error) {
	bad := func(msg string) error { return &InputError{Field: "CA file", Key: FieldCAFile, Value: path, Msg: msg} }
	f, err := os.OpenFile(path, os.O_RDONLY|caOpenFlags, 0)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, bad("does not exist")
		case errors.Is(err, fs.ErrPermission):
			return nil, bad("cannot be read: permission denied")
		}
		return nil, bad("cannot be read: " + unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, bad("cannot be read: " + unwrapPath(err))
	}
	if msg := notRegular(fi.Mode()); msg != "" {
		return nil, bad(msg)
	}
	if check != nil {
		if err := check(fi); err != nil {
			return nil, &InputError{Field: "CA file", Key: FieldCAFile, Msg: err.Error()}
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxCAFileBytes+1))
	if err != nil {
		return nil, bad("cannot be read: " + unwrapPath(err))
	}
	if len(b) > maxCAFileBytes {
		return nil, bad("is larger than 4 MiB: not a CA bundle")
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, bad("is empty")
	}
	var certs []*x509.Certificate
	blocks := 0
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		blocks++
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, bad(fmt.Sprintf("certificate %d cannot be parsed: %v", len(certs)+1, err))
		}
		certs = append(certs, c)
	}
	switch {
	case blocks == 0:
		return nil, bad("is not PEM: want one or more -----BEGIN CERTIFICATE----- blocks")
	case len(certs) == 0:
		return nil, bad("holds no certificate (no -----BEGIN CERTIFICATE----- block)")
	}
	return certs, nil
}

// notRegular says what a CA file that is not a regular file is instead,
// "" for a regular file.
func notRegular(m fs.FileMode) string {
	const give = ": give the path of a PEM file"
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "is a directory, not a PEM file"
	case m&fs.ModeNamedPipe != 0:
		return "is a pipe, not a regular file (a <(...) or /dev/stdin can be read only once)" + give
	case m&fs.ModeCharDevice != 0:
		return "is a character device, not a regular file (/dev/stdin on a terminal is one)" + give
	case m&fs.ModeDevice != 0:
		return "is a block device, not a regular file" + give
	case m&fs.ModeSocket != 0:
		return "is a socket, not a regular file" + give
	}
	return "is not a regular file" + give
}

// unwrapPath drops the path an *fs.PathError repeats: the InputError names it.
func unwrapPath(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// WithRoots returns a copy of hc that trusts certs in addition to the
// roots hc trusts (the system's unless its transport names others). The
// copy has a transport of its own, cloned from hc's: its connections are
// never shared with hc, so a TLS session verified against the extra roots
// cannot be reused by a request that should not trust them. hc's
// timeout, redirect policy and transport settings are kept; hc itself is
// not changed. hc's transport must be an *http.Transport (or nil, for
// http.DefaultTransport).
func WithRoots(hc *http.Client, certs []*x509.Certificate) (*http.Client, error) {
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	bt, ok := base.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("a CA file needs a standard HTTP transport, not %T", base)
	}
	t := bt.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	var pool *x509.CertPool
	if t.TLSClientConfig.RootCAs != nil {
		pool = t.TLSClientConfig.RootCAs.Clone()
	} else if sys, err := x509.SystemCertPool(); err == nil {
		pool = sys // a copy: adding to it changes no other pool
	} else {
		pool = x509.NewCertPool()
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	t.TLSClientConfig.RootCAs = pool
	c := *hc
	c.Transport = t
	return &c, nil
}

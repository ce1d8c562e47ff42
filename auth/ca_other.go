//go:build !unix

package auth

// caOpenFlags: no FIFOs or terminals to open by a path here; LoadCAFile
// refuses anything not regular after opening.
const caOpenFlags = 0

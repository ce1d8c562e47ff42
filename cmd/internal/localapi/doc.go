// Package localapi is the agent's local API (SPEC §13): HTTP/1.1 and JSON
// over a Unix socket, standard library only. There is no TCP listener.
// The full protocol description is in this comment; see below.
package localapi

// Package localapi is the agent's local API (SPEC §13): HTTP/1.1 and JSON
// over a Unix socket, standard library only, no TCP listener. The window,
// the tray's helpers and every CLI call talk to the one agent through it;
// Client has the service's method set, so callers use either.
//
// # Socket
//
// The socket is agent.sock in $XDG_RUNTIME_DIR/tokenkeeper/, or in the
// user's own $XDG_STATE_HOME/tokenkeeper/run/ (~/.local/state/...) when
// XDG_RUNTIME_DIR is unset, never at a predictable name in a shared
// directory; $TOKENKEEPER_AGENT, when set, names the socket itself (`exec`
// children and tests use it). The directory is 0700 and the socket 0600,
// both owned by the user; a directory or socket with another owner or any
// group/other permission bit is refused by the agent and by clients alike
// (an *InsecureError, which errors.Is storage.ErrInsecure: the chmod that
// fixes a loose mode of one's own, or, for another user's, to go
// elsewhere). The lock and log files in it are opened with O_NOFOLLOW and
// must be regular files of the user's (OpenPrivate).
//
// The agent acknowledges every request with 102 Processing once it has
// read it, before any slow work. A client waits firstAnswer (500 ms) for
// the first byte of an answer: a stopped or hung agent, whose socket still
// accepts, is ErrNoAgent then, and the CLI takes the direct path. The final
// answer is awaited answerTimeout. The agent also checks every connection's peer uid
// (SO_PEERCRED; LOCAL_PEERCRED on macOS and FreeBSD) and closes those of
// other users. A missing socket, or one nobody listens on (a killed agent's
// stale socket, ECONNREFUSED at once), is ErrNoAgent: the CLI then works
// directly. A new agent replaces a stale socket and refuses to start when a
// live one answers.
//
// # Routes
//
// Bodies and answers are JSON; a call that returns only an error answers
// 204 No Content on success.
//
//	GET    /v1/agent                           {"pid","version","tray"}
//	GET    /v1/status                          the status (service.Status) once
//	GET    /v1/watch[?window=1]                NDJSON status stream (below)
//	GET    /v1/settings                        {"renew_lead":"5m0s","clipboard_clear":"30s","notifications","start_hidden"}
//	PUT    /v1/settings                        same shape
//	POST   /v1/accounts                        add: {"name","kind","url","auth_url","token_url","client_id",
//	                                           "client_secret","auth_style","scopes","no_offline_access","params",
//	                                           "redirect_host","redirect_port"}
//	POST   /v1/accounts/validate               same body; validates (with discovery), saves nothing
//	PATCH  /v1/accounts/{name}                 change client settings, keeping the session: {"browser","ca_file",
//	                                           "git_host","scopes","no_offline_access","params","redirect_host",
//	                                           "redirect_port"}; an absent field is kept, "" / [] / {} / 0 clears
//	DELETE /v1/accounts/{name}                 sign out (revoking where offered) and remove: {"revocation","error"}
//	                                           as for signout
//	POST   /v1/accounts/{name}/signin          NDJSON sign-in stream (below); body optional: {"no_browser":true}
//	                                           (show the URL, open nothing) or {"device":true} (device sign-in)
//	POST   /v1/accounts/{name}/signin/cancel   cancel the account's sign-in in progress
//	POST   /v1/accounts/{name}/signout         delete the tokens, revoking them where the provider offers it:
//	                                           {"revocation":"revoked"|"not_offered"|"failed"|"none","error"}
//	POST   /v1/accounts/{name}/refresh         refresh now
//	PUT    /v1/accounts/{name}/autorenew       {"on":true|false}
//	GET    /v1/accounts/{name}/token?min_valid=60s
//	                                           {"token","type":"Bearer","expiry":"RFC 3339"}: a token valid for at
//	                                           least min_valid, refreshed first if needed, from the agent's memory
//	                                           on a hit; without min_valid, the window's copy (the default minimum,
//	                                           a failure noted in the status)
//	GET    /v1/accounts/{name}/details         the decoded access token (service.Details)
//	POST   /v1/reftokens                       {"label","kind":"pat"|"sat","account","expires","note","token"}
//	PUT    /v1/reftokens/{label}               same body; an empty token keeps the stored one
//	DELETE /v1/reftokens/{label}               forget it locally (no revocation)
//	GET    /v1/reftokens/{label}/token         {"token"}
//	GET    /v1/reftokens/{label}/revocation-site {"name","url"}
//	POST   /v1/demo                            start the demo provider and add its accounts
//	POST   /v1/window/show                     {"shown":bool}: a registered window was told to come forward
//	POST   /v1/reload                          re-read the config now (after a direct change by the CLI)
//	POST   /v1/quit                            quit the agent (the window's Quit when there is no tray)
//
// The status is service.Status in its snake_case JSON, the same shape as
// `tokenkeeper list --json`: {"accounts":[{"name","provider","url",
// "state",…}],"reference_tokens":[…]}, times in RFC 3339 and left out
// when unknown, the state as its machine name: "valid", "renewing",
// "failing", "sign_in_required", "expired", "signed_out". It never holds a
// secret; only the token routes answer one, with
// Cache-Control: no-store.
//
// # Streams
//
// Streams are NDJSON, one JSON object a line. GET /v1/watch sends
// {"status":{…}} at once, then after changes, coalesced to at most one per
// 100 ms and always the newest; with ?window=1 the connection is also
// registered as the window and gets {"show":true} when the agent is asked
// to show it. The sign-in stream sends {"url":"…"} when the agent could not
// open a browser (or was asked not to), or, for a device sign-in (RFC
// 8628: asked for, or in place of the URL when the agent's browser cannot
// be opened and the provider has a device_authorization_endpoint),
// {"device":{"user_code","verification_uri","verification_uri_complete",
// "expires_at"}}; then {"done":true} or {"error":{…}}. The agent runs one
// sign-in per account, of whatever kind: a second request for the same
// account joins the flow in progress and gets its events. A client that
// disconnects does not cancel it (it survives the window closing); the
// cancel route does, for everyone joined, and Client.SignIn sends it when
// its context ends first.
//
// # Errors
//
// A non-2xx answer, and a sign-in stream's last line, carry
// {"error":{"code","message","field","key","value"}}. The message is the
// service's error text verbatim, so the CLI prints the same with and
// without an agent. Codes and HTTP statuses:
//
//	sign_in_required  401  service.ErrSignInRequired (CLI exit code 3)
//	not_found         404  service.ErrNotFound
//	exists            409  service.ErrExists
//	input             400  *auth.InputError; field, key and value are its Field, Key and Value
//	canceled          409  context.Canceled (a canceled sign-in)
//	insecure          403  storage.ErrInsecure
//	device_denied     409  auth.ErrDeviceDenied (the user denied a device sign-in)
//	device_expired    409  auth.ErrDeviceExpired (its code expired first)
//	failed            500  anything else
//
// The Client turns them back into an *Error whose Error() is the message
// and which errors.Is / errors.As match like the direct path's error.
package localapi

package demo

import (
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/url"
)

// loginPage is self-contained (no external assets), prefilled with the demo
// credentials. Browse relies on its form: one <form method="post"> with
// inputs authRequestID, username and password.
var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tokenkeeper demo provider — sign in</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.1);max-width:24rem}
h1{font-size:1.25rem;margin-top:0}
label{display:block;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1.25rem;padding:.5rem 1.25rem;font-size:1rem}
.error{color:#b00020}
.note{color:#555;font-size:.85rem}
</style></head>
<body><main>
<h1>Tokenkeeper demo provider — sign in</h1>
<p class="note">A local identity provider for trying Tokenkeeper. Client: {{.ClientID}}.</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="{{.User}}" autocomplete="username">
<label for="password">Password</label>
<input type="password" id="password" name="password" value="{{.Password}}" autocomplete="current-password">
<button type="submit">Sign in</button>
</form>
<p class="note">Demo user: {{.User}} / {{.Password}}</p>
</main></body></html>
`))

var infoPage = template.Must(template.New("info").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:system-ui,sans-serif;margin:3rem">
<h1>{{.Title}}</h1><p>{{.Text}}</p>
{{range .Links}}<p><a href="{{.}}">{{.}}</a></p>{{end}}
</body></html>
`))

type loginData struct {
	Action, ID, ClientID, User, Password, Error string
}

type infoData struct {
	Title, Text string
	Links       []string
}

// handleLogin shows the sign-in form (GET) and checks it (POST). A correct
// password completes the auth request and continues at the OP's authorize
// callback, which redirects to the client with code and state. There is no
// consent step.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	switch r.Method {
	case http.MethodGet:
		id := r.URL.Query().Get("authRequestID")
		if !s.store.pendingLogin(id) {
			s.renderInfo(w, http.StatusBadRequest, "Sign-in expired", "This sign-in request is unknown or has expired. Start the sign-in again from the application.")
			return
		}
		s.renderLogin(w, r, http.StatusOK, id, "")
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if err := r.ParseForm(); err != nil {
			s.renderInfo(w, http.StatusBadRequest, "Bad request", "The sign-in form could not be read.")
			return
		}
		id := r.PostForm.Get("authRequestID")
		if !s.store.pendingLogin(id) {
			s.renderInfo(w, http.StatusBadRequest, "Sign-in expired", "This sign-in request is unknown or has expired. Start the sign-in again from the application.")
			return
		}
		user := r.PostForm.Get("username")
		pass := r.PostForm.Get("password")
		userOK := subtle.ConstantTimeCompare([]byte(user), []byte(DemoUser)) == 1
		passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(DemoPassword)) == 1
		if !userOK || !passOK {
			s.log.Info("sign-in rejected: wrong username or password")
			s.renderLogin(w, r, http.StatusUnauthorized, id, "Wrong username or password.")
			return
		}
		if err := s.store.completeLogin(id, DemoSubject); err != nil {
			s.renderInfo(w, http.StatusBadRequest, "Sign-in expired", err.Error())
			return
		}
		s.log.Info("signed in", "user", DemoUser)
		http.Redirect(w, r, s.issuer+"/connect/authorize/callback?id="+url.QueryEscape(id), http.StatusFound)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, id, errText string) {
	clientID := ""
	if a, err := s.store.AuthRequestByID(r.Context(), id); err == nil {
		clientID = a.GetClientID()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	loginPage.Execute(w, loginData{
		Action: loginPath, ID: id, ClientID: clientID,
		User: DemoUser, Password: DemoPassword, Error: errText,
	})
}

func (s *Server) renderInfo(w http.ResponseWriter, status int, title, text string, links ...string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	infoPage.Execute(w, infoData{Title: title, Text: text, Links: links})
}

func (s *Server) handleLoggedOut(w http.ResponseWriter, _ *http.Request) {
	s.renderInfo(w, http.StatusOK, "Signed out", "You are signed out of the Tokenkeeper demo provider. You can close this tab.")
}

func (s *Server) handleIndex(w http.ResponseWriter, _ *http.Request) {
	s.renderInfo(w, http.StatusOK, "Tokenkeeper demo provider",
		"A local OpenID Connect provider for trying Tokenkeeper. Issuer: "+s.issuer+". TokenIDP base: "+s.TokenIDPURL()+".",
		s.issuer+"/.well-known/openid-configuration")
}

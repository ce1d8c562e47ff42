package demo

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// maxBrowseHops bounds the redirects and form posts of one Browse.
const maxBrowseHops = 20

var (
	formRE  = regexp.MustCompile(`(?is)<form\b[^>]*>`)
	inputRE = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attrRE  = regexp.MustCompile(`(?is)\b([a-z-]+)\s*=\s*"([^"]*)"`)
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	styleRE = regexp.MustCompile(`(?is)<(style|script|title)\b.*?</(style|script|title)>`)
	spaceRE = regexp.MustCompile(`\s+`)
	alertRE = regexp.MustCompile(`(?is)<[a-z0-9]+\b[^>]*role="alert"[^>]*>(.*?)</`)
)

// Browse is a scripted browser for tests and smoke tests: it opens authURL
// (an authorization request at the demo provider, either dialect) with a
// fresh cookie jar, fills the login form with user and password, posts it
// and follows redirects to the redirect_uri, the caller's loopback callback
// listener. It returns nil once the callback answered 2xx, and an error
// otherwise, including the text of the page that stopped it. It never
// leaves loopback hosts.
//
// client may be nil; its Jar and CheckRedirect are not used.
func Browse(ctx context.Context, client *http.Client, authURL, user, password string) error {
	c := &http.Client{Timeout: 30 * time.Second}
	if client != nil {
		cp := *client
		c = &cp
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return fmt.Errorf("browse: %w", err)
	}
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	u, err := url.Parse(authURL)
	if err != nil {
		return fmt.Errorf("browse: authorization URL: %w", err)
	}
	var callback *url.URL
	if ru := u.Query().Get("redirect_uri"); ru != "" {
		if callback, err = url.Parse(ru); err != nil {
			return fmt.Errorf("browse: redirect_uri: %w", err)
		}
	}
	isCallback := func(v *url.URL) bool {
		if callback == nil {
			return v.Host != u.Host
		}
		return v.Scheme == callback.Scheme && v.Host == callback.Host && v.Path == callback.Path
	}

	method, body := http.MethodGet, url.Values(nil)
	posted := false
	for range maxBrowseHops {
		if !isLoopbackURL(u) {
			return fmt.Errorf("browse: refusing to leave loopback for %s://%s", u.Scheme, u.Host)
		}
		page, status, next, err := fetch(ctx, c, method, u, body)
		if err != nil {
			return err
		}
		if isCallback(u) {
			if status >= 200 && status < 300 {
				return nil
			}
			return fmt.Errorf("browse: callback answered HTTP %d: %s", status, pageText(page))
		}
		switch {
		case next != nil:
			u, method, body = u.ResolveReference(next), http.MethodGet, nil
		case status == http.StatusOK && !posted:
			action, form, ok := loginForm(page)
			if !ok {
				return fmt.Errorf("browse: no sign-in form at %s: %s", u.Path, pageText(page))
			}
			form.Set("username", user)
			form.Set("password", password)
			a, err := url.Parse(action)
			if err != nil {
				return fmt.Errorf("browse: form action: %w", err)
			}
			u, method, body, posted = u.ResolveReference(a), http.MethodPost, form, true
		default:
			return fmt.Errorf("browse: %s answered HTTP %d: %s", u.Path, status, pageText(page))
		}
	}
	return errors.New("browse: too many redirects")
}

// fetch does one request without following redirects; next is the
// Location of a redirect.
func fetch(ctx context.Context, c *http.Client, method string, u *url.URL, form url.Values) (page string, status int, next *url.URL, err error) {
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return "", 0, nil, fmt.Errorf("browse: %w", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, nil, fmt.Errorf("browse: %s %s://%s%s: %w", method, u.Scheme, u.Host, u.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return "", 0, nil, fmt.Errorf("browse: read %s: %w", u.Path, err)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc := resp.Header.Get("Location")
		if loc == "" {
			return "", 0, nil, fmt.Errorf("browse: %s answered HTTP %d without Location", u.Path, resp.StatusCode)
		}
		next, err = url.Parse(loc)
		if err != nil {
			return "", 0, nil, fmt.Errorf("browse: redirect from %s: %w", u.Path, err)
		}
	}
	return string(b), resp.StatusCode, next, nil
}

// loginForm finds the demo login page's form: its action and its inputs.
func loginForm(page string) (action string, form url.Values, ok bool) {
	tag := formRE.FindString(page)
	if tag == "" {
		return "", nil, false
	}
	action = attrs(tag)["action"]
	form = url.Values{}
	for _, in := range inputRE.FindAllString(page, -1) {
		a := attrs(in)
		if a["name"] != "" {
			form.Set(a["name"], a["value"])
		}
	}
	_, hasUser := form["username"]
	_, hasPass := form["password"]
	return action, form, hasUser && hasPass
}

func attrs(tag string) map[string]string {
	m := map[string]string{}
	for _, kv := range attrRE.FindAllStringSubmatch(tag, -1) {
		m[strings.ToLower(kv[1])] = html.UnescapeString(kv[2])
	}
	return m
}

// pageText is a page's visible text, shortened, for error messages.
func pageText(page string) string {
	if m := alertRE.FindStringSubmatch(page); m != nil {
		page = m[1] // the login page's error message
	}
	t := styleRE.ReplaceAllString(page, " ")
	t = tagRE.ReplaceAllString(t, " ")
	t = strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(t), " "))
	if len(t) > 300 {
		t = t[:300] + "…"
	}
	return t
}

func isLoopbackURL(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

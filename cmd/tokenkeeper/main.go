package main

import (
	_ "fyne.io/fyne/v2/app"
	_ "fyne.io/fyne/v2/test"
	_ "github.com/zalando/go-keyring"
	_ "golang.org/x/oauth2"
	_ "github.com/pkg/browser"
	_ "github.com/coreos/go-oidc/v3/oidc"
	_ "github.com/gofrs/flock"
	_ "github.com/zitadel/oidc/v3/pkg/op"
	_ "github.com/zitadel/oidc/v3/pkg/oidc"
)

func main() {}

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// foregroundBrowserEnv, set in tokenkeeper's environment, names a
// directory: this test binary, started as xdg-open, is then a browser that
// xdg-open runs in the foreground (issue 16: i3, sway, openbox). It writes
// its PID there, signs in at the URL like a browser, says so on its stdout
// and stderr, and stays until killed.
const foregroundBrowserEnv = "TOKENKEEPER_TEST_FOREGROUND_BROWSER"

func foregroundBrowser(dir string) {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	pid := strconv.Itoa(os.Getpid())
	os.WriteFile(filepath.Join(dir, pid+".pid"), nil, 0o600)
	err := demo.Browse(context.Background(), &http.Client{Timeout: 30 * time.Second}, os.Args[len(os.Args)-1], demo.DemoUser, demo.DemoPassword)
	fmt.Println("browser: noise on stdout")
	fmt.Fprintln(os.Stderr, "browser: noise on stderr")
	if err != nil {
		os.WriteFile(filepath.Join(dir, pid+".err"), []byte(err.Error()), 0o600)
	}
	<-stop // a browser runs until the user closes it
	os.Exit(0)
}

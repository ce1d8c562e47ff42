package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// downResult is what cmdDownProvider leaves in its -out file.
type downResult struct {
	Status   int     `json:"status"`
	Requests int     `json:"requests"`
	Seconds  float64 `json:"seconds"` // from listening to being stopped
	// Per10s counts requests in consecutive 10 s buckets: a storm shows as
	// a spike, a waiting renewer as one probe per backoff step.
	Per10s []int `json:"per_10s"`
}

// cmdDownProvider stands for a token endpoint that is down: every request
// gets -status (503 by default) and is counted. It prints its URL on one
// line once it listens and writes the tally to -out when stopped (SIGTERM).
// It answers like a load balancer in front of a dead backend, which is all
// the offline-storm measurement needs; it is not an OAuth server.
func cmdDownProvider(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("downprovider", flag.ContinueOnError)
	out := fs.String("out", "", "JSON tally file, written when stopped")
	status := fs.Int("status", http.StatusServiceUnavailable, "HTTP status for every request")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	start := time.Now()
	var mu sync.Mutex
	res := downResult{Status: *status}
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, io.LimitReader(r.Body, 1<<16))
			mu.Lock()
			res.Requests++
			b := int(time.Since(start) / (10 * time.Second))
			for len(res.Per10s) <= b {
				res.Per10s = append(res.Per10s, 0)
			}
			res.Per10s[b]++
			mu.Unlock()
			http.Error(w, http.StatusText(*status), *status)
		}),
	}
	go srv.Serve(ln)
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())
	<-ctx.Done()
	srv.Close()
	mu.Lock()
	res.Seconds = time.Since(start).Seconds()
	data, err := json.MarshalIndent(res, "", "  ")
	mu.Unlock()
	if err != nil {
		return err
	}
	return os.WriteFile(*out, data, 0o644)
}

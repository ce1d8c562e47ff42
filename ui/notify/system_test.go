package notify

import "time"

// hangLimit only ends a test that would otherwise hang; no result depends
// on it.
const hangLimit = 30 * time.Second

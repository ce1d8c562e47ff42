// Package human words times for people, the same in the window, the tray
// and the notifications. It imports no GUI toolkit, so the agent's
// notifications use it too.
package human

import (
	"fmt"
	"time"
)

// Span formats a positive duration coarsely for people: "45 s", "12 min",
// "3 h 5 min", "4 days". It rounds down, so it never promises more time
// than is left.
func Span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 || h >= 10 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}

// DaysLeft labels a reference token's expiry: "no expiry", "expired",
// "expires in 5 h" (under a day), "1 day left", "12 days left".
func DaysLeft(expires, now time.Time) string {
	if expires.IsZero() {
		return "no expiry"
	}
	d := expires.Sub(now)
	switch {
	case d <= 0:
		return "expired"
	case d < 24*time.Hour:
		return "expires in " + Span(d)
	case d < 48*time.Hour:
		return "1 day left"
	}
	return fmt.Sprintf("%d days left", int(d/(24*time.Hour)))
}

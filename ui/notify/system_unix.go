//go:build unix && !darwin

package notify

// DialSystem connects to the freedesktop Notifications service on the
// session bus (DialDBus), with icon.Name as its app_icon.
func DialSystem(icon Icon) (System, error) {
	d, err := DialDBus(icon.Name)
	if err != nil {
		return nil, err
	}
	return d, nil
}

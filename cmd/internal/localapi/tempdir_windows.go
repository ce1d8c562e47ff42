package localapi

// tempDirName is the agent directory's name under os.TempDir(), which is
// the user's own %TEMP% (under %LOCALAPPDATA%) on Windows. os.Getuid is
// -1 there for every user, so nothing may be keyed on it.
func tempDirName() string { return "tokenkeeper" }

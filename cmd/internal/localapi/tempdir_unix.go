//go:build unix

package localapi

import (
	"os"
	"strconv"
)

// tempDirName is the socket directory's name under os.TempDir(), a
// directory every user shares here: the uid keeps users apart.
func tempDirName() string { return "tokenkeeper-" + strconv.Itoa(os.Getuid()) }

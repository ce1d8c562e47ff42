package launch

import (
	"flag"
	"os"
)

// The agent's flags are defined here once: `tokenkeeper agent` and
// `tokenkeeper demo` parse them for their help, usage errors and shell
// completion before they hand over to tokenkeeper-agent, which parses them
// again to act on them.

// AgentOptions are the agent's flags.
type AgentOptions struct {
	NoTray      *bool
	WindowOwned *bool
	Stop        *bool
}

// AgentFlags defines the agent's flags on fs.
func AgentFlags(fs *flag.FlagSet) AgentOptions {
	return AgentOptions{
		NoTray: fs.Bool("no-tray", false, "show no tray icon even when a tray host exists"),
		// Set by the window's launcher only: an agent it started for its
		// session may be stopped when that window closes with no tray host;
		// one the user, autostart or systemd started, not.
		WindowOwned: fs.Bool("window-owned", false, "started by the window for its session: without a tray host, closing the window stops it"),
		Stop:        fs.Bool("stop", false, "stop the running agent (renewals in flight finish first) and wait until it has exited"),
	}
}

// DemoOptions are the flags of the demo command.
type DemoOptions struct {
	NoGUI *bool
	Addr  *string
}

// DemoFlags defines the demo command's flags on fs.
func DemoFlags(fs *flag.FlagSet) DemoOptions {
	return DemoOptions{
		NoGUI: fs.Bool("no-gui", false, "only run the demo provider, in this process (until Ctrl-C)"),
		Addr:  fs.String("addr", DemoAddr(), "loopback address for the demo provider (with the window: $TOKENKEEPER_DEMO_ADDR, which the agent reads)"),
	}
}

// DefaultDemoAddr is where the embedded demo provider listens. A fixed
// port keeps the demo accounts' URLs valid from one run to the next.
const DefaultDemoAddr = "127.0.0.1:8765"

// DemoAddr is DefaultDemoAddr, or $TOKENKEEPER_DEMO_ADDR: the agent and
// `tokenkeeper demo` read the same, and an agent the window starts
// inherits it.
func DemoAddr() string {
	if a := os.Getenv("TOKENKEEPER_DEMO_ADDR"); a != "" {
		return a
	}
	return DefaultDemoAddr
}

# Conveniences over scripts/; the scripts are the source of truth.
.PHONY: demo test build

demo:
	scripts/demo

test:
	scripts/test

build:
	scripts/build bin/tokenkeeper

.PHONY: bench package crossbuild

# Benchmarks against peers: prints one markdown table (docs/benchmarks.md).
bench:
	scripts/bench

# dist/: the .deb (nfpm) and tarball (Fyne CLI); scripts/package [linux].
package:
	scripts/package

crossbuild:
	scripts/crossbuild

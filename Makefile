# Conveniences over scripts/; the scripts are the source of truth.
.PHONY: demo test build

demo:
	scripts/demo

test:
	scripts/test

build:
	mkdir -p bin && go build -o bin/tokenkeeper ./cmd/tokenkeeper

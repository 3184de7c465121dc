# Entry points: `make demo` (the main job) and `make test` (everything CI runs). Both set up the box first.
.PHONY: demo test setup deps build bench lint clean ports

setup:
	bash scripts/setup.sh

# npm ci only when package-lock.json pins something node_modules does not hold (scripts/deps.sh).
deps:
	bash scripts/deps.sh

build: deps
	npm run build

demo:
	bash scripts/demo.sh

# The port images (ports/NAME): built offline from Debian packages; a second run rebuilds only what changed.
ports: deps
	npx tsx scripts/ports.ts build

test: setup deps ports
	npm test

bench: setup deps
	npm run bench

lint:
	npm run lint

clean:
	rm -rf dist node_modules

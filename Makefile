# The two commands of the README. Each installs what it needs (a project-local virtualenv,
# see scripts/venv.sh) and runs against the local AWS emulator started by scripts/localaws.sh.
.PHONY: demo test build check-template clean-local

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh

build:
	cargo build --workspace --locked

check-template:
	@scripts/check-template.sh

clean-local:
	rm -rf .local

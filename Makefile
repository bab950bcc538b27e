# The two Quickstart commands: `make demo` and `make test`. .ci/run calls `make test`.
# `make install` / `make uninstall`: hacore as a service (scripts/install.sh says how;
# PREFIX, DESTDIR, SBINDIR, BINDIR, SYSCONFDIR, UNITDIR, PYTHON can be overridden).
PY ?= python3

.PHONY: deps demo test lint typecheck unit proto bench install uninstall

deps:
	./scripts/install-deps.sh

demo: deps
	halab demo

lint:
	$(PY) -m ruff check hacore hactl hbcompat halab plugins tests bench
	$(PY) -m ruff format --check hacore hactl hbcompat halab plugins tests bench

# tests/ and bench/ import the built-in plugins as hacore_plugins, the name setuptools gives
# plugins/ (package-dir); mypy cannot follow the editable install's finder, so a symlink under
# build/ gives it that name without installing anything (the core run checks plugins/ once).
MYPY_PATH := build/mypy-path

typecheck:
	$(PY) -m mypy hacore hactl hbcompat halab plugins
	mkdir -p $(MYPY_PATH) && ln -sfn ../../plugins $(MYPY_PATH)/hacore_plugins
	MYPYPATH=$(MYPY_PATH) $(PY) -m mypy --warn-unused-ignores tests bench

unit:
	$(PY) -m pytest -q -p no:cacheprovider

test: deps lint typecheck unit

proto:
	$(PY) -m hacore.control.protogen

bench: deps
	$(PY) -m bench.run_all

install:
	./scripts/install.sh

uninstall:
	./scripts/uninstall.sh

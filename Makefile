# Takakrypt: build, test and demo. See README.md.
SHELL := /bin/bash
KVER ?= $(shell scripts/kernel-version.sh)
KDIR ?= /lib/modules/$(KVER)/build

# npm ci and node-gyp build the addon: point them at the installed Node's
# headers so that they never try to download them.
ifeq ($(npm_config_nodedir),)
ifneq ($(wildcard /usr/include/node/node_api.h),)
export npm_config_nodedir := /usr
endif
endif

.PHONY: all deps node module test test-unit test-vm demo bench clean

all: deps node module

deps:
	scripts/install-deps.sh

node_modules/.installed: package.json package-lock.json
	npm ci
	touch $@

# npm ci builds the addon once; this rebuilds it when its sources change.
ADDON := addon/build/Release/takakrypt.node
$(ADDON): addon/binding.gyp $(wildcard addon/src/*) kernel/include/uapi/takakrypt.h | node_modules/.installed
	npx node-gyp rebuild --directory=addon
	touch $@

node: node_modules/.installed $(ADDON)
	npm run build

module:
	$(MAKE) -C kernel KDIR=$(KDIR)

test: all test-unit test-vm

test-unit: node
	npx jest --ci

test-vm: node module
	tests/vm/run-all.sh

demo: all
	tests/vm/demo.sh

# Installs its own packages (scripts/install-bench-deps.sh); docs/BENCHMARKS.md.
bench: all
	scripts/bench-run.sh

clean:
	rm -rf dist addon/build build
	$(MAKE) -C kernel KDIR=$(KDIR) clean

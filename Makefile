# atalaya: the two commands are `make run` and `make test`. Meson + Ninja do the
# building; this file installs what is missing and picks the build directory.
BUILD      ?= build
TESTBUILD  ?= build-test
FUZZBUILD  ?= build-fuzz
DATA       ?= $(BUILD)/run-data
LISTEN     ?= 127.0.0.1:8440
DNS        ?= 127.0.0.1:8053
ZONE       ?= bl.atalaya.test

.PHONY: all deps run test bench fuzz clean format format-check install

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@sh scripts/deps.sh build

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release -Db_ndebug=false -Dunit_tests=auto

$(TESTBUILD)/build.ninja:
	meson setup $(TESTBUILD) --buildtype=debug -Dwerror=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all

$(FUZZBUILD)/build.ninja:
	CC=clang meson setup $(FUZZBUILD) --buildtype=debugoptimized -Dfuzzing=true \
		-Dc_args=-fsanitize=fuzzer-no-link \
		-Db_sanitize=address,undefined -Db_lundef=false

# the binary and the operator's kit (dist/: systemd unit, sysusers, man page,
# completion, sample config) under PREFIX (meson's, /usr/local by default)
install: all
	meson install -C $(BUILD)

run: all
	@sh scripts/run.sh $(BUILD)/atalaya $(DATA) $(LISTEN) $(DNS) $(ZONE)

test:
	@sh scripts/deps.sh test
	@sh scripts/npm-ci.sh
	@$(MAKE) --no-print-directory $(TESTBUILD)/build.ninja
	ninja -C $(TESTBUILD)
	@sh scripts/test.sh $(TESTBUILD)

bench: all
	@sh scripts/deps.sh bench
	@sh bench/run-all.sh $(BUILD)

fuzz:
	@sh scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZBUILD)/build.ninja
	ninja -C $(FUZZBUILD)
	@sh scripts/fuzz.sh $(FUZZBUILD) $(SECONDS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# CI runs this before the tests: every C file as .clang-format says.
format-check:
	@sh scripts/deps.sh test
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(TESTBUILD) $(FUZZBUILD)

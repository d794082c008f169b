# memreap: who gives memory back, the process or the kernel?
#
#   make deps      install the Debian packages that are missing (apt-get update runs once)
#   make           build build/memreap
#   make demo      deps + build + run the bundled CPython example under `memreap run`
#   make test      deps + build + unit tests (ASan/UBSan) + integration tests (root)
#   make bench     overhead and capacity, writes bench/results/ (BENCH_QUICK=1: a short check)
#   make exporter-soak  long exporter checks: 10,000 scrapes, slowloris, 200 scrapers (root)
#   make vmlinux   regenerate vmlinux/$(ARCH)/vmlinux.h from this kernel's BTF
#   make vmtest    boot Debian's 6.1, 6.12 and Debian 11's 5.10 (the legacy BPF object) under qemu
#                  and run the guest tests there
#   make vmtest-5.10  the same on 5.10 alone
#   make ARCH=arm64  cross-build memreap and the workloads into build/arm64 (aarch64-linux-gnu-gcc,
#                    a sysroot of Debian's arm64 packages: cross/arm64-sysroot.sh)
#   make vmtest-arm64  boot Debian's arm64 6.1 and 6.12 under qemu (TCG) and run the tests there
#   make soak      a mixed load under memreap for SOAK_SECONDS (default 600); not in `make test`
#   make soak-budget  the same, and the recording budget: size and CPU of system-wide recordings
#   make fuzz      libFuzzer on the report path for FUZZ_SECONDS (default 600); not in `make test`
#   make test-asan the integration suite against a memreap built with ASan+UBSan (build-asan/)
#   make image     the DaemonSet's OCI image from scratch with podman (deploy/container/), offline

VERSION    := 0.1.0
HOST_ARCH  := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH       ?= $(HOST_ARCH)
BUILD      := build$(if $(filter-out $(HOST_ARCH),$(ARCH)),/$(ARCH))
CLANG      ?= clang
CC         ?= gcc
BPFTOOL    ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
PYTHON     ?= /usr/bin/python3

DEB_PACKAGES := clang llvm gcc make pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev \
		libjson-c-dev libcmocka-dev libncurses-dev python3 procps tmux libcap-dev valgrind \
		libmicrohttpd-dev prometheus python3-yaml systemd ruby php-cli lua5.4 jq
# --web.config.file (YAML, bcrypt, TLS); its tests: certificates, hashes, bpf() traced, and
# node_exporter reading the same file.
DEB_PACKAGES += libyaml-dev libcrypt-dev libgnutls28-dev openssl apache2-utils curl strace \
		prometheus-node-exporter
# The man page and the completions' tests: man -l, zsh -n; the HTML report's: headless chromium.
DEB_PACKAGES += man-db zsh chromium
BENCH_PACKAGES := bpftrace strace linux-perf
# make image: Debian's podman (buildah inside) builds it; runc runs it where crun refuses hybrid
# cgroups; slirp4netns is the pod network of tests/integration/test_image.py, part of make test.
IMAGE_PACKAGES := podman runc slirp4netns
DEB_PACKAGES += $(IMAGE_PACKAGES)
BENCH_BINS   := $(addprefix $(BUILD)/bench/,floor pagefault mmaploop getppid exitstorm sleepers \
		pagecache)
# make vmtest (part of make test): qemu, the guest's busybox, its initramfs and scratch disk
DEB_PACKAGES += qemu-system-x86 busybox-static cpio e2fsprogs xz-utils python3.11
# make ARCH=arm64 and make vmtest-arm64 (its quick subset is part of make test): the cross
# compiler and qemu-system-aarch64
ARM64_PACKAGES := gcc-aarch64-linux-gnu qemu-system-arm busybox-static cpio e2fsprogs xz-utils
DEB_PACKAGES += $(ARM64_PACKAGES)
# make test's arm64 guest, 6.12: doctor and the ledger tests that take seconds under TCG. The
# arch's own code (the call from the registers, plain loads, per-CPU counters) runs there; 6.1's
# atomic counters are the x86 guests'. make vmtest-arm64 runs every guest test on 6.1 and 6.12
# (the burst, reclaim and system-wide ones take minutes here).
ARM64_QUICK_KERNELS := 6.12
ARM64_QUICK := test_doctor,test_accuracy.test_known_pattern,test_accuracy.test_exec_hands
ARM64_QUICK := $(ARM64_QUICK),test_accuracy.test_fork_children,test_accuracy.test_sigkill
ARM64_QUICK := $(ARM64_QUICK),test_accuracy.test_python_script,test_accuracy.test_teardown
ARM64_QUICK := $(ARM64_QUICK),test_accuracy.test_threads_are_one

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ivmlinux/$(ARCH) -Ibpf
CFLAGS     ?= -O2 -g
override CFLAGS += -Wall -Wextra -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE \
	      -DMEMREAP_VERSION='"$(VERSION)"'
LDLIBS     := -lbpf -lelf -lz -ljson-c -lncursesw -lmicrohttpd -lpthread -lcap -lyaml -lcrypt \
	      -lgnutls

# user/ has one folder per layer (README "Design"). Each layer is compiled with the include
# paths of the layers it may use and no others, so an include against the layering fails to build.
#   core      ledgers, documents, trees, recordings, the JSON contract: no libbpf, no /proc
#   collect   libbpf, /proc, interpreter detection, capabilities
#   out       text, JSON and CSV reports      top  the live monitor
#   exporter  Prometheus metrics over HTTP    cmd  main and one file per command
LAYERS         := core collect out top exporter cmd
USES_core      := core
USES_collect   := core collect
USES_out       := core out
USES_top       := core collect top
USES_exporter  := core collect exporter
USES_cmd       := $(LAYERS)
layer_of        = $(word 2,$(subst /, ,$(1)))
includes_of     = -Ibpf $(addprefix -Iuser/,$(USES_$(1)))

srcs_of     = $(wildcard user/$(1)/*.c)
USER_SRCS  := $(foreach l,$(LAYERS),$(call srcs_of,$(l)))
OBJS       := $(USER_SRCS:user/%.c=$(BUILD)/%.o)
# Pure logic, unit-tested (and fuzzed): the core, the report formats, the exporter's metrics.
PURE_SRCS  := $(call srcs_of,core) $(call srcs_of,out) user/exporter/metrics.c \
	      user/exporter/label_pool.c user/exporter/exposition.c user/top/top_format.c \
	      user/collect/interp_detect.c
ALL_INC    := -Ibpf $(addprefix -Iuser/,$(LAYERS))

SAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))
WORKLOADS  := $(patsubst tests/workloads/%.c,$(BUILD)/workloads/%,$(wildcard tests/workloads/*.c))

# A recipe that fails leaves no half-written target behind (a skeleton from a failed bpftool run).
.DELETE_ON_ERROR:

.PHONY: all deps demo test unit integration vmlinux vmlinux-arm64 vmtest vmtest-5.10 vmtest-arm64 \
	clean install format bpf bench bench-deps exporter-soak fuzz fuzz-deps fuzz-replay soak \
	soak-budget test-asan test-asan-fast asan-build trace-screenshot image image-deps

ifeq ($(ARCH),$(HOST_ARCH))
all: $(BUILD)/memreap $(BUILD)/memreap.1 $(BUILD)/memreap.bash $(BUILD)/memreap.zsh $(WORKLOADS)
else ifeq ($(ARCH)-$(HOST_ARCH),arm64-x86)
# arm64 on x86: Debian's cross gcc against a sysroot of Debian's arm64 packages (unpacked, never
# installed). The man page and completions need the binary to run: they are the host build's.
SYSROOT    := $(BUILD)/sysroot
CC         := aarch64-linux-gnu-gcc --sysroot=$(SYSROOT)
all: $(BUILD)/memreap $(WORKLOADS)
$(OBJS) $(WORKLOADS): | $(SYSROOT)/.unpacked
$(SYSROOT)/.unpacked: cross/arm64-sysroot.sh cross/arm64-apt.sh
	$(call install_missing,$(ARM64_PACKAGES))
	cross/arm64-sysroot.sh $(SYSROOT)
	touch $@
else
# Another architecture: the BPF side only.
all: $(BUILD)/memreap.skel.h
endif

# Installs the Debian packages of $(1) that are missing (apt-get update runs once).
define install_missing
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "deps: all packages present"; fi
endef

deps:
	$(call install_missing,$(DEB_PACKAGES))

fuzz-deps:
	$(call install_missing,$(FUZZ_PACKAGES))

$(BUILD) $(BUILD)/unit $(BUILD)/workloads:
	mkdir -p $@

bpf: $(BUILD)/memreap.bpf.o

$(BUILD)/memreap.bpf.o: bpf/memreap.bpf.c $(wildcard bpf/*.h) \
			vmlinux/$(ARCH)/vmlinux.h | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/memreap.skel.h: $(BUILD)/memreap.bpf.o
	$(BPFTOOL) gen skeleton $< name memreap_bpf > $@

# The legacy object: the same sources with -DMR_LEGACY, one fallback per feature Linux 5.10 lacks
# (README "Kernel support"); x86_64 only. The collector loads it where the probes find them missing.
$(BUILD)/memreap_legacy.bpf.o: bpf/memreap.bpf.c $(wildcard bpf/*.h) \
			       vmlinux/$(ARCH)/vmlinux.h | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -DMR_LEGACY -c $< -o $@

$(BUILD)/memreap_legacy.skel.h: $(BUILD)/memreap_legacy.bpf.o
	$(BPFTOOL) gen skeleton $< name memreap_legacy_bpf > $@

ifeq ($(ARCH),x86)
LEGACY_SKEL := $(BUILD)/memreap_legacy.skel.h
$(BUILD)/collect/%.o: CPPFLAGS += -DMR_HAVE_LEGACY
endif
$(BUILD)/collect/collector.o: $(BUILD)/memreap.skel.h $(LEGACY_SKEL)
$(BUILD)/collect/%.o: CPPFLAGS += -I$(BUILD)

# -MMD: each object depends on the headers it includes (build/**/*.d).
$(BUILD)/%.o: user/%.c | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CPPFLAGS) $(call includes_of,$(call layer_of,$<)) -MMD -MP -c $< -o $@

-include $(OBJS:.o=.d)

$(BUILD)/memreap: $(OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/workloads/%: tests/workloads/%.c | $(BUILD)/workloads
	$(CC) -O1 -g -Wall -D_GNU_SOURCE $< -o $@ -lpthread

$(BUILD)/unit/%: tests/unit/%.c $(PURE_SRCS) $(wildcard user/*/*.h) | $(BUILD)/unit
	$(CC) $(SAN_FLAGS) -std=gnu11 -D_GNU_SOURCE -DMEMREAP_VERSION='"$(VERSION)"' $(ALL_INC) \
		$< $(PURE_SRCS) -o $@ -lcmocka -ljson-c -lz -lelf

$(BUILD)/bench:
	mkdir -p $@

$(BUILD)/bench/floor.bpf.o: bench/floor.bpf.c vmlinux/$(ARCH)/vmlinux.h | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/floor.skel.h: $(BUILD)/bench/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(BUILD)/bench/floor: bench/floor.c $(BUILD)/bench/floor.skel.h
	$(CC) $(CFLAGS) -Ibpf -I$(BUILD)/bench $< -o $@ -lbpf -lelf -lz

$(BUILD)/bench/%: bench/%.c bench/timing.h | $(BUILD)/bench
	$(CC) -O2 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -Ibench $< -o $@

bench-deps:
	$(call install_missing,$(BENCH_PACKAGES))

# Not part of `make test`: overhead and capacity against the floor and the anchors (issue 5),
# then the design benchmark behind the raw tracepoint. BENCH_QUICK=1: short runs that check the
# suite; its results are marked provisional and the design benchmark is skipped.
bench: deps bench-deps all $(BENCH_BINS)
	$(PYTHON) bench/suite.py $(if $(filter-out 0,$(BENCH_QUICK)),--quick)
	$(if $(filter-out 0,$(BENCH_QUICK)),,bench/rss_stat_choice.sh)

vmlinux:
	mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

# From Debian's arm64 kernel package (its Image carries raw BTF): see vmlinux/arm64.sh.
vmlinux-arm64:
	BPFTOOL=$(BPFTOOL) vmlinux/arm64.sh

# VMTEST_KERNELS (default "6.1 6.12 5.10"), VMTEST_TESTS: see tests/vmtest/vmtest.sh.
vmtest: all
	tests/vmtest/vmtest.sh

# Debian 11's 5.10 alone (reached through a private bullseye package list), where memreap loads its
# legacy BPF object (README "Kernel support"): every guest test, as make vmtest runs them.
vmtest-5.10: all
	VMTEST_KERNELS=5.10 tests/vmtest/vmtest.sh

# Debian's arm64 6.1 and 6.12 under qemu-system-aarch64 (TCG), every guest test: cross-builds
# build/arm64 first. The same VMTEST_* variables: see tests/vmtest/vmtest-arm64.sh.
vmtest-arm64:
	$(call install_missing,$(ARM64_PACKAGES))
	$(MAKE) ARCH=arm64 all
	tests/vmtest/vmtest-arm64.sh

demo: deps
	$(MAKE) all
	$(BUILD)/memreap run -- $(PYTHON) tests/workloads/demo.py

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

# The trace's real consumers (npm, pinned by tests/trace-consumer/package-lock.json): node and npm
# from Debian where the machine has none.
TRACE_CONSUMER := tests/trace-consumer
$(TRACE_CONSUMER)/node_modules/.package-lock.json: $(TRACE_CONSUMER)/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	cd $(TRACE_CONSUMER) && npm ci --no-audit --no-fund

integration: all $(TRACE_CONSUMER)/node_modules/.package-lock.json
	tests/integration/run-all.sh

# Not part of `make test`: docs/trace-devtools.png, the trace of a real recording (the HTML
# report's mix) in the DevTools Performance panel that Debian's chromium bundles, offline.
NODE_WS = $(shell node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2>/dev/null || \
	  echo --experimental-websocket)
trace-screenshot: all
	$(BUILD)/memreap run -q -o $(BUILD)/shot.rec -- sh -c '$(BUILD)/workloads/phases 120 100 1 & \
		$(BUILD)/workloads/phases 60 30 1.5 & /usr/bin/python3.11 tests/workloads/demo.py; wait' >/dev/null
	$(BUILD)/memreap report $(BUILD)/shot.rec --format trace > $(BUILD)/shot.json
	node $(NODE_WS) $(TRACE_CONSUMER)/screenshot.mjs $(BUILD)/shot.json docs/trace-devtools.png

# The exporter's image: build/memreap, the libraries ldd lists for it, terminfo and C.UTF-8 for top,
# FROM scratch (nothing from a registry); tagged IMAGE in podman's store, saved as an OCI archive.
IMAGE ?= localhost/memreap:$(VERSION)
image-deps:
	$(call install_missing,$(IMAGE_PACKAGES))

image: image-deps $(BUILD)/memreap
	deploy/container/build.sh $(BUILD)/memreap $(IMAGE) $(BUILD)/memreap-$(VERSION).oci.tar

# Not part of `make test`: the fast variants of these run there.
exporter-soak: deps
	$(MAKE) all
	MEMREAP_EXPORTER_SOAK=1 tests/integration/run-all.sh test_exporter

# The ledger tests make test runs in every vmtest guest (6.1, 6.12, 5.10); test_oom there under
# cgroup v2 (the host's memory controller is v1). Not its exporter test: the guests bring up no
# loopback. Not the tests of what user space alone does with a recording or an argv (formats,
# escaping): the host runs those.
VMTEST_LEDGER_TESTS := test_accuracy,test_doctor,test_freed,test_argv,test_timeline,$\
	test_oom.test_oom_kill,test_oom.test_teardown,test_oom.test_top,test_oom.test_recordings,$\
	-test_timeline.test_record_without_timeline_or_compression,$\
	-test_argv.test_control_characters_and_bad_utf8,-test_argv.test_recording_keeps_argv

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) fuzz-replay
	$(MAKE) integration
	$(MAKE) test-asan-fast
	VMTEST_TESTS=$(VMTEST_LEDGER_TESTS) $(MAKE) vmtest # the ledger tests; vmtest alone: all
	VMTEST_KERNELS=6.12 VMTEST_SMP=8 VMTEST_TESTS=test_accuracy.test_threads_faulting $(MAKE) vmtest
	VMTEST_KERNELS=$(ARM64_QUICK_KERNELS) VMTEST_TESTS=$(ARM64_QUICK) $(MAKE) vmtest-arm64

# --- hardening (README "Reliability") ---
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev
FUZZ_SECONDS ?= 600
SOAK_SECONDS ?= 600
FUZZ_SRCS := tests/fuzz/fuzz_report.c $(PURE_SRCS)

$(BUILD)/fuzz:
	mkdir -p $@

# The harness under libFuzzer (clang 14), and the same harness replaying files under gcc.
$(BUILD)/fuzz/fuzz_report: $(FUZZ_SRCS) $(wildcard user/*/*.h) | $(BUILD)/fuzz
	clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=gnu11 \
		-D_GNU_SOURCE -DMEMREAP_VERSION='"$(VERSION)"' $(ALL_INC) $(FUZZ_SRCS) -o $@ \
		-ljson-c -lz -lelf

$(BUILD)/fuzz/replay: tests/fuzz/replay.c $(FUZZ_SRCS) $(wildcard user/*/*.h) | $(BUILD)/fuzz
	$(CC) $(SAN_FLAGS) -std=gnu11 -D_GNU_SOURCE -DMEMREAP_VERSION='"$(VERSION)"' $(ALL_INC) \
		tests/fuzz/replay.c $(FUZZ_SRCS) -o $@ -ljson-c -lz -lelf

fuzz-replay: $(BUILD)/fuzz/replay
	$(BUILD)/fuzz/replay tests/fuzz/corpus

# New inputs go to build/fuzz/corpus; tests/fuzz/corpus is the committed seed set.
fuzz: fuzz-deps
	$(MAKE) $(BUILD)/fuzz/fuzz_report
	mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_report -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=65536 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/ \
		-dict=tests/fuzz/recording.dict \
		$(BUILD)/fuzz/corpus tests/fuzz/corpus

soak: deps
	$(MAKE) all
	SOAK_SECONDS=$(SOAK_SECONDS) $(PYTHON) tests/soak/soak.py

soak-budget: deps
	$(MAKE) all
	SOAK_BUDGET=1 SOAK_SECONDS=$(SOAK_SECONDS) $(PYTHON) tests/soak/soak.py

# The integration suite against memreap built with ASan+UBSan, in its own build dir: all of it
# (test-asan), or in `make test` the groups that drive memreap's own code hardest.
ASAN_FAST := test_cli test_signals test_environment

asan-build:
	$(MAKE) BUILD=build-asan CFLAGS="$(SAN_FLAGS)" build-asan/memreap

test-asan: deps
	$(MAKE) all asan-build
	MEMREAP_BIN=$(CURDIR)/build-asan/memreap tests/integration/run-all.sh

test-asan-fast: all asan-build
	MEMREAP_BIN=$(CURDIR)/build-asan/memreap tests/integration/run-all.sh $(ASAN_FAST)

# The man page and the bash completion come from the commands' option tables (memreap help).
$(BUILD)/memreap.1: $(BUILD)/memreap
	$< help --man >$@
$(BUILD)/memreap.bash: $(BUILD)/memreap
	$< help --bash-completion >$@
$(BUILD)/memreap.zsh: $(BUILD)/memreap
	$< help --zsh-completion >$@

PREFIX ?= /usr/local
install: $(BUILD)/memreap $(BUILD)/memreap.1 $(BUILD)/memreap.bash $(BUILD)/memreap.zsh
	install -D -m 0755 $(BUILD)/memreap $(DESTDIR)$(PREFIX)/bin/memreap
	install -D -m 0644 $(BUILD)/memreap.1 $(DESTDIR)$(PREFIX)/share/man/man1/memreap.1
	install -D -m 0644 $(BUILD)/memreap.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/memreap
	install -D -m 0644 $(BUILD)/memreap.zsh $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_memreap

format:
	clang-format -i bpf/*.c bpf/*.h user/*/*.c user/*/*.h tests/unit/*.c tests/workloads/*.c

clean:
	rm -rf $(BUILD) build-asan

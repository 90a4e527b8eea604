# SPDX-License-Identifier: GPL-2.0-only
# kslice build. Everything it writes goes under build/. `make V=1` shows full commands.

PYTHON    ?= /usr/bin/python3
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
BUILD     ?= build
KCONFIG_CONFIG ?= .config
export KCONFIG_CONFIG

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

# --- build dependencies ---------------------------------------------------------
# Goals that install what they need first (tools/deps.sh) or need nothing built.
SELF_SERVING := check check-san demo bench bench-faults bench-prefixes bench-dns deps deps-ok \
		clean distclean help uninstall deb check-deb
ifneq ($(filter-out $(SELF_SERVING),$(or $(MAKECMDGOALS),all)),)
BUILD_MISSING := $(strip $(shell tools/deps.sh --build-missing))
ifneq ($(BUILD_MISSING),)
$(error missing build dependencies (Debian packages): $(BUILD_MISSING). Install them with `sudo apt-get install $(BUILD_MISSING)`, or everything the tests need too with `sudo tools/deps.sh`)
endif
endif

# --- configuration ------------------------------------------------------------
CONFIG_TARGETS := defconfig menuconfig olddefconfig savedefconfig
ifeq ($(filter $(CONFIG_TARGETS) $(SELF_SERVING),$(MAKECMDGOALS)),)
ifeq ($(wildcard $(KCONFIG_CONFIG)),)
$(info kslice: no $(KCONFIG_CONFIG) yet, creating it from configs/defconfig)
$(shell KCONFIG_CONFIG=$(KCONFIG_CONFIG) $(PYTHON) -m defconfig --kconfig Kconfig configs/defconfig >/dev/null)
endif
endif

defconfig:
	$(PYTHON) -m defconfig --kconfig Kconfig configs/defconfig
menuconfig:
	$(PYTHON) -m menuconfig Kconfig
olddefconfig:
	$(PYTHON) -m olddefconfig Kconfig
savedefconfig:
	$(PYTHON) -m savedefconfig --kconfig Kconfig --out configs/defconfig

GEN_H := $(BUILD)/include/generated/config.h
$(BUILD)/auto.conf $(GEN_H): $(KCONFIG_CONFIG) Kconfig
	$(call msg,GEN,config.h)
	$(Q)mkdir -p $(dir $(GEN_H))
	$(Q)$(PYTHON) -m genconfig Kconfig --header-path $(GEN_H) --config-out $(BUILD)/auto.conf

# (not for goals that build nothing themselves: they would make it in build/ for nothing)
ifneq ($(filter-out $(SELF_SERVING),$(or $(MAKECMDGOALS),all)),)
-include $(BUILD)/auto.conf
endif

# --- flags --------------------------------------------------------------------
ARCH_INC  := /usr/include/$(shell $(CC) -print-multiarch)
CFLAGS    := -std=gnu11 -D_GNU_SOURCE -g -Wall -Wextra -Wformat=2 -Wmissing-prototypes \
	     -Wstrict-prototypes -Wno-unused-parameter -MMD -MP \
	     -Iinclude -I$(BUILD)/include -I$(BUILD)/bpf -Iuser $(shell pkg-config --cflags libxml-2.0)
ifeq ($(CONFIG_DEBUG),y)
CFLAGS    += -O0
else
CFLAGS    += -O2 -D_FORTIFY_SOURCE=2
endif
ifeq ($(CI),true)
CFLAGS    += -Werror
endif
ifneq ($(filter 1,$(SAN))$(filter y,$(CONFIG_SANITIZERS)),)
CFLAGS    += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=address,undefined
endif
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -Wall -Werror -Iinclude -I$(ARCH_INC)

libs-y                  := -lssl -lcrypto -luring -lbpf -lelf -lpthread -lseccomp $(shell pkg-config --libs libxml-2.0)
libs-$(CONFIG_COMPRESSION) += -lz -llz4

# --- objects (kbuild style) ---------------------------------------------------
user-y := log.o buf.o prefix.o csum.o gso.o gro.o tls_bio.o preload.o json.o nl.o opts.o totp.o tls.o proxy.o strap.o sso.o client_cert.o key_proxy.o http.o xml.o auth.o cstp_params.o \
	  cstp_frame.o cstp.o dtls_bio.o aes_gcm.o dtls_record.o dtls_suites.o dtls.o esc.o tun.o uring.o tunnel.o tunnel_udp.o env.o ctl_proto.o ctl.o ctl_server.o session_ctl.o secret.o secret_file.o profile.o privsep.o sandbox.o worker.o worker_cert.o status.o metrics.o sd_notify.o tun_stats.o session.o \
	  cmd_connect.o monitor_auth.o cmd_common.o cmd_status.o cmd_disconnect.o cmd_cleanup.o cmd_route.o pin.o policy.o uplink.o localnet.o origin.o pathwatch.o split.o split_report.o residue.o dns_name.o dns.o dns_report.o cmd_domain.o cmd_app.o cmd_exec.o exec_scope.o app.o cgroup.o guest.o
user-$(CONFIG_COMPRESSION) += deflate.o oc_lz4.o lzs.o

bpf-y := tun_stats split

USER_OBJS := $(addprefix $(BUILD)/user/,$(user-y))
SKELS     := $(addprefix $(BUILD)/bpf/,$(addsuffix .skel.h,$(bpf-y)))
BIN       := $(BUILD)/kslice

all: $(BIN)

$(BUILD)/bpf/%.tmp.bpf.o: bpf/%.bpf.c $(wildcard bpf/lib/*.h include/kslice/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.bpf.o: $(BUILD)/bpf/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name ks_$*_bpf > $@

$(BUILD)/user/%.o: user/%.c $(GEN_H) | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/user/main.o: user/main.c $(GEN_H)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(BUILD)/user/main.o $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(libs-y)

# --- tests --------------------------------------------------------------------
TEST_SRCS := $(wildcard tests/unit/*.c tests/bpf/*.c)
TEST_OBJS := $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(TEST_SRCS)) $(BUILD)/tests/lib/ks_test.o $(BUILD)/tests/lib/dns_msg.o $(BUILD)/tests/lib/split_prog.o $(BUILD)/tests/lib/dtls_peer.o
TEST_BIN  := $(BUILD)/tests/ks_test

$(BUILD)/tests/tests.h: $(TEST_SRCS)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sed -n 's/^void \(test_[a-z0-9_]*\)(void)$$/KS_TEST(\1)/p' $(TEST_SRCS) > $@

$(BUILD)/tests/%.o: tests/%.c $(GEN_H) $(BUILD)/tests/tests.h | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -Wno-sign-compare -Itests/lib -I$(BUILD)/tests -DKS_SRCDIR='"$(CURDIR)"' -c $< -o $@

$(TEST_BIN): $(TEST_OBJS) $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(libs-y)

tests: $(TEST_BIN) $(BIN) $(BUILD)/kslice.1

# `make check`: installs what is missing, then unit, bpf and integration tests.
check: deps-ok
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)tests/run-all $(TEST_BIN)

# The same suite built with ASan + UBSan, in its own build directory.
check-san: deps-ok
	$(Q)$(MAKE) --no-print-directory BUILD=build-san SAN=1 tests
	$(Q)KS_BIN=$(CURDIR)/build-san/kslice KS_SAN_DIR=$(CURDIR)/build-san/sanitizer-reports \
		tests/run-all $(CURDIR)/build-san/tests/ks_test

unit: $(TEST_BIN)
	$(Q)$(TEST_BIN) $(T)

integration: $(BIN)
	$(Q)tests/integration/run $(T)

demo: deps-ok
	$(Q)$(MAKE) --no-print-directory $(BIN)
	$(Q)tools/demo.sh

bench: deps-ok
	$(Q)$(MAKE) --no-print-directory $(BIN)
	$(Q)tools/bench/run

deps:
	$(Q)tools/deps.sh
deps-ok:
	$(Q)tools/deps.sh --if-missing

format-check:
	$(Q)clang-format --dry-run --Werror $(wildcard user/*.[ch] include/kslice/*.h bpf/*.c bpf/lib/*.h tests/*/*.[ch])

clean:
	rm -rf build build-san
distclean: clean
	rm -f .config .config.old

# --- install ------------------------------------------------------------------
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/kslice
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/vendor-completions
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
# Profiles are read from /etc/kslice whatever the prefix (kslice.1, FILES).
CONFDIR     ?= /etc/kslice
VERSION     := $(shell sed -n 's/^\#define KSLICE_VERSION "\(.*\)"/\1/p' user/version.h)
DOCS        := README.md $(wildcard docs/*.md)

$(BUILD)/kslice.1: docs/kslice.1.md tools/md2man.py
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(PYTHON) tools/md2man.py --version $(VERSION) $< > $@

man: $(BUILD)/kslice.1

install: $(BIN) $(BUILD)/kslice.1
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/kslice
	install -D -m 0644 $(BUILD)/kslice.1 $(DESTDIR)$(MANDIR)/man1/kslice.1
	install -D -m 0644 completion/kslice.bash $(DESTDIR)$(BASHCOMPDIR)/kslice
	install -D -m 0644 completion/_kslice $(DESTDIR)$(ZSHCOMPDIR)/_kslice
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' systemd/kslice@.service.in \
		> $(DESTDIR)$(UNITDIR)/kslice@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/kslice@.service
	install -D -m 0644 systemd/kslice.sysusers $(DESTDIR)$(SYSUSERSDIR)/kslice.conf
	install -d -m 0755 $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(CONFDIR)
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 0644 examples/*.conf $(DESTDIR)$(DOCDIR)/examples/

# What install put there; /etc/kslice and its profiles are the admin's and stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kslice $(DESTDIR)$(MANDIR)/man1/kslice.1 \
		$(DESTDIR)$(BASHCOMPDIR)/kslice $(DESTDIR)$(ZSHCOMPDIR)/_kslice \
		$(DESTDIR)$(UNITDIR)/kslice@.service $(DESTDIR)$(SYSUSERSDIR)/kslice.conf
	rm -rf $(DESTDIR)$(DOCDIR)

# The Debian package (debian/), built apart in build-deb/; the .deb lands in build/.
# debian/rules builds in build-deb/ with build-deb/.config, and --post-clean removes them
# and debian/'s leftovers afterwards; this make's MAKEFLAGS (a BUILD=... on its command
# line) must not reach it. The -dbgsym package comes along in build/.
deb:
	$(Q)command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null && \
		command -v lintian >/dev/null || { echo "kslice: make deb needs: sudo apt-get \
		install dpkg-dev debhelper fakeroot lintian (and the build packages: tools/deps.sh)" >&2; exit 1; }
	$(Q)v=$$(dpkg-parsechangelog -S Version); [ "$$v" = "$(VERSION)" ] || { \
		echo "kslice: debian/changelog is at $$v, KSLICE_VERSION at $(VERSION): add an entry (dch -v $(VERSION))" >&2; \
		exit 1; }
	$(Q)env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b -Jauto --post-clean
	$(Q)mkdir -p build && for f in ../kslice_$(VERSION)_*.deb ../kslice-dbgsym_$(VERSION)_*.deb \
		../kslice_$(VERSION)_*.buildinfo ../kslice_$(VERSION)_*.changes; do \
		if [ -e "$$f" ]; then mv "$$f" build/ || exit 1; fi; done
	$(Q)lintian --fail-on error build/kslice_$(VERSION)_*.changes

# The package built, installed, and the installed kslice run against ocserv (root).
check-deb:
	$(Q)tools/check-deb.sh

help:
	@echo 'make            build build/kslice'
	@echo 'make demo       connect to a local ocserv in namespaces and show the tunnel'
	@echo 'make check      unit, BPF and integration tests (root)'
	@echo 'make check-san  the same, built with ASan + UBSan'
	@echo 'make bench      kslice vs openconnect side by side (tools/bench)'
	@echo 'make bench-faults  recovery after faults, kslice vs openconnect (tools/bench/faults)'
	@echo 'make bench-prefixes  loading N split prefixes: maps vs ip route (tools/bench/prefixes)'
	@echo 'make bench-dns  the DNS learner per packet (tools/bench/dns_bench.c)'
	@echo 'make install    PREFIX=/usr/local DESTDIR=: binary, man page, completions, unit, docs'
	@echo 'make uninstall  removes what install put (not /etc/kslice)'
	@echo 'make deb        the Debian package (debian/), into build/'
	@echo 'make check-deb  ... installed, and the installed kslice tested (root)'
	@echo 'make defconfig | menuconfig | olddefconfig | savedefconfig'
	@echo 'make SAN=1      ASan + UBSan build;  V=1 full commands'

.PHONY: all man install uninstall deb check-deb defconfig menuconfig olddefconfig savedefconfig tests check check-san unit integration demo \
	bench bench-faults deps deps-ok format-check clean distclean help

-include $(wildcard $(BUILD)/user/*.d $(BUILD)/tests/*/*.d)

# --- tools --------------------------------------------------------------------
$(BUILD)/tools/lpm_bench: tools/bench/lpm_bench.c $(GEN_H) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< -lbpf -lelf -lz

# Recovery after the faults a laptop meets, kslice vs openconnect (tools/bench/faults).
bench-faults: deps-ok
	$(Q)$(MAKE) --no-print-directory $(BIN)
	$(Q)KS_BIN=$(CURDIR)/$(BIN) tools/bench/faults $(ROUNDS)

bench-forward: deps-ok
	$(Q)$(MAKE) --no-print-directory $(BIN)
	$(Q)KS_BIN=$(CURDIR)/$(BIN) tools/bench/forward $(ROUNDS)

.PHONY: bench-forward

bench-prefixes: deps-ok
	$(Q)$(MAKE) --no-print-directory $(BUILD)/tools/lpm_bench
	$(Q)tools/bench/prefixes

.PHONY: bench-prefixes

$(BUILD)/tools/dns_bench: tools/bench/dns_bench.c tests/lib/dns_msg.c user/dns_name.c $(GEN_H) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/lib -o $@ tools/bench/dns_bench.c tests/lib/dns_msg.c user/dns_name.c -lbpf -lelf -lz

# The DNS learner's per-packet cost in the kernel (BPF_PROG_TEST_RUN).
bench-dns: deps-ok
	$(Q)$(MAKE) --no-print-directory $(BUILD)/tools/dns_bench
	$(Q)$(BUILD)/tools/dns_bench

.PHONY: bench-dns

$(BUILD)/tools/gcm_bench: tools/bench/gcm_bench.c user/aes_gcm.c user/aes_gcm.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Iuser -o $@ tools/bench/gcm_bench.c user/aes_gcm.c -lcrypto

# A DTLS record's AES-GCM: kslice's own against OpenSSL's two ways (ns a record).
bench-gcm: deps-ok
	$(Q)$(MAKE) --no-print-directory $(BUILD)/tools/gcm_bench
	$(Q)$(BUILD)/tools/gcm_bench

.PHONY: bench-gcm
include tests/fuzz/fuzz.mk

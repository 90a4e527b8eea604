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

# --- configuration ------------------------------------------------------------
CONFIG_TARGETS := defconfig menuconfig olddefconfig savedefconfig
ifeq ($(filter $(CONFIG_TARGETS) clean distclean deps help,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(KCONFIG_CONFIG)),)
$(info kslice: no $(KCONFIG_CONFIG) yet, creating it from configs/defconfig)
$(shell $(PYTHON) -m defconfig --kconfig Kconfig configs/defconfig >/dev/null)
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

-include $(BUILD)/auto.conf

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
	  cstp_frame.o cstp.o dtls_bio.o dtls_record.o dtls_suites.o dtls.o esc.o tun.o uring.o tunnel.o tunnel_udp.o env.o ctl_proto.o ctl.o ctl_server.o session_ctl.o secret.o secret_file.o privsep.o sandbox.o worker.o worker_cert.o status.o tun_stats.o session.o \
	  cmd_connect.o monitor_auth.o cmd_common.o cmd_status.o cmd_disconnect.o cmd_cleanup.o cmd_route.o pin.o policy.o uplink.o localnet.o origin.o pathwatch.o split.o split_report.o residue.o dns_name.o dns.o dns_report.o cmd_domain.o
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

tests: $(TEST_BIN) $(BIN)

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

help:
	@echo 'make            build build/kslice'
	@echo 'make demo       connect to a local ocserv in namespaces and show the tunnel'
	@echo 'make check      unit, BPF and integration tests (root)'
	@echo 'make check-san  the same, built with ASan + UBSan'
	@echo 'make bench      kslice vs openconnect side by side (tools/bench)'
	@echo 'make bench-faults  recovery after faults, kslice vs openconnect (tools/bench/faults)'
	@echo 'make bench-prefixes  loading N split prefixes: maps vs ip route (tools/bench/prefixes)'
	@echo 'make bench-dns  the DNS learner per packet (tools/bench/dns_bench.c)'
	@echo 'make defconfig | menuconfig | olddefconfig | savedefconfig'
	@echo 'make SAN=1      ASan + UBSan build;  V=1 full commands'

.PHONY: all defconfig menuconfig olddefconfig savedefconfig tests check check-san unit integration demo \
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
include tests/fuzz/fuzz.mk

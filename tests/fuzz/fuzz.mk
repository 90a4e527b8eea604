# SPDX-License-Identifier: GPL-2.0-only
# libFuzzer targets (wireguard-tools src/fuzz style), included by the top Makefile.
# Everything goes under $(FUZZ_OUT); see tests/fuzz/README.md.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="http gso"]   fuzz each target, one line each
#   make fuzz-replay [FUZZ_SECONDS=5]                        committed corpus, then a short run
#   make fuzz-build                                          only build them
#   FUZZ_IGNORE=id,id   turn off the checks of known findings (tests/fuzz/README.md)

FUZZ_OUT     ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= $(CLANG)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wno-unused-parameter \
		-Wno-sign-compare -MMD -MP $(FUZZ_SAN) \
		-Iinclude -I$(BUILD)/include -Iuser -Itests/fuzz -Itests/lib \
		$(shell pkg-config --cflags libxml-2.0)
FUZZ_LIBS    := -lssl -lcrypto -lz -llz4 $(shell pkg-config --libs libxml-2.0)

# Each target is tests/fuzz/fuzz_<name>.c, which #includes the user/*.c it drives (so its
# static functions are reachable) and links what else it calls from an archive of the
# parsers' support modules built with the same instrumentation (the linker takes only
# the members a target needs). A target that fails to link with "undefined reference"
# after user/ grew a helper: add its module to FUZZ_MODULES. fuzz-<name>-test lists the
# stand-ins from tests/fuzz/ a target links before the archive (fake_tls: a gateway made
# of fuzz input behind user/tls.h; stub_log: a ks_log that formats and drops).
FUZZ_MODULES := buf profile csum gso gro http xml totp tls proxy key_proxy strap sso tls_bio dtls_bio aes_gcm dtls_record dtls_suites prefix cstp_params cstp_frame \
		deflate oc_lz4 lzs dns_name \
		opts $(notdir $(basename $(wildcard user/esc.c user/secret.c user/secret_file.c \
		user/cstp.c user/env.c)))
FUZZ_ALL := http cookie auth login postauth cstp_params cstp_frame inflate codecs gso gro \
	    pin totp server prefix domain sign proxy sso profile
FUZZ_ALL += $(if $(wildcard user/cstp.c),cstp_session) $(if $(wildcard user/ctl_proto.c),ctl)
FUZZ_ALL += $(if $(wildcard user/dtls.c),dtls)
FUZZ_ALL += $(if $(wildcard user/cgroup.c),cgroup)
FUZZ_ALL += $(if $(wildcard user/aes_gcm.c),gcm)
ifneq ($(CONFIG_COMPRESSION),y)
FUZZ_ALL := $(filter-out inflate codecs cstp_session dtls,$(FUZZ_ALL))
endif
FUZZ_TARGETS ?= $(FUZZ_ALL)

fuzz-http-test         := fake_tls
fuzz-cookie-test       := fake_tls
fuzz-auth-test         := fake_tls stub_log
fuzz-login-test        := fake_tls stub_log
fuzz-postauth-test     := stub_log
fuzz-cstp_params-test  := fake_tls stub_log
fuzz-cstp_frame-test   := stub_log
fuzz-cstp_session-test := stub_log
fuzz-inflate-test      := stub_log
fuzz-codecs-test       := stub_log
fuzz-gso-test          := stub_log
fuzz-gro-test          := stub_log
fuzz-pin-test          := stub_log
fuzz-totp-test         := stub_log
fuzz-server-test       := stub_log
fuzz-prefix-test       := stub_log
fuzz-domain-test       := stub_log
fuzz-ctl-test          := stub_log
fuzz-dtls-test         := stub_log dtls_peer
fuzz-sign-test         := stub_log
fuzz-proxy-test        := stub_log
fuzz-sso-test          := stub_log
fuzz-profile-test      := stub_log

FUZZ_LIB      := $(FUZZ_OUT)/libks-fuzz.a

# libFuzzer options per target (the largest input that means something to it).
FUZZ_MAX_LEN_DEFAULT    := 4096
fuzz-http-max_len        := 16384
fuzz-auth-max_len        := 16384
fuzz-login-max_len       := 32768
fuzz-postauth-max_len    := 8192
fuzz-cstp_params-max_len := 16384
fuzz-cstp_frame-max_len  := 70000
fuzz-cstp_session-max_len := 70000
fuzz-inflate-max_len     := 16384
fuzz-codecs-max_len      := 20000
fuzz-gso-max_len         := 66000
fuzz-gro-max_len         := 32768
fuzz-pin-max_len         := 256
fuzz-totp-max_len        := 1024
fuzz-server-max_len      := 600
fuzz-prefix-max_len      := 256
fuzz-domain-max_len      := 2048
fuzz-ctl-max_len         := 1024
fuzz-dtls-max_len        := 20000
fuzz-profile-max_len     := 8192
fuzz-gcm-max_len         := 17200

FUZZ_BINS := $(addprefix $(FUZZ_OUT)/fuzz_,$(FUZZ_TARGETS))

$(FUZZ_OUT)/user/%.o: user/%.c $(GEN_H)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/tests/%.o: tests/fuzz/%.c $(GEN_H)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# Test peers shared with the unit tests (tests/lib: the in-process DTLS gateway).
$(FUZZ_OUT)/tests/%.o: tests/lib/%.c $(GEN_H)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LIB): $(addprefix $(FUZZ_OUT)/user/,$(addsuffix .o,$(FUZZ_MODULES)))
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

fuzz_test_objs = $(addprefix $(FUZZ_OUT)/tests/,$(addsuffix .o,$(fuzz-$(1)-test)))

define fuzz_target_rule
$(FUZZ_OUT)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(GEN_H) $(call fuzz_test_objs,$(1)) $(FUZZ_LIB)
	$$(call msg,FUZZ-LD,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer -o $$@ $$< $(call fuzz_test_objs,$(1)) \
		$(FUZZ_LIB) $$(FUZZ_LIBS)
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call fuzz_target_rule,$(t))))

fuzz-build: $(FUZZ_BINS)

# One line per target: NAME execs=N crashes=N. Non-zero exit if any target crashed.
fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh fuzz $(FUZZ_OUT) $(FUZZ_SECONDS) \
		$(foreach t,$(FUZZ_TARGETS),$(t):$(or $(fuzz-$(t)-max_len),$(FUZZ_MAX_LEN_DEFAULT)))

fuzz-replay: FUZZ_SECONDS = 5
fuzz-replay: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh replay $(FUZZ_OUT) $(FUZZ_SECONDS) \
		$(foreach t,$(FUZZ_TARGETS),$(t):$(or $(fuzz-$(t)-max_len),$(FUZZ_MAX_LEN_DEFAULT)))

# Toward issue #11's 10 million executions a target: FUZZ_RUNS each (default 10 M), at most
# FUZZ_SECONDS each; the grown corpus in $(FUZZ_OUT)/corpus carries over to the next run.
fuzz-campaign: FUZZ_SECONDS = 7200
fuzz-campaign: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh campaign $(FUZZ_OUT) $(FUZZ_SECONDS) \
		$(foreach t,$(FUZZ_TARGETS),$(t):$(or $(fuzz-$(t)-max_len),$(FUZZ_MAX_LEN_DEFAULT)))

fuzz-clean:
	rm -rf $(FUZZ_OUT)

.PHONY: fuzz fuzz-build fuzz-replay fuzz-campaign fuzz-clean

-include $(wildcard $(FUZZ_OUT)/*.d $(FUZZ_OUT)/user/*.d $(FUZZ_OUT)/tests/*.d)

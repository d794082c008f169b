// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include "caps.h"
#include "util.h"

static bool has_effective(cap_t caps, cap_value_t cap)
{
	cap_flag_value_t v = CAP_CLEAR;

	return cap_get_flag(caps, cap, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET;
}

/*
 * Loading tracing programs (raw tracepoints, a uprobe) and BPF_PROG_TEST_RUN need CAP_BPF and
 * CAP_PERFMON; attaching raw tracepoints and uprobes needs CAP_PERFMON. CAP_SYS_ADMIN implies both.
 */
int caps_check_observe(char *err, size_t errlen)
{
	cap_t caps = cap_get_proc();
	bool bpf, perfmon;

	if (!caps) {
		snprintf(err, errlen, "cannot read this process's capabilities: %s",
			 strerror(errno));
		return -1;
	}
	bpf = has_effective(caps, CAP_BPF) || has_effective(caps, CAP_SYS_ADMIN);
	perfmon = has_effective(caps, CAP_PERFMON) || has_effective(caps, CAP_SYS_ADMIN);
	cap_free(caps);
	if (bpf && perfmon)
		return 0;
	snprintf(err, errlen,
		 "missing privileges: loading and attaching memreap's BPF programs needs CAP_BPF and "
		 "CAP_PERFMON (interpreter shutdown uprobes: CAP_SYS_ADMIN), or root; missing %s%s%s",
		 bpf ? "" : "CAP_BPF", bpf || perfmon ? "" : " and ", perfmon ? "" : "CAP_PERFMON");
	return -1;
}

/*
 * Still needed while observing: CAP_SYS_ADMIN and CAP_PERFMON to attach uprobes to interpreters
 * exec'd later (since the 2025 uprobe hardening, 6.18 here, perf's uprobe PMU wants
 * CAP_SYS_ADMIN; before it, CAP_PERFMON); CAP_SYS_PTRACE to read /proc/PID/exe and
 * /proc/PID/maps of other users' processes (executable and interpreter names);
 * CAP_DAC_READ_SEARCH to read executables only their owner may read (interpreter detection).
 * With a command: CAP_KILL, to pass SIGTERM and SIGHUP on to it even if it changed its user.
 * Everything else goes (CAP_BPF, CAP_DAC_OVERRIDE, CAP_SETUID, CAP_NET_ADMIN, ...): the programs
 * are loaded, map reads go through descriptors memreap holds, output files are open.
 */
static const cap_value_t observe[] = { CAP_SYS_ADMIN, CAP_PERFMON, CAP_SYS_PTRACE,
				       CAP_DAC_READ_SEARCH };

int caps_drop(enum caps_keep keep, char *err, size_t errlen)
{
	cap_t now = cap_get_proc(), want = cap_init();
	cap_value_t list[ARRAY_SIZE(observe) + 1];
	size_t n = 0;
	int rc = -1;

	if (keep != CAPS_KEEP_NONE)
		for (size_t i = 0; i < ARRAY_SIZE(observe); i++)
			list[n++] = observe[i];
	if (keep == CAPS_KEEP_COMMAND)
		list[n++] = CAP_KILL;
	if (!now || !want)
		goto out;
	for (size_t i = 0; i < n; i++) {
		cap_flag_value_t held = CAP_CLEAR;

		if (cap_get_flag(now, list[i], CAP_PERMITTED, &held) || held != CAP_SET)
			continue;
		if (cap_set_flag(want, CAP_PERMITTED, 1, &list[i], CAP_SET) ||
		    cap_set_flag(want, CAP_EFFECTIVE, 1, &list[i], CAP_SET))
			goto out;
	}
	rc = cap_set_proc(want);
out:
	if (rc)
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
	cap_free(now);
	cap_free(want);
	return rc;
}

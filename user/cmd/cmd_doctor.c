// SPDX-License-Identifier: GPL-2.0
/*
 * memreap doctor: what this kernel offers, which path memreap takes on it and why, then proof:
 * load and attach everything and follow one forked child that touches memory and exits.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "bpf_features.h"
#include "caps.h"
#include "collector.h"
#include "commands.h"
#include "ledger.h"
#include "util.h"

static const struct cmd_option doctor_options[] = { OPT_HELP, { NULL } };

const struct cmd_help doctor_help = {
	.name = "doctor",
	.summary = "what this kernel offers, which path memreap takes on it, a self-test",
	.text = "Checks what memreap needs from this kernel (BTF, tracepoints, BPF features), says\n"
		"which path it takes here and why, then loads everything and follows one forked\n"
		"child that touches 4 MiB and exits 7. The last line is the verdict; the exit status\n"
		"is 0 when memreap works here.",
	.options = doctor_options,
	.example = "sudo memreap doctor",
};

#define CHILD_BYTES (4u << 20)
#define CHILD_EXIT  7
/* Its private pages are freed at its exit, but for those another CPU's page batch still held. */
#define CHILD_SLACK (1u << 20)

struct self_test {
	pid_t child;
	bool ended;
	struct ledger led;
};

static void print_line(const char *what, const char *status, const char *result)
{
	printf("%-20s %-4s %s\n", what, status, result);
}

static void print_check(const char *what, bool ok, const char *result)
{
	print_line(what, ok ? "ok" : "FAIL", result);
}

static void on_end(const struct ledger *l, void *ctx)
{
	struct self_test *t = ctx;

	if (l->pid == (uint32_t)t->child && !t->ended) {
		ledger_copy(&t->led, l);
		t->ended = true;
	}
}

static pid_t touch_and_exit(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *p = mmap(NULL, CHILD_BYTES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			memset(p, 1, CHILD_BYTES);
		_exit(CHILD_EXIT);
	}
	return pid;
}

/* The child's ledger must end by exit with its code, hold its pages as kernel_exit, balance. */
static bool self_test(struct collector *c, struct self_test *t)
{
	char result[320], size[32], freed[32];
	int status;
	bool ok;

	t->child = touch_and_exit();
	if (t->child < 0) {
		print_check("self-test", false, "cannot fork");
		return false;
	}
	waitpid(t->child, &status, 0);
	for (int waited = 0; !t->ended && waited < 3000; waited += 50)
		collector_poll(c, 50);
	if (!t->ended) {
		print_check("self-test", false, "the child's ledger did not end within 3 s");
		return false;
	}
	ok = t->led.end == MR_END_EXIT && t->led.exit_code == CHILD_EXIT &&
	     t->led.bytes[CAT_KERNEL_EXIT][MR_ANON] >= CHILD_BYTES &&
	     ledger_unbalanced_kind(&t->led) < 0 &&
	     t->led.freed[CAT_KERNEL_EXIT][MR_ANON] + CHILD_SLACK >= CHILD_BYTES;
	snprintf(result, sizeof(result),
		 "a forked child touched 4 MiB and exited %d: ledger ended by %s, exit code %d, "
		 "kernel_exit.anon %s, freed %s, %s",
		 CHILD_EXIT, end_names[t->led.end], t->led.exit_code,
		 human_bytes(t->led.bytes[CAT_KERNEL_EXIT][MR_ANON], size, sizeof(size)),
		 human_bytes(t->led.freed[CAT_KERNEL_EXIT][MR_ANON], freed, sizeof(freed)),
		 ledger_unbalanced_kind(&t->led) < 0 ? "balanced" : "DOES NOT BALANCE");
	print_check("self-test", ok, result);
	return ok;
}

static void print_paths(struct collector *c)
{
	struct mr_paths p;
	char result[320];
	bool legacy = strcmp(collector_object(c), MR_OBJECT_MODERN) != 0;
	/* Who ends a ledger: the exit_mmap tracepoint, or the legacy object's fallback. */
	const char *ender = legacy ? "the teardown's end ends it (exit_mmap's fallback)"
				   : "exit_mmap ends it";

	collector_paths(c, &p);
	snprintf(result, sizeof(result), "%s%s", collector_object(c),
		 legacy ? ": the fallbacks named above, for kernels that lack what they replace"
			: ": every feature above present");
	print_check("BPF object", true, result);
	if (p.counter_layout == MR_COUNTERS_PERCPU)
		snprintf(result, sizeof(result),
			 "CO-RE chose the percpu_counters, booked per CPU (%llu counters reconciled "
			 "at a ledger's end so far)",
			 (unsigned long long)p.reconciled);
	else
		snprintf(result, sizeof(result), "%s",
			 p.counter_layout == MR_COUNTERS_ATOMIC
				 ? "CO-RE chose the atomic counters"
				 : "unknown (the seeding program did not run)");
	print_check("counter path", p.counter_layout != MR_COUNTERS_UNKNOWN, result);
	if (p.exits_after_exit_mm > p.exits_before_exit_mm)
		snprintf(
		    result, sizeof(result),
		    "sched_process_exit after exit_mm (%llu of %llu exits; older kernels): the "
		    "exiting task's own teardown (PF_EXITING) marks the ledger; an mm held "
		    "elsewhere is found through its active_mm; %s",
		    (unsigned long long)p.exits_after_exit_mm,
		    (unsigned long long)(p.exits_after_exit_mm + p.exits_before_exit_mm), ender);
	else
		snprintf(
		    result, sizeof(result),
		    "sched_process_exit before exit_mm (%llu of %llu exits; newer kernels): the "
		    "exit hook marks the ledger; %s",
		    (unsigned long long)p.exits_before_exit_mm,
		    (unsigned long long)(p.exits_after_exit_mm + p.exits_before_exit_mm), ender);
	print_check("exit order", p.exits_after_exit_mm + p.exits_before_exit_mm > 0, result);
	snprintf(result, sizeof(result), "%zu interpreter shutdown probes attached",
		 collector_probe_count(c));
	print_check("uprobes", true, result);
}

/*
 * Without CAP_BPF and CAP_PERFMON nothing can be loaded: what only loading shows is not checked,
 * and nothing is concluded of the kernel from it. A failure of what could be checked stands.
 */
static int unprivileged_verdict(bool checks_ok)
{
	static const char *const need_loading[] = { "load and attach", "self-test", "BPF object",
						    "counter path", "exit order", "uprobes" };

	for (size_t i = 0; i < ARRAY_SIZE(need_loading); i++)
		print_line(need_loading[i], "--", KERNEL_CHECK_NEEDS_PRIVILEGES);
	if (checks_ok)
		printf("verdict: run memreap doctor as root (or with CAP_BPF and CAP_PERFMON) to "
		       "check this kernel\n");
	else
		printf("verdict: memreap does NOT work on this kernel (FAIL above); run memreap "
		       "doctor as root (or with CAP_BPF and CAP_PERFMON) for what was not "
		       "checked\n");
	return EXIT_FAILURE_MEMREAP;
}

int cmd_doctor(int argc, char **argv)
{
	struct kernel_check checks[24];
	struct self_test t = {0};
	struct collector_handlers h = {.ledger_end = on_end, .ctx = &t};
	struct collector *c;
	char err[512];
	bool ok = true, privileged;
	int n, opt;

	while ((opt = cmd_getopt(argc, argv, &doctor_help)) != -1)
		return common_option(opt, &doctor_help, NULL, argv);
	if (optind < argc)
		return usage_error(&doctor_help, "unexpected argument: %s", argv[optind]);
	privileged = caps_check_observe(err, sizeof(err)) == 0;
	if (!privileged)
		print_line("privileges", "--", err);
	n = collector_kernel_checks(checks, ARRAY_SIZE(checks));
	for (int i = 0; i < n; i++) {
		if (checks[i].unchecked)
			print_line(checks[i].what, "--", checks[i].result);
		else
			print_check(checks[i].what, checks[i].ok, checks[i].result);
		ok &= checks[i].ok;
	}
	if (!privileged)
		return unprivileged_verdict(ok);
	if (!ok) {
		/* loading would only repeat what the FAIL lines say, as one line */
		print_check("load and attach", false,
			    "not tried: this kernel lacks what the FAIL lines above name");
		printf("verdict: memreap does NOT work on this kernel\n");
		return EXIT_FAILURE_MEMREAP;
	}
	c = collector_open(NULL, &h, err, sizeof(err));
	print_check("load and attach", c != NULL, c ? "every program loaded and attached" : err);
	if (c) {
		ok &= self_test(c, &t);
		print_paths(c);
		collector_close(c);
	}
	ok &= c != NULL;
	ledger_free(&t.led);
	printf("verdict: memreap %s on this kernel\n", ok ? "works" : "does NOT work");
	return ok ? 0 : EXIT_FAILURE_MEMREAP;
}

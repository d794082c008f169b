// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel ground truth for one command: runs it under ptrace, reads RssAnon/RssFile/RssShmem from
 * /proc/PID/status at the PTRACE_EVENT_EXIT stop (what is left for the kernel to reclaim), and
 * ru_maxrss from wait4. Writes JSON to OUT; exits with the command's status.
 *
 *   truth OUT.json CMD [ARG...]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>

struct rss {
	long anon, file, shmem; /* kB */
};

static void read_status(pid_t pid, struct rss *r)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "RssAnon: %ld kB", &r->anon);
		sscanf(line, "RssFile: %ld kB", &r->file);
		sscanf(line, "RssShmem: %ld kB", &r->shmem);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	struct rss at_exit = { -1, -1, -1 };
	struct rusage ru;
	int status, sig = 0;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: truth OUT.json CMD [ARG...]\n");
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	ptrace(PTRACE_SETOPTIONS, pid, NULL, PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL);
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	for (;;) {
		if (wait4(pid, &status, 0, &ru) < 0)
			return 100;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		sig = 0;
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
			read_status(pid, &at_exit);
		else if (WIFSTOPPED(status) && WSTOPSIG(status) != SIGTRAP)
			sig = WSTOPSIG(status);
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	out = fopen(argv[1], "w");
	if (!out)
		return 100;
	fprintf(out,
		"{\"pid\": %d, \"rss_at_exit_bytes\": {\"anon\": %ld, \"file\": %ld, \"shmem\": %ld}, "
		"\"ru_maxrss_bytes\": %ld, \"exit_code\": %d, \"signal\": %d}\n",
		pid, at_exit.anon * 1024, at_exit.file * 1024, at_exit.shmem * 1024,
		ru.ru_maxrss * 1024, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

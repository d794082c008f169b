// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "spawn.h"

static void child_run(int go, int err, char **argv, bool stdout_to_stderr)
{
	char byte;
	int e;

	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (read(go, &byte, 1) != 1)
		_exit(127); /* memreap went away before observing */
	if (stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		_exit(127);
	execvp(argv[0], argv);
	e = errno;
	if (write(err, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int spawn_paused(struct spawn *s, char **argv)
{
	int go[2], err[2];

	if (pipe2(go, O_CLOEXEC))
		return -1;
	if (pipe2(err, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -1;
	}
	s->pid = fork();
	if (s->pid == 0) {
		close(go[1]);
		close(err[0]);
		child_run(go[0], err[1], argv, s->stdout_to_stderr);
	}
	close(go[0]);
	close(err[1]);
	if (s->pid < 0) {
		close(go[1]);
		close(err[0]);
		return -1;
	}
	s->go_fd = go[1];
	s->err_fd = err[0];
	return 0;
}

int spawn_release(struct spawn *s)
{
	int e = 0;
	ssize_t n;

	if (write(s->go_fd, "x", 1) != 1)
		e = errno;
	close(s->go_fd);
	do
		n = read(s->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(s->err_fd);
	return n == sizeof(e) ? e : 0;
}

int spawn_wait(struct spawn *s, int *status, int nohang)
{
	pid_t r;

	do
		r = waitpid(s->pid, status, nohang ? WNOHANG : 0);
	while (r < 0 && errno == EINTR);
	return r == s->pid;
}

int spawn_exit_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

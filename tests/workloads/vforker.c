// SPDX-License-Identifier: GPL-2.0
/*
 * A vfork child that outlives memreap's start: it shares its parent's mm, and memreap, started
 * after the vfork, never saw it forked. The child says its pid and waits to be killed: it then
 * exits in its parent's mm, which lives on. The parent, resumed, maps FILE and reads it all
 * (file RSS), says "resumed ADDRESS LENGTH" (another process may page it out), and exits with
 * status 3 at a line on stdin.
 *
 *   vforker FILE      (FILE on a disk file system: tmpfs pages cannot be paged out)
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "common.h"

static void wait_to_be_killed(void)
{
	/* System calls only (pause() is one): the stack and the data are the parent's. */
	char msg[32];
	int n = snprintf(msg, sizeof(msg), "child %ld\n", (long)syscall(SYS_getpid));

	syscall(SYS_write, 1, msg, n);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	volatile char sum = 0;
	char line[16], *p;
	struct stat st;
	pid_t child;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: vforker FILE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	child = vfork();
	if (child < 0)
		die("vfork");
	if (child == 0)
		wait_to_be_killed();
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die(argv[1]);
	p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (off_t i = 0; i < st.st_size; i += 4096)
		sum += p[i];
	printf("resumed %lu %ld\n", (unsigned long)p, (long)st.st_size);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	return 3;
}

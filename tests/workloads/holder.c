// SPDX-License-Identifier: GPL-2.0
/*
 * Makes the last mmput of a child's mm happen in another process's context: this one.
 * The child maps and touches 32 MiB and waits. We read its memory with process_vm_readv into a
 * buffer registered with userfaultfd, so the copy blocks on our own fault while holding the
 * child's mm. A helper thread lets the child exit, reaps it, and only then resolves the fault:
 * the copy finishes and its mmput tears the dead child's mm down here.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "common.h"

static int uffd, go[2];
static pid_t child;
static int child_status;

static void *resolver(void *buf)
{
	struct uffd_msg msg;
	struct uffdio_zeropage zero;

	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		die("uffd read");
	if (write(go[1], "x", 1) != 1) /* the child may exit now */
		die("write");
	waitpid(child, &child_status, 0); /* and has: only our reference keeps its mm */
	zero.range.start = msg.arg.pagefault.address & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	zero.range.len = (uint64_t)sysconf(_SC_PAGESIZE);
	zero.mode = 0;
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zero))
		die("UFFDIO_ZEROPAGE");
	return NULL;
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	int ready[2];
	char *remote, *local, c;
	pthread_t t;

	if (pipe(go) || pipe(ready))
		die("pipe");
	child = fork();
	if (child == 0) {
		char *p = map_touched(32 * MiB);

		if (write(ready[1], &p, sizeof(p)) != sizeof(p) || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	if (read(ready[0], &remote, sizeof(remote)) != sizeof(remote))
		die("read");
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		die("userfaultfd");
	local = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uint64_t)local;
	reg.range.len = (uint64_t)page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	pthread_create(&t, NULL, resolver, NULL);
	struct iovec l = { local, (size_t)page }, r = { remote, (size_t)page };
	if (process_vm_readv(child, &l, 1, &r, 1, 0) < 0)
		die("process_vm_readv");
	pthread_join(t, NULL);
	printf("{\"child\": %d, \"child_exit_code\": %d, \"resident\": %lu}\n", child,
	       WEXITSTATUS(child_status), 32 * MiB);
	return 0;
}

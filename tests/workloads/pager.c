// SPDX-License-Identifier: GPL-2.0
/*
 * Pages taken while the process lives: a child maps a 32 MiB file and reads it all (file RSS).
 * The parent pages the first half out of the child with process_madvise(MADV_PAGEOUT): that is
 * the kernel's doing from the child's point of view (kernel_live). The child then pages the second
 * half out itself with madvise(MADV_PAGEOUT): self_released by madvise.
 *
 *   pager FILE      (FILE on a disk file system: tmpfs pages are shmem and cannot be paged out)
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "common.h"

#define SIZE (32 * MiB)

static void make_file(const char *path)
{
	char block[65536];
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);

	memset(block, 'x', sizeof(block));
	for (size_t done = 0; done < SIZE; done += sizeof(block))
		if (fd < 0 || write(fd, block, sizeof(block)) != sizeof(block))
			die("write");
	fsync(fd);
	close(fd);
}

int main(int argc, char **argv)
{
	int ready[2], go[2], fd, pidfd;
	volatile char sum = 0;
	char *p, c;
	pid_t child;

	if (argc != 2) {
		fprintf(stderr, "usage: pager FILE\n");
		return 2;
	}
	make_file(argv[1]);
	if (pipe(ready) || pipe(go))
		die("pipe");
	child = fork();
	if (child == 0) {
		fd = open(argv[1], O_RDONLY);
		p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			die("mmap");
		for (size_t i = 0; i < SIZE; i += 4096)
			sum += p[i];
		if (write(ready[1], &p, sizeof(p)) != sizeof(p) || read(go[0], &c, 1) != 1)
			_exit(1);
		if (madvise(p + SIZE / 2, SIZE / 2, MADV_PAGEOUT))
			die("madvise");
		_exit(0);
	}
	if (read(ready[0], &p, sizeof(p)) != sizeof(p))
		die("read");
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	struct iovec first_half = { p, SIZE / 2 };
	long done = syscall(SYS_process_madvise, pidfd, &first_half, 1, MADV_PAGEOUT, 0);
	if (done < 0)
		die("process_madvise");
	if (write(go[1], "x", 1) != 1)
		die("write");
	waitpid(child, NULL, 0);
	unlink(argv[1]);
	printf("{\"child\": %d, \"paged_out_by_parent\": %ld, \"paged_out_by_child\": %lu}\n", child,
	       done, SIZE / 2);
	return 0;
}

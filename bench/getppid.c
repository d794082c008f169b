// SPDX-License-Identifier: GPL-2.0
/* Scenario 3: a syscall that touches no memory, N times. Prints timing.h's line. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "timing.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000000;
	struct bench_clock start = bench_start();

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid); /* not libc's getppid(): never cached */
	bench_report(start, n);
	return 0;
}

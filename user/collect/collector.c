// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "caps.h"
#include "collector.h"
#include "bpf_features.h"
#include "hooks.h"
#include "memreap.skel.h"
#ifdef MR_HAVE_LEGACY
#include "memreap_legacy.skel.h"
#endif
#include "interp_detect.h"
#include "procinfo.h"
#include "util.h"

#define MAX_CPUS 1024

struct collector {
	struct memreap_bpf *skel; /* the modern object, or NULL */
#ifdef MR_HAVE_LEGACY
	struct memreap_legacy_bpf *legacy; /* or the legacy one (Linux 5.10: bpf_features.h) */
#endif
	/* What the collector uses of either object: the same names in both. */
	struct bpf_object *obj;
	struct bpf_map *ledgers, *ledger_index, *free_slots, *events, *parked, *parked_forks;
	struct bpf_program *on_shutdown, *seed;
	struct mr_health *health;
	struct mr_paths *paths;
	struct ring_buffer *rb;
	struct collector_handlers h;
	int64_t boot_to_wall;
	struct idmap exe;	 /* ledger id -> executable */
	struct idmap interp;	 /* ledger id -> "name version" of its interpreter */
	struct cmdline_map argv; /* ledger id -> its command line */
	bool no_argv;		 /* collector_opts.no_argv: none captured, every argv unknown */
	struct cgroup_names cgroups;
	uint64_t user_lost;	 /* ledgers lost in user space */
	uint64_t forks_parked;	 /* parked fork events already pulled */
	uint64_t ledgers_parked; /* parked ledgers already pulled */
	struct mr_event_fork *forks; /* pulled, not yet handled (oldest first) */
	size_t nforks, forks_cap;
	uint64_t last_stale_scan;
	struct idmap exec_exe;	  /* an exec'd file's identity -> its path */
	struct idmap exec_interp; /* the same identity -> "name version" of its interpreter */
	struct idmap watched;	 /* identities of executables checked for a shutdown probe */
	struct idmap probed;	 /* identities of the files a shutdown probe is attached to */
	struct idmap unwatched;	 /* identities of executables whose probe failed */
	struct bpf_link **probes;
	size_t nprobes;
	struct bpf_link **links; /* one per hooks[] entry */
	char watch_error[400];
};

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("MEMREAP_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* A read-only variable of the object opened: both objects have every one. */
#ifdef MR_HAVE_LEGACY
#define RODATA(c, f) (*((c)->legacy ? &(c)->legacy->rodata->f : &(c)->skel->rodata->f))
#else
#define RODATA(c, f) ((c)->skel->rodata->f)
#endif

static void set_syscall_numbers(struct collector *c)
{
	RODATA(c, nr_mmap) = SYS_mmap;
	RODATA(c, nr_munmap) = SYS_munmap;
	RODATA(c, nr_brk) = SYS_brk;
	RODATA(c, nr_mremap) = SYS_mremap;
	RODATA(c, nr_madvise) = SYS_madvise;
	RODATA(c, nr_clone) = SYS_clone;
	RODATA(c, nr_clone3) = SYS_clone3;
	RODATA(c, nr_execve) = SYS_execve;
	RODATA(c, nr_execveat) = SYS_execveat;
#ifdef SYS_fork
	RODATA(c, nr_fork) = SYS_fork;
	RODATA(c, nr_vfork) = SYS_vfork;
#endif
}

static const char *exe_for(struct collector *c, uint64_t ledger)
{
	const char *e = idmap_get(&c->exe, ledger);

	return e ? e : "";
}

static uint64_t file_identity(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return 0;
	return ((uint64_t)st.st_dev << 40) ^ ((uint64_t)st.st_ino << 8) ^
	       (uint64_t)st.st_mtim.tv_sec ^ 1;
}

static void remember_interp(struct collector *c, uint64_t ledger, const struct interp *i,
			    const char *exe);

/*
 * A ledger's command line: from its exec event, or its parent's at fork. One never seen (its
 * exec came before memreap started, or its event was dropped) is read once from /proc while it
 * lives, as it reads then; an ended one stays unknown.
 */
static const struct cmdline *remember_argv_of_pid(struct collector *c, uint64_t ledger,
						   uint32_t pid)
{
	struct cmdline now = { 0 };

	cmdline_of_pid(pid, &now);
	cmdline_map_put(&c->argv, ledger, &now);
	cmdline_free(&now);
	return cmdline_map_get(&c->argv, ledger);
}

static void attach_argv(struct collector *c, struct ledger *l, uint64_t id)
{
	const struct cmdline *argv;

	if (c->no_argv)
		return;
	argv = cmdline_map_get(&c->argv, id);
	if (!argv && l->end == MR_END_ALIVE)
		argv = remember_argv_of_pid(c, id, l->pid);
	if (argv)
		cmdline_copy(&l->argv, argv);
}

/*
 * A ledger as views see it: numbers from the kernel, names from our caches. What is looked up
 * for a live process is remembered, "no interpreter" too: top lists every process every refresh.
 */
static void to_user_ledger(struct collector *c, struct ledger *l, const struct mr_ledger *k)
{
	char buf[4096];
	const char *exe = exe_for(c, k->id), *interp;

	ledger_from_kernel(l, k, c->boot_to_wall);
	if (!*exe && l->end == MR_END_ALIVE) {
		exe = exe_of_pid(l->pid, buf, sizeof(buf));
		idmap_put(&c->exe, k->id, exe);
		exe = exe_for(c, k->id);
	}
	free(l->exe);
	free(l->cgroup);
	l->exe = strdup(exe);
	l->cgroup = strdup(cgroup_path(&c->cgroups, k->cgroup_id));
	attach_argv(c, l, k->id);
	interp = idmap_get(&c->interp, k->id);
	if (interp) {
		interp_parse(interp, &l->interp);
	} else if (l->end == MR_END_ALIVE) {
		interp_of_pid(l->pid, l->exe, &l->interp);
		remember_interp(c, k->id, &l->interp, l->exe);
	}
	/* Never "it did not shut down" when its shutdown could not be seen. */
	if (c->unwatched.map.len && l->interp.name[0] && !l->shutdown_started_ns)
		l->shutdown_unwatched = idmap_get(&c->unwatched, file_identity(l->exe)) != NULL;
}

static void remember_interp(struct collector *c, uint64_t ledger, const struct interp *i,
			    const char *exe)
{
	char text[64];

	idmap_put(&c->interp, ledger, interp_text(i, text, sizeof(text))); /* "" = none */
	if (i->name[0])
		collector_watch(c, exe);
}


int collector_watch(struct collector *c, const char *exe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	char path[PATH_MAX], symbol[256];
	uint64_t id = file_identity(exe), target;
	struct bpf_link *link, **grown;

	if (!id || idmap_get(&c->watched, id))
		return 0;
	idmap_put(&c->watched, id, exe);
	if (interp_shutdown_probe(exe, path, sizeof(path), symbol, sizeof(symbol)))
		return 0;
	target = file_identity(path); /* a library may serve several executables */
	if (idmap_get(&c->probed, target))
		return 0;
	opts.func_name = symbol;
	link = bpf_program__attach_uprobe_opts(c->on_shutdown, -1, path, 0, &opts);
	if (!link) {
		idmap_put(&c->unwatched, id, exe);
		snprintf(c->watch_error, sizeof(c->watch_error),
			 "cannot watch %.200s (%.40s) for interpreter shutdown: %s%s", path, symbol,
			 strerror(errno),
			 errno == EACCES || errno == EPERM ?
				 " (uprobes need CAP_SYS_ADMIN on this kernel; shutdown fields stay null)" :
				 "");
		return -1;
	}
	grown = realloc(c->probes, (c->nprobes + 1) * sizeof(*grown));
	if (!grown) {
		bpf_link__destroy(link);
		return -1;
	}
	c->probes = grown;
	c->probes[c->nprobes++] = link;
	idmap_put(&c->probed, target, path);
	return 0;
}

const char *collector_watch_error(struct collector *c)
{
	return c->watch_error[0] ? c->watch_error : NULL;
}

/* Interpreters installed in PATH (named after their runtime) are watched before any of them runs. */
static void watch_path(struct collector *c)
{
	const char *env = getenv("PATH");
	char dirs[4096], file[PATH_MAX], *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s", env ? env : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		DIR *dir = opendir(d);
		struct dirent *e;

		while (dir && (e = readdir(dir))) {
			for (size_t i = 0; i < nruntimes; i++) {
				const char *name = runtimes[i].name;

				if (!runtimes[i].symbol_is_shutdown || strncmp(e->d_name, name, strlen(name)))
					continue;
				snprintf(file, sizeof(file), "%s/%s", d, e->d_name);
				collector_watch(c, file); /* symlinks: same identity, one probe */
			}
		}
		if (dir)
			closedir(dir);
	}
}

static void handle_fork(struct collector *c, const struct mr_event_fork *e)
{
	const char *exe = exe_for(c, e->parent_ledger);
	const struct cmdline *argv = cmdline_map_get(&c->argv, e->parent_ledger);
	char buf[4096];

	if (!e->shares_mm) {
		idmap_put(&c->exe, e->child_ledger,
			  *exe ? exe : exe_of_pid(e->child_tgid, buf, sizeof(buf)));
		if (idmap_get(&c->interp, e->parent_ledger)) /* the same image */
			idmap_put(&c->interp, e->child_ledger, idmap_get(&c->interp, e->parent_ledger));
		if (argv) /* the same arguments, until it execs */
			cmdline_map_put(&c->argv, e->child_ledger, argv);
	}
	if (c->h.fork)
		c->h.fork(e->parent_tgid, e->child_tgid, e->child_ledger, c->h.ctx);
}

static int by_time(const void *a, const void *b)
{
	const struct mr_event_fork *x = a, *y = b;

	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

/* Move the forks parked since the last look into the queue, oldest first. */
static void pull_parked_forks(struct collector *c)
{
	int fd = bpf_map__fd(c->parked_forks);
	uint64_t parked = c->health->parked_forks;
	struct mr_event_fork *grown;
	uint32_t key, next;

	if (parked == c->forks_parked)
		return;
	c->forks_parked = parked;
	while (bpf_map_get_next_key(fd, NULL, &next) == 0) {
		key = next;
		if (c->nforks == c->forks_cap) {
			c->forks_cap = c->forks_cap ? 2 * c->forks_cap : 64;
			grown = realloc(c->forks, c->forks_cap * sizeof(*grown));
			if (!grown) {
				c->user_lost++;
				break;
			}
			c->forks = grown;
		}
		if (bpf_map_lookup_elem(fd, &key, &c->forks[c->nforks]) == 0)
			c->nforks++;
		if (bpf_map_delete_elem(fd, &key))
			break;
	}
	qsort(c->forks, c->nforks, sizeof(*c->forks), by_time);
}

/*
 * Forks the ring buffer had no room for are handled in time order with the events it carried:
 * a process tree is only followed if every parent is known before its children.
 */
static void release_forks(struct collector *c, uint64_t until_ns)
{
	size_t done = 0;

	pull_parked_forks(c);
	while (done < c->nforks && c->forks[done].ts_ns <= until_ns)
		handle_fork(c, &c->forks[done++]);
	if (!done)
		return;
	memmove(c->forks, c->forks + done, (c->nforks - done) * sizeof(*c->forks));
	c->nforks -= done;
}

static void emit_end(struct collector *c, const struct mr_ledger *k)
{
	struct ledger l;

	release_forks(c, k->end_ns ? k->end_ns : UINT64_MAX);
	to_user_ledger(c, &l, k);
	if (c->h.ledger_end)
		c->h.ledger_end(&l, c->h.ctx);
	idmap_del(&c->exe, k->id);
	idmap_del(&c->interp, k->id);
	cmdline_map_del(&c->argv, k->id);
	ledger_free(&l);
}

/* An executable by its identity (device, inode, size) as the exec event gives it; 0 if none. */
static uint64_t exec_file_key(const struct mr_event_exec *e)
{
	if (!e->file_ino)
		return 0;
	return (((uint64_t)e->file_dev << 40) ^ (e->file_ino << 8) ^ (e->file_size << 24)) | 1;
}

/* Bounded: executables replaced by upgrades add entries; forget them all now and then. */
#define EXEC_FILES_MAX 8192

/*
 * An exec: name the new image. The first exec of a file resolves its path and its interpreter
 * (and watches it for shutdown); later ones of the same file cost no system call.
 */
static void handle_exec(struct collector *c, const struct mr_event_exec *e)
{
	uint64_t key = exec_file_key(e);
	const char *exe = key ? idmap_get(&c->exec_exe, key) : NULL;
	char filename[MR_FILENAME_LEN], buf[4096];
	struct cmdline argv = { 0 };
	struct interp it;

	if (e->argv_read && !c->no_argv) {
		cmdline_set(&argv, e->argv, e->argv_len < MR_ARGV_LEN ? e->argv_len : MR_ARGV_LEN,
			    e->argv_cut);
		cmdline_map_put(&c->argv, e->ledger, &argv);
		cmdline_free(&argv);
	}
	if (exe) {
		const char *interp = idmap_get(&c->exec_interp, key);

		idmap_put(&c->exe, e->ledger, exe);
		idmap_put(&c->interp, e->ledger, interp ? interp : "");
		return;
	}
	snprintf(filename, sizeof(filename), "%.*s", MR_FILENAME_LEN - 1, e->filename);
	if (filename[0] == '/')
		exe_of_filename(filename, buf, sizeof(buf));
	else
		exe_of_pid(e->tgid, buf, sizeof(buf));
	idmap_put(&c->exe, e->ledger, buf);
	interp_of_exe(buf, &it);
	remember_interp(c, e->ledger, &it, buf);
	if (!key || !*buf)
		return;
	if (c->exec_exe.map.len >= EXEC_FILES_MAX) {
		idmap_free(&c->exec_exe);
		idmap_free(&c->exec_interp);
	}
	idmap_put(&c->exec_exe, key, buf);
	idmap_put(&c->exec_interp, key, idmap_get(&c->interp, e->ledger));
}

/* First sight of a process that predates memreap: names from /proc, as they read now. */
static void handle_new(struct collector *c, const struct mr_event_new *e)
{
	struct interp it;
	char buf[4096];

	if (idmap_get(&c->interp, e->ledger))
		return; /* already looked up by a live listing */
	idmap_put(&c->exe, e->ledger, exe_of_pid(e->tgid, buf, sizeof(buf)));
	interp_of_pid(e->tgid, buf, &it);
	remember_interp(c, e->ledger, &it, buf);
	if (!c->no_argv)
		remember_argv_of_pid(c, e->ledger, e->tgid);
}

static void handle_release(struct collector *c, const struct mr_event_release *e)
{
	struct timeline_event t = {
		.ts_ns = (uint64_t)((int64_t)e->ts_ns + c->boot_to_wall),
		.ledger_id = e->ledger,
		.kind = TL_RELEASE,
		.call = e->call,
		.bytes = e->bytes,
		.pid = e->tgid,
	};

	memcpy(t.comm, e->comm, sizeof(t.comm));
	t.comm[sizeof(t.comm) - 1] = '\0';
	if (c->h.release)
		c->h.release(&t, c->h.ctx);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	uint32_t type = size >= sizeof(uint32_t) ? *(uint32_t *)data : 0;

	if (type == MR_EV_END && size >= sizeof(struct mr_event_end)) {
		emit_end(c, &((struct mr_event_end *)data)->ledger);
	} else if (type == MR_EV_FORK && size >= sizeof(struct mr_event_fork)) {
		release_forks(c, ((struct mr_event_fork *)data)->ts_ns);
		handle_fork(c, data);
	} else if (type == MR_EV_EXEC && size >= sizeof(struct mr_event_exec)) {
		release_forks(c, ((struct mr_event_exec *)data)->ts_ns);
		handle_exec(c, data);
	} else if (type == MR_EV_NEW && size >= sizeof(struct mr_event_new)) {
		handle_new(c, data);
	} else if (type == MR_EV_RELEASE && size >= sizeof(struct mr_event_release)) {
		handle_release(c, data);
	}
	return 0;
}

static int attach_hooks(struct collector *c, char *err, size_t errlen)
{
	c->links = calloc(nhooks, sizeof(*c->links));
	if (!c->links) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nhooks; i++) {
		const char *tp = hook_target(&hooks[i]);
		struct bpf_program *prog;

		prog = bpf_object__find_program_by_name(c->obj, hooks[i].program);
		if (!prog && hooks[i].fallback)
			continue; /* the legacy object's: a fallback instead */
		c->links[i] = prog ? bpf_program__attach_raw_tracepoint(prog, tp) : NULL;
		if (c->links[i])
			continue;
		snprintf(err, errlen, "cannot attach to tracepoint %s: %s%s", tp, strerror(errno),
			 errno == ENOENT ? " (not in this kernel)" : "");
		return -1;
	}
	return 0;
}

/* The legacy object's seeding: a task iterator, read once through (a program run per task). */
static int seed_by_iterator(struct collector *c)
{
	struct bpf_link *link = bpf_program__attach_iter(c->seed, NULL);
	char buf[64];
	ssize_t n;
	int fd, e;

	if (!link)
		return -1;
	fd = bpf_iter_create(bpf_link__fd(link));
	n = fd < 0 ? -1 : 0;
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		;
	e = errno;
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	errno = e;
	return n < 0 ? -1 : 0;
}

/* Ledgers for the address spaces that predate us, after attaching so that no change is missed. */
static int seed_existing(struct collector *c, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	int rc = c->skel ? bpf_prog_test_run_opts(bpf_program__fd(c->seed), &run)
			 : seed_by_iterator(c);

	if (rc) {
		snprintf(err, errlen, "cannot list the existing processes: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ", what" after the first: the list of what this kernel lacks. */
static void list_missing(char *list, size_t len, const char *what, const char *since)
{
	size_t used = strlen(list);

	if (used < len)
		snprintf(list + used, len - used, "%s%s (%s+)", used ? ", " : "", what, since);
}

/*
 * What this kernel lacks: everything (all), what no fallback replaces (hard), and whether it has
 * the atomic RSS counters (before 6.2) the legacy object reads.
 */
struct lacks {
	char all[400], hard[400];
	bool soft; /* something the legacy object has a fallback for */
	bool atomic;
};

static void lacks_add(struct lacks *k, const char *what, const char *since, const char *fallback)
{
	list_missing(k->all, sizeof(k->all), what, since);
	if (fallback)
		k->soft = true;
	else
		list_missing(k->hard, sizeof(k->hard), what, since);
}

/*
 * The BTF must be a kernel's, and one memreap can work with: a file without these types (a
 * program's BTF, another kernel's) would give wrong offsets, and wrong numbers, not an error.
 * Every hook it lacks is added to k.
 */
static int check_kernel_btf(const char *path, struct lacks *k, char *err, size_t errlen)
{
	struct btf *btf = btf__parse(path, NULL);
	char name[64], what[80];
	int rc = 0;

	if (!btf) {
		snprintf(err, errlen, "cannot read kernel BTF from %s: %s", path,
			 errno >= LIBBPF_ERRNO__LIBELF ? "not a BTF or ELF file" : strerror(errno));
		return -1;
	}
	if (btf__find_by_name_kind(btf, "mm_struct", BTF_KIND_STRUCT) < 0 ||
	    btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) < 0) {
		snprintf(err, errlen,
			 "unsupported kernel: the BTF in %s describes no kernel (no struct mm_struct "
			 "or task_struct)", path);
		rc = -1;
	}
	for (size_t i = 0; !rc && i < nhooks; i++) {
		snprintf(name, sizeof(name), "btf_trace_%s", hooks[i].tracepoint);
		if (btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) >= 0)
			continue;
		snprintf(what, sizeof(what), "the raw tracepoint %s", hooks[i].tracepoint);
		lacks_add(k, what, hooks[i].since, hooks[i].fallback);
	}
	k->atomic = btf__find_by_name_kind(btf, "mm_rss_stat", BTF_KIND_STRUCT) >= 0;
	btf__free(btf);
	return rc;
}

/* Helpers and maps older kernels lack, added to k. */
static void check_kernel_features(struct lacks *k)
{
	for (size_t i = 0; i < nfeatures; i++)
		if (features[i].probe() != 1)
			lacks_add(k, features[i].ident, features[i].since, features[i].fallback);
}

/*
 * What this kernel must offer before anything loads, and which object it gets: the legacy one
 * where the only things missing have its fallbacks. One line naming all it lacks instead of a
 * verifier log.
 */
static int check_kernel(const char *btf, bool *legacy, char *err, size_t errlen)
{
	struct lacks k = { .all = "", .hard = "" };
	bool can_legacy;

	if (caps_check_observe(err, errlen))
		return -1;
	if (access(btf, R_OK)) {
		snprintf(err, errlen,
			 "kernel BTF not found at %s (needs CONFIG_DEBUG_INFO_BTF=y, or MEMREAP_BTF=FILE)",
			 btf);
		return -1;
	}
	if (check_kernel_btf(btf, &k, err, errlen))
		return -1;
	check_kernel_features(&k);
	can_legacy = legacy_object_built() && k.atomic;
	*legacy = legacy_object_forced() || k.soft;
	if (!k.all[0] || (can_legacy && !k.hard[0]))
		return 0;
	snprintf(err, errlen, "unsupported kernel: it lacks %s; memreap doctor says what each is for",
		 can_legacy ? k.hard : k.all);
	return -1;
}

/* What the collector uses of skeleton s, the same names in either object. */
#define TAKE_OBJECT(c, s)                                                                          \
	do {                                                                                       \
		(c)->obj = (s)->obj;                                                               \
		(c)->ledgers = (s)->maps.ledgers;                                                  \
		(c)->ledger_index = (s)->maps.ledger_index;                                        \
		(c)->free_slots = (s)->maps.free_slots;                                            \
		(c)->events = (s)->maps.events;                                                    \
		(c)->parked = (s)->maps.parked;                                                    \
		(c)->parked_forks = (s)->maps.parked_forks;                                        \
		(c)->on_shutdown = (s)->progs.on_shutdown;                                         \
		(c)->seed = (s)->progs.seed_existing;                                              \
		(c)->health = &(s)->bss->health;                                                   \
		(c)->paths = &(s)->bss->paths;                                                     \
	} while (0)

#ifdef MR_HAVE_LEGACY
/*
 * libbpf reads the legacy object's CONFIG_KASAN (its THREAD_SIZE) from /boot/config-RELEASE or
 * /proc/config.gz. A system with neither: from the kernel's BTF, where a KASAN kernel has
 * kasan_report().
 */
static const char *legacy_kconfig(const char *path)
{
	struct utsname u;
	char config[320];
	struct btf *btf;
	bool kasan;

	uname(&u);
	snprintf(config, sizeof(config), "/boot/config-%s", u.release);
	if (!access(config, R_OK) || !access("/proc/config.gz", R_OK))
		return NULL;
	btf = btf__parse(path, NULL);
	kasan = btf && btf__find_by_name_kind(btf, "kasan_report", BTF_KIND_FUNC) >= 0;
	btf__free(btf);
	return kasan ? "CONFIG_KASAN=y\n" : "CONFIG_KASAN=n\n";
}
#endif

/* The counter shadows: MR_SHADOW_SLOTS per possible CPU (none in the legacy object). */
static void size_shadows(struct bpf_object *obj, int ncpus)
{
	struct bpf_map *shadows = bpf_object__find_map_by_name(obj, "shadows");

	if (shadows)
		bpf_map__set_max_entries(shadows, bpf_map__max_entries(shadows) * (uint32_t)ncpus);
}

static struct bpf_object_skeleton *legacy_skeleton(struct collector *c)
{
#ifdef MR_HAVE_LEGACY
	return c->legacy->skeleton;
#else
	return NULL;
#endif
}

/* Open the object this kernel gets (check_kernel()); -1 with errno set if it cannot be. */
static int open_object(struct collector *c, bool legacy, struct bpf_object_open_opts *opts)
{
#ifdef MR_HAVE_LEGACY
	if (legacy) {
		opts->kconfig = legacy_kconfig(opts->btf_custom_path);
		c->legacy = memreap_legacy_bpf__open_opts(opts);
		if (c->legacy)
			TAKE_OBJECT(c, c->legacy);
		return c->legacy ? 0 : -1;
	}
#endif
	c->skel = memreap_bpf__open_opts(opts);
	if (c->skel)
		TAKE_OBJECT(c, c->skel);
	return c->skel ? 0 : -1;
}

/* Open the BPF object against the kernel's BTF, size it for this machine and load it. */
static int load_programs(struct collector *c, const struct collector_opts *o, const char *btf,
			 bool legacy, char *err, size_t errlen)
{
	/*
	 * Always a path, even the kernel's own: libbpf then never lists module BTFs for CO-RE
	 * candidates (BPF_BTF_GET_NEXT_ID needs CAP_SYS_ADMIN); memreap uses no module types.
	 */
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = btf);
	int ncpus = libbpf_num_possible_cpus(), rc;

	if (ncpus <= 0 || ncpus > MAX_CPUS) {
		snprintf(err, errlen, "unsupported number of possible CPUs: %d (at most %d)", ncpus,
			 MAX_CPUS);
		return -1;
	}
	if (open_object(c, legacy, &open_opts)) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	RODATA(c, page_shift) = (uint32_t)__builtin_ctzl((unsigned long)sysconf(_SC_PAGESIZE));
	RODATA(c, nr_cpus) = (uint32_t)ncpus;
	set_syscall_numbers(c);
	RODATA(c, capture_argv) = !c->no_argv;
	RODATA(c, release_event_min) = o ? o->release_event_min : 0;
	RODATA(c, direct_loads) = probe_direct_loads() == 1;
	if (o && o->ledger_entries) {
		bpf_map__set_max_entries(c->ledgers, o->ledger_entries);
		bpf_map__set_max_entries(c->ledger_index, o->ledger_entries);
		bpf_map__set_max_entries(c->free_slots, o->ledger_entries);
	}
	RODATA(c, ledger_slots) = bpf_map__max_entries(c->ledgers);
	size_shadows(c->obj, ncpus);
	if (o && o->ringbuf_bytes)
		bpf_map__set_max_entries(c->events, o->ringbuf_bytes);
	/* Polls come at least every POLL_MAX_MS: the BPF side wakes us only when it fills up. */
	RODATA(c, ringbuf_wakeup_bytes) = bpf_map__max_entries(c->events) / 4;
	rc = bpf_object__load_skeleton(c->skel ? c->skel->skeleton : legacy_skeleton(c));
	if (rc)
		snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-rc),
			 rc == -EPERM ? " (missing privileges or locked down kernel)"
				      : " (set MEMREAP_DEBUG=1 for the verifier log)");
	return rc ? -1 : 0;
}

struct collector *collector_open(const struct collector_opts *o,
				 const struct collector_handlers *h, char *err, size_t errlen)
{
	struct collector *c = calloc(1, sizeof(*c));
	const char *btf = kernel_btf_path();
	bool legacy = false;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (h)
		c->h = *h;
	c->no_argv = o && o->no_argv;
	c->boot_to_wall = boot_to_wall_offset_ns();
	libbpf_set_print(libbpf_log);
	if (check_kernel(btf, &legacy, err, errlen) ||
	    load_programs(c, o, btf, legacy, err, errlen) ||
	    attach_hooks(c, err, errlen))
		goto fail;
	watch_path(c);
	if (seed_existing(c, err, errlen))
		goto fail;
	c->rb = ring_buffer__new(bpf_map__fd(c->events), on_event, c, NULL);
	if (!c->rb) {
		snprintf(err, errlen, "cannot open the ring buffer: %s", strerror(errno));
		goto fail;
	}
	return c;
fail:
	collector_close(c);
	return NULL;
}

/*
 * Ledgers the ring buffer had no room for wait in the parked map. Everything reserved before
 * them, like the fork of a process whose end was parked, is in the ring buffer: take them out,
 * consume the ring buffer, then end them.
 */
#define PARKED_BATCH 256

static void drain_parked(struct collector *c)
{
	int fd = bpf_map__fd(c->parked);
	static struct mr_ledger batch[PARKED_BATCH]; /* one collector per process */
	uint64_t key, next, parked = c->health->parked;
	size_t n;

	/* Most polls find nothing parked: skip the map walk unless the BPF side parked more. */
	if (parked == c->ledgers_parked)
		return;
	c->ledgers_parked = parked;
	do {
		for (n = 0; n < PARKED_BATCH && !bpf_map_get_next_key(fd, NULL, &next);) {
			key = next;
			if (bpf_map_lookup_elem(fd, &key, &batch[n]) == 0)
				n++;
			if (bpf_map_delete_elem(fd, &key))
				break;
		}
		while (ring_buffer__consume(c->rb) > 0)
			;
		for (size_t i = 0; i < n; i++)
			emit_end(c, &batch[i]);
	} while (n == PARKED_BATCH);
}

/* The ledger index read whole: each live ledger's mm, slot and id. */
struct live_index {
	uint64_t *mm;
	struct mr_ledger_ref *ref;
	size_t n;
};

static void live_index_free(struct live_index *v)
{
	free(v->mm);
	free(v->ref);
}

/*
 * In batches, a few thousand entries per system call. A key-by-key walk also starts over from
 * the first key when the key it stands on was deleted meanwhile (a process ended), and so could
 * count a ledger twice in a frame; a batch walk goes bucket by bucket and sees each entry once.
 */
static int live_index(struct collector *c, struct live_index *v)
{
	int fd = bpf_map__fd(c->ledger_index), err = 0;
	size_t cap = bpf_map__max_entries(c->ledger_index);
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint64_t token, *in = NULL;

	v->n = 0;
	v->mm = calloc(cap, sizeof(*v->mm));
	v->ref = calloc(cap, sizeof(*v->ref));
	while (v->mm && v->ref && !err && v->n < cap) {
		uint32_t count = (uint32_t)(cap - v->n);

		err = bpf_map_lookup_batch(fd, in, &token, v->mm + v->n, v->ref + v->n, &count,
					   &opts);
		v->n += count;
		in = &token;
	}
	if (v->mm && v->ref && (!err || err == -ENOENT))
		return 0;
	live_index_free(v);
	return -1;
}

/* A copy of the ledger the index gave for mm: -1 when it has ended since. */
static int read_ledger(struct collector *c, uint64_t mm, const struct mr_ledger_ref *ref,
		       struct mr_ledger *k)
{
	if (bpf_map_lookup_elem(bpf_map__fd(c->ledgers), &ref->slot, k))
		return -1;
	return k->mm == mm && k->id == ref->id ? 0 : -1;
}

/* Ends the ledger of mm, copied in k, unless exit_mmap got there first (bpf/ledger_slots.bpf.h). */
static bool remove_ledger(struct collector *c, uint64_t mm, const struct mr_ledger *k)
{
	struct mr_ledger dead = { .id = k->id };

	if (bpf_map_delete_elem(bpf_map__fd(c->ledger_index), &mm))
		return false;
	bpf_map_update_elem(bpf_map__fd(c->ledgers), &k->slot, &dead, BPF_ANY);
	bpf_map_update_elem(bpf_map__fd(c->free_slots), NULL, &k->slot, BPF_ANY);
	return true;
}

/*
 * The kernel skips the exit_mmap tracepoint for an mm without VMAs (a fork that failed under
 * memory pressure): end such ledgers here, once their process is long gone.
 */
#define STALE_NS (30 * 1000000000ull)

static void collect_stale(struct collector *c)
{
	uint64_t now = clock_ns(CLOCK_BOOTTIME);
	struct live_index v;
	struct mr_ledger k;

	if (now - c->last_stale_scan < STALE_NS / 3 || live_index(c, &v))
		return;
	c->last_stale_scan = now;
	for (size_t i = 0; i < v.n; i++) {
		if (read_ledger(c, v.mm[i], &v.ref[i], &k) ||
		    !kernel_ledger_is_stale(&k, now, STALE_NS))
			continue;
		if (!remove_ledger(c, v.mm[i], &k))
			continue; /* exit_mmap got there first */
		k.end = k.state == MR_STATE_EXECED ? MR_END_EXEC : MR_END_EXIT;
		if (!kernel_ledger_ended(&k))
			k.end_ns = now;
		emit_end(c, &k);
	}
	live_index_free(&v);
}

/* The longest a finished ledger waits in the ring buffer when nothing wakes the reader. */
#define POLL_MAX_MS 100

int collector_poll(struct collector *c, int timeout_ms)
{
	int n = ring_buffer__poll(c->rb, timeout_ms > POLL_MAX_MS ? POLL_MAX_MS : timeout_ms);

	if (n == -EINTR)
		n = 0;
	/* Records submitted without a wakeup are only found by looking. */
	if (n >= 0) {
		int more = ring_buffer__consume(c->rb);

		n = more < 0 ? more : n + more;
	}
	release_forks(c, UINT64_MAX);
	drain_parked(c);
	collect_stale(c);
	return n < 0 ? -1 : n;
}

void collector_drain(struct collector *c)
{
	while (ring_buffer__consume(c->rb) > 0)
		;
	release_forks(c, UINT64_MAX);
	drain_parked(c);
}

static bool any_ending(struct collector *c)
{
	struct live_index v;
	struct mr_ledger k;
	bool ending = false;

	if (live_index(c, &v))
		return false;
	for (size_t i = 0; i < v.n && !ending; i++)
		ending = !read_ledger(c, v.mm[i], &v.ref[i], &k) && kernel_ledger_ended(&k) &&
			 clock_ns(CLOCK_BOOTTIME) - k.end_ns < STALE_NS;
	live_index_free(&v);
	return ending;
}

void collector_settle(struct collector *c, int timeout_ms)
{
	collector_drain(c);
	for (int waited = 0; waited < timeout_ms && any_ending(c); waited += 10)
		collector_poll(c, 10);
	collector_drain(c);
}

static void read_vm_status(struct ledger *l)
{
	char path[64], line[256];
	unsigned long kb;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", l->pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmPeak: %lu kB", &kb) == 1)
			l->vm_peak = kb * 1024ull;
		else if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
			l->vm_at_end = kb * 1024ull;
	}
	fclose(f);
}

/*
 * A live ledger may change on another CPU while it is copied out of the map, and a torn copy
 * does not balance (a counter swapped, its category not yet added): read until it does.
 */
#define LIVE_READ_TRIES 16

static int read_live(struct collector *c, uint64_t mm, const struct mr_ledger_ref *ref,
		     struct mr_ledger *k)
{
	struct ledger check;
	bool balanced = false;

	for (int i = 0; i < LIVE_READ_TRIES && !balanced; i++) {
		if (read_ledger(c, mm, ref, k))
			return -1; /* ended meanwhile */
		k->end = MR_END_ALIVE;
		ledger_from_kernel(&check, k, c->boot_to_wall);
		balanced = ledger_unbalanced_kind(&check) < 0;
		ledger_free(&check);
	}
	return 0;
}

/* names: its exe, cgroup, argv and interpreter too (the first sight of a process reads /proc). */
static void each_live(struct collector *c, ledger_fn fn, void *ctx, bool names, bool with_vm)
{
	struct live_index v;
	struct mr_ledger k;

	if (live_index(c, &v))
		return;
	for (size_t i = 0; i < v.n; i++) {
		struct ledger l;

		if (read_live(c, v.mm[i], &v.ref[i], &k))
			continue; /* ended meanwhile */
		if (names)
			to_user_ledger(c, &l, &k);
		else
			ledger_from_kernel(&l, &k, c->boot_to_wall);
		if (with_vm)
			read_vm_status(&l);
		fn(&l, ctx);
		ledger_free(&l);
	}
	live_index_free(&v);
}

void collector_for_each_live(struct collector *c, ledger_fn fn, void *ctx, bool with_vm)
{
	each_live(c, fn, ctx, true, with_vm);
}

void collector_for_each_live_figures(struct collector *c, ledger_fn fn, void *ctx)
{
	each_live(c, fn, ctx, false, false);
}

void collector_health(struct collector *c, struct health *h)
{
	const struct mr_health *k = c->health;

	h->ringbuf_drops = k->ringbuf_drops;
	h->map_full = k->map_full;
	h->unattributed_bytes = k->unattributed_bytes;
	/* A lost fork may hide a ledger from a followed tree: counted as lost, never as fine. */
	h->lost_ledgers = k->lost_ledgers + k->lost_forks + c->user_lost;
	h->parked = k->parked + k->parked_forks;
	h->unfollowed_releases = k->unfollowed_releases;
}

size_t collector_program_stats(struct collector *c, struct program_stats *out, size_t max)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, c->obj) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (n == max || fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(prog));
		out[n].run_ns = info.run_time_ns;
		out[n].runs = info.run_cnt;
		n++;
	}
	return n;
}

void collector_paths(struct collector *c, struct mr_paths *p)
{
	*p = *c->paths;
}

const char *collector_object(struct collector *c)
{
	return c->skel ? MR_OBJECT_MODERN : MR_OBJECT_LEGACY;
}

size_t collector_probe_count(struct collector *c)
{
	return c->nprobes;
}

void collector_close(struct collector *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nprobes; i++)
		bpf_link__destroy(c->probes[i]);
	for (size_t i = 0; c->links && i < nhooks; i++)
		bpf_link__destroy(c->links[i]);
	free(c->links);
	free(c->probes);
	free(c->forks);
	idmap_free(&c->watched);
	idmap_free(&c->probed);
	idmap_free(&c->unwatched);
	idmap_free(&c->exec_exe);
	idmap_free(&c->exec_interp);
	ring_buffer__free(c->rb);
	memreap_bpf__destroy(c->skel);
#ifdef MR_HAVE_LEGACY
	memreap_legacy_bpf__destroy(c->legacy);
#endif
	idmap_free(&c->exe);
	idmap_free(&c->interp);
	cmdline_map_free(&c->argv);
	cgroup_names_free(&c->cgroups);
	free(c);
}

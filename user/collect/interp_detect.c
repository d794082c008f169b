// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <gelf.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "interp_detect.h"
#include "util.h"

static const char *const lib_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
};

struct elf_facts {
	char needed[32][128];
	int nneeded;
	char runpath[PATH_MAX];
	const struct runtime *by_symbol;
	char symbol[256]; /* the exact exported name that matched */
};

/*
 * A C entry point matches by its exact name (php_module_shutdown, not php_module_shutdown_wrapper);
 * a C++ one (mangled, "_Z...") by its prefix, whatever its arguments' mangling.
 */
static const struct runtime *runtime_of_symbol(const char *sym)
{
	for (size_t i = 0; i < nruntimes; i++) {
		const char *want = runtimes[i].symbol;
		size_t n = strlen(want);

		if (!strncmp(sym, want, n) && (!sym[n] || !strncmp(want, "_Z", 2)))
			return &runtimes[i];
	}
	return NULL;
}

static void read_dynamic(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, struct elf_facts *f)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Dyn dyn;

	for (size_t i = 0; data && i < sh->sh_size / sh->sh_entsize; i++) {
		if (!gelf_getdyn(data, (int)i, &dyn))
			break;
		const char *s = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val);

		if (!s)
			continue;
		if (dyn.d_tag == DT_NEEDED && f->nneeded < 32)
			snprintf(f->needed[f->nneeded++], sizeof(f->needed[0]), "%s", s);
		else if (dyn.d_tag == DT_RUNPATH || dyn.d_tag == DT_RPATH)
			snprintf(f->runpath, sizeof(f->runpath), "%s", s);
	}
}

static void read_dynsym(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, struct elf_facts *f)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Sym sym;

	for (size_t i = 0; data && !f->by_symbol && i < sh->sh_size / sh->sh_entsize; i++) {
		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
			continue;
		const char *name = elf_strptr(elf, sh->sh_link, sym.st_name);

		if (name && (f->by_symbol = runtime_of_symbol(name)))
			snprintf(f->symbol, sizeof(f->symbol), "%s", name);
	}
}

static int read_elf(const char *path, struct elf_facts *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf *elf;

	memset(f, 0, sizeof(*f));
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize)
			continue;
		if (sh.sh_type == SHT_DYNAMIC)
			read_dynamic(elf, scn, &sh, f);
		else if (sh.sh_type == SHT_DYNSYM)
			read_dynsym(elf, scn, &sh, f);
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return elf ? 0 : -1;
}

/* Where the dynamic loader would find a needed library: RUNPATH ($ORIGIN too), then the usual. */
static bool find_library(const char *exe, const char *runpath, const char *lib, char *out,
			 size_t len)
{
	char origin[PATH_MAX], paths[PATH_MAX], *save = NULL;

	snprintf(origin, sizeof(origin), "%s", exe);
	dirname(origin);
	snprintf(paths, sizeof(paths), "%s", runpath);
	for (char *dir = strtok_r(paths, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		int n = !strncmp(dir, "$ORIGIN", 7) ?
				snprintf(out, len, "%s%s/%s", origin, dir + 7, lib) :
				snprintf(out, len, "%s/%s", dir, lib);

		if (n > 0 && (size_t)n < len && !access(out, R_OK))
			return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(lib_dirs); i++) {
		snprintf(out, len, "%s/%s", lib_dirs[i], lib);
		if (!access(out, R_OK))
			return true;
	}
	return false;
}

/* "libpython3.11.so.1.0" -> "3.11"; "libruby-3.1.so.3.1.2" -> "3.1.2" (the longest we can). */
static void version_from_name(const char *file, const char *prefix, char *out, size_t len)
{
	const char *p = file + strlen(prefix);
	size_t n = 0;

	while (*p == '-' || *p == '.')
		p++;
	while ((p[n] >= '0' && p[n] <= '9') || (p[n] == '.' && p[n + 1] >= '0' && p[n + 1] <= '9'))
		n++;
	if (n && n < len) {
		memcpy(out, p, n);
		out[n] = '\0';
	}
	/*
	 * A fuller version after ".so.": libperl.so.5.36 -> 5.36, libruby-3.1.so.3.1.2 -> 3.1.2
	 * (it must extend what the name said, or stand alone).
	 */
	const char *so = strstr(file, ".so.");
	size_t have = strlen(out);

	if (so && strlen(so + 4) < len && strlen(so + 4) > have &&
	    (!strchr(out, '.') || !strncmp(so + 4, out, have)))
		snprintf(out, len, "%s", so + 4);
}

/* The first "MARK1.2.3" in the file (for python, MARK is the MAJOR.MINOR. known from a name). */
static void version_in_file(const char *path, const char *mark, size_t marklen, char *out,
			    size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	const char *data, *p, *end;

	if (fd < 0 || fstat(fd, &st) || st.st_size <= 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED)
		return;
	end = data + st.st_size;
	for (p = data; (p = memmem(p, (size_t)(end - p), mark, marklen)); p += marklen) {
		const char *v = p + marklen;
		size_t n = 0, dots = 0;

		/* the mark may end inside the version ("\0v5." or "\03.11."): back up to its digits */
		while (v > p && ((v[-1] >= '0' && v[-1] <= '9') || v[-1] == '.'))
			v--;
		while (v + n < end && ((v[n] >= '0' && v[n] <= '9') || v[n] == '.'))
			dots += v[n++] == '.';
		bool ends = v + n >= end || !((v[n] >= 'a' && v[n] <= 'z') || (v[n] >= 'A' && v[n] <= 'Z'));

		if (dots == 2 && n < len && v[n - 1] != '.' && ends) {
			memcpy(out, v, n);
			out[n] = '\0';
			break;
		}
	}
	munmap((void *)data, (size_t)st.st_size);
}

static void refine_version(const struct runtime *rt, const char *file, struct interp *out)
{
	char mark[40];

	if (rt->version_mark) {
		/* marks starting with NUL need an explicit length */
		size_t n = rt->version_mark[0] ? strlen(rt->version_mark)
					       : 1 + strlen(rt->version_mark + 1);
		version_in_file(file, rt->version_mark, n, out->version, sizeof(out->version));
		return;
	}
	if (!strcmp(rt->name, "python") && !out->version[0]) {
		/* a renamed binary gives no hint: the first NUL-delimited "3.x.y" string */
		version_in_file(file, "\0" "3.", 3, out->version, sizeof(out->version));
		return;
	}
	if (!strcmp(rt->name, "python") && strchr(out->version, '.') &&
	    !strchr(strchr(out->version, '.') + 1, '.')) {
		/* no leading NUL: the linker may merge "3.11.7" into the tail of "Python-3.11.7" */
		int n = snprintf(mark, sizeof(mark), "%s.", out->version);

		version_in_file(file, mark, (size_t)n, out->version, sizeof(out->version));
	}
}

/* python3.11, perl5.36, php8.2, lua5.4: a version hint in the executable's own name. */
static void version_from_exe_name(const char *exe, const struct runtime *rt, struct interp *out)
{
	char copy[PATH_MAX];
	const char *base;

	snprintf(copy, sizeof(copy), "%s", exe);
	base = basename(copy);
	while (*base && !(*base >= '0' && *base <= '9'))
		base++;
	if (*base && strchr(base, '.'))
		snprintf(out->version, sizeof(out->version), "%.31s", base);
	if (!strcmp(rt->name, "jvm")) {
		const char *j = strstr(exe, "/java-");

		if (j)
			snprintf(out->version, sizeof(out->version), "%.*s",
				 (int)strspn(j + 6, "0123456789"), j + 6);
	}
}

static void detect(const char *exe, struct interp *out)
{
	struct elf_facts f;
	char lib[PATH_MAX], real[PATH_MAX];

	memset(out, 0, sizeof(*out));
	if (read_elf(exe, &f))
		return;
	if (f.by_symbol) {
		snprintf(out->name, sizeof(out->name), "%s", f.by_symbol->name);
		version_from_exe_name(exe, f.by_symbol, out);
		refine_version(f.by_symbol, exe, out);
		return;
	}
	for (int i = 0; i < f.nneeded; i++) {
		for (size_t r = 0; r < nruntimes; r++) {
			const struct runtime *rt = &runtimes[r];

			if (strncmp(f.needed[i], rt->library, strlen(rt->library)))
				continue;
			snprintf(out->name, sizeof(out->name), "%s", rt->name);
			version_from_name(f.needed[i], rt->library, out->version, sizeof(out->version));
			if (find_library(exe, f.runpath, f.needed[i], lib, sizeof(lib)) &&
			    realpath(lib, real)) {
				/* the real file's name may say more: libruby-3.1.so.3.1.2 */
				version_from_name(basename(real), rt->library, out->version,
						  sizeof(out->version));
				refine_version(rt, real, out);
			}
			return;
		}
		if (!strncmp(f.needed[i], "libjli", 6)) { /* the java launcher dlopens libjvm */
			snprintf(out->name, sizeof(out->name), "jvm");
			version_from_exe_name(exe, runtime_by_name("jvm"), out);
			return;
		}
	}
}

int interp_shutdown_probe(const char *exe, char *path, size_t len, char *symbol, size_t symlen)
{
	struct elf_facts f, lib;
	char found[PATH_MAX];

	if (read_elf(exe, &f))
		return -1;
	if (f.by_symbol) {
		if (!f.by_symbol->symbol_is_shutdown)
			return -1;
		snprintf(path, len, "%s", exe);
		snprintf(symbol, symlen, "%s", f.symbol);
		return 0;
	}
	for (int i = 0; i < f.nneeded; i++) {
		for (size_t r = 0; r < nruntimes; r++) {
			if (strncmp(f.needed[i], runtimes[r].library, strlen(runtimes[r].library)))
				continue;
			if (!find_library(exe, f.runpath, f.needed[i], found, sizeof(found)) ||
			    !realpath(found, path) || read_elf(path, &lib) || !lib.by_symbol ||
			    !lib.by_symbol->symbol_is_shutdown)
				return -1;
			snprintf(symbol, symlen, "%s", lib.symbol);
			return 0;
		}
	}
	return -1;
}

/* Cache: file identity -> "name version". */
static struct idmap cache;

static uint64_t identity(const struct stat *st)
{
	return ((uint64_t)st->st_dev << 40) ^ ((uint64_t)st->st_ino << 8) ^
	       (uint64_t)st->st_mtim.tv_sec ^ ((uint64_t)st->st_mtim.tv_nsec << 20) ^ 1;
}

void interp_of_exe(const char *exe, struct interp *out)
{
	struct stat st;
	const char *hit;
	char text[64];

	memset(out, 0, sizeof(*out));
	if (!exe || !*exe || stat(exe, &st) || !S_ISREG(st.st_mode))
		return;
	hit = idmap_get(&cache, identity(&st));
	if (hit) {
		interp_parse(hit, out);
		return;
	}
	detect(exe, out);
	idmap_put(&cache, identity(&st), interp_text(out, text, sizeof(text)));
}

void interp_of_pid(uint32_t pid, const char *exe, struct interp *out)
{
	char path[64], line[PATH_MAX + 128];
	FILE *f;

	interp_of_exe(exe, out);
	if (out->name[0])
		return;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *file = strrchr(line, '/');

		if (!file)
			continue;
		file++;
		file[strcspn(file, "\n")] = '\0';
		for (size_t r = 0; r < nruntimes; r++) {
			if (strncmp(file, runtimes[r].library, strlen(runtimes[r].library)))
				continue;
			snprintf(out->name, sizeof(out->name), "%s", runtimes[r].name);
			version_from_name(file, runtimes[r].library, out->version,
					  sizeof(out->version));
			fclose(f);
			return;
		}
	}
	if (f)
		fclose(f);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * memreap help: the command list, one command's help, and from the same tables the man page
 * and the bash and zsh completions (make builds both with this binary; make install installs them).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "util.h"

static const struct cmd_option help_options[] = {
	{ "man", 'm', false, NULL, NULL, "print the man page memreap(1), in roff" },
	{ "bash-completion", 'B', false, NULL, NULL, "print the bash completion script" },
	{ "zsh-completion", 'Z', false, NULL, NULL, "print the zsh completion script" },
	OPT_HELP,
	{ NULL },
};

const struct cmd_help help_help = {
	.name = "help",
	.args = "[COMMAND]",
	.summary = "this list, or a command's options",
	.text = "Without COMMAND, lists the commands; with one, prints what `memreap COMMAND --help`\n"
		"prints: what it does, every option with its values and default, an example.",
	.options = help_options,
	.example = "memreap help report",
};

void help_list(FILE *f)
{
	fprintf(f, "usage: memreap COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < ncommands; i++)
		fprintf(f, "  %-9s %s\n", commands[i].help->name, commands[i].help->summary);
	fprintf(f, "\n'memreap help COMMAND' or 'memreap COMMAND --help' shows a command's options;\n"
		   "'man memreap' has them all.\n");
}

bool help_command(FILE *f, const char *name)
{
	for (size_t i = 0; i < ncommands; i++) {
		if (!strcmp(commands[i].help->name, name)) {
			cmd_print_help(f, commands[i].help);
			return true;
		}
	}
	return false;
}

/* Text as roff: hyphens are minus signs in options, a leading dot or quote is not a request. */
static void roff(FILE *f, const char *s)
{
	bool line_start = true;

	for (; *s; s++) {
		if (line_start && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '-' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
		line_start = *s == '\n';
	}
}

static void man_option(FILE *f, const struct cmd_option *o)
{
	fputs(".TP\n", f);
	if (o->letter)
		fprintf(f, "\\fB\\-%c\\fR, ", o->key);
	fputs("\\fB\\-\\-", f);
	roff(f, o->name);
	fputs("\\fR", f);
	if (o->value) {
		fputs(" \\fI", f);
		roff(f, o->value);
		fputs("\\fR", f);
	}
	fputc('\n', f);
	roff(f, o->help);
	if (o->choices) {
		fputs(" (", f);
		roff(f, o->choices);
		fputc(')', f);
	}
	fputc('\n', f);
}

static void man_command(FILE *f, const struct cmd_help *h)
{
	fprintf(f, ".SS \"memreap %s [OPTIONS]", h->name);
	if (h->args) {
		fputc(' ', f);
		roff(f, h->args);
	}
	fputs("\"\n", f);
	roff(f, h->text);
	fputc('\n', f);
	for (const struct cmd_option *o = h->options; o && o->name; o++)
		man_option(f, o);
	if (h->more) {
		fprintf(f, ".PP\n%s:\n.nf\n", h->more_title);
		roff(f, h->more);
		fputs("\n.fi\n", f);
	}
	if (h->example) {
		fputs(".PP\nExample:\n.RS\n.B ", f);
		roff(f, h->example);
		fputs("\n.RE\n", f);
	}
}

static const char man_head[] =
	".TH MEMREAP 1 \"\" \"memreap " MEMREAP_VERSION "\" \"User Commands\"\n"
	".SH NAME\nmemreap \\- who gives memory back, the process or the kernel, and is it freed\n"
	".SH SYNOPSIS\n.B memreap\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n"
	".SH DESCRIPTION\nmemreap keeps an exact ledger of every address space's resident memory with\n"
	"eBPF: what each process faulted in, what it released itself (munmap, brk, madvise, mremap),\n"
	"what the kernel took while it ran, at its exit or at exec, and of what left how much went\n"
	"back to the page allocator (freed) and how much stays in memory elsewhere (the page\n"
	"cache, shmem, pages still shared with another process).\n"
	".PP\nSizes take binary units: 4096, 512K, 100M, 1.5G.\n.SH COMMANDS\n";

static const char man_tail[] =
	".SH EXIT STATUS\n\\fBrun\\fR and \\fBrecord \\-\\- CMD\\fR exit with CMD's status (128 + N\n"
	"when a signal N ended it, 127 when it could not run). Otherwise 0 on success, 1 on an\n"
	"error (one line on stderr names it), 2 on a usage error.\n"
	".SH FILES\n.TP\n.I /sys/kernel/btf/vmlinux\nthe kernel's BTF (MEMREAP_BTF names another)\n"
	".SH SEE ALSO\n\\fBtop\\fR(1), \\fBtime\\fR(1), \\fBproc\\fR(5), \\fBbpftool\\fR(8)\n";

static void print_man(FILE *f)
{
	fputs(man_head, f);
	for (size_t i = 0; i < ncommands; i++)
		man_command(f, commands[i].help);
	fputs(man_tail, f);
}

/* One case per command: its options, and for each option with a value what may follow it. */
static void bash_command(FILE *f, const struct cmd_help *h)
{
	fprintf(f, "\t%s)\n\t\tcase $prev in\n", h->name);
	for (const struct cmd_option *o = h->options; o->name; o++) {
		if (!o->value)
			continue;
		fprintf(f, "\t\t--%s", o->name);
		if (o->letter)
			fprintf(f, "|-%c", o->key);
		if (o->choices)
			fprintf(f, ") COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n",
				o->choices);
		else if (strstr(o->value, "FILE"))
			fprintf(f, ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
		else
			fprintf(f, ") return ;;\n");
	}
	fprintf(f, "\t\tesac\n\t\topts='");
	for (const struct cmd_option *o = h->options; o->name; o++)
		fprintf(f, "%s--%s", o == h->options ? "" : " ", o->name);
	fprintf(f, "'\n\t\t;;\n");
}

static const char bash_head[] =
	"# bash completion for memreap, made by 'memreap help --bash-completion'.\n"
	"_memreap() {\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts w i\n"
	"\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	"\t\tCOMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n"
	"\t\treturn\n\tfi\n"
	"\tfor ((i = 2; i < COMP_CWORD; i++)); do # after --: CMD and its arguments\n"
	"\t\tif [ \"${COMP_WORDS[i]}\" = -- ]; then\n"
	"\t\t\tCOMPREPLY=($(compgen -c -f -- \"$cur\"))\n\t\t\treturn\n\t\tfi\n\tdone\n"
	"\tcase ${COMP_WORDS[1]} in\n";

static void print_bash(FILE *f)
{
	char names[256] = "";
	size_t n = 0;

	for (size_t i = 0; i < ncommands && n < sizeof(names); i++)
		n += snprintf(names + n, sizeof(names) - n, "%s%s", i ? " " : "",
			      commands[i].help->name);
	fprintf(f, bash_head, names);
	for (size_t i = 0; i < ncommands; i++)
		bash_command(f, commands[i].help);
	fprintf(f, "\t*) return ;;\n\tesac\n"
		   "\tif [[ $cur == -* ]]; then\n"
		   "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
		   "\telif [ \"${COMP_WORDS[1]}\" = help ]; then\n"
		   "\t\tCOMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n"
		   "\telse\n\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n\tfi\n"
		   "}\ncomplete -F _memreap memreap\n", names);
}

/* Text inside a single-quoted zsh word and an _arguments description: no ', [, ] or :. */
static void zsh_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
}

static void zsh_option(FILE *f, const struct cmd_option *o)
{
	fputs("\t\t\t", f);
	if (o->letter)
		fprintf(f, "'(-%c --%s)'{-%c,--%s}'[", o->key, o->name, o->key, o->name);
	else
		fprintf(f, "'--%s[", o->name);
	zsh_text(f, o->help);
	fputc(']', f);
	if (o->value && o->choices)
		fprintf(f, ":%s:(%s)", o->value, o->choices);
	else if (o->value)
		fprintf(f, ":%s:%s", o->value, strstr(o->value, "FILE") ? "_files" : " ");
	fputs("' \\\n", f);
}

static void zsh_command(FILE *f, const struct cmd_help *h)
{
	fprintf(f, "\t%s)\n\t\t_arguments -s -S \\\n", h->name);
	for (const struct cmd_option *o = h->options; o->name; o++)
		zsh_option(f, o);
	if (h->args && strstr(h->args, "CMD"))
		fputs("\t\t\t'*::command:_normal'\n", f);
	else if (h->args && strstr(h->args, "COMMAND"))
		fputs("\t\t\t'1:command:->commands'\n", f);
	else if (h->args)
		fputs("\t\t\t'1:file:_files'\n", f);
	else
		fputs("\t\t\t&& return\n", f);
	fputs("\t\t;;\n", f);
}

static void print_zsh(FILE *f)
{
	fputs("#compdef memreap\n# zsh completion for memreap, made by 'memreap help "
	      "--zsh-completion'.\n_memreap() {\n\tlocal state\n\tlocal -a cmds\n\tcmds=(\n", f);
	for (size_t i = 0; i < ncommands; i++) {
		fprintf(f, "\t\t'%s:", commands[i].help->name);
		zsh_text(f, commands[i].help->summary);
		fputs("'\n", f);
	}
	fputs("\t)\n\tif (( CURRENT == 2 )); then\n\t\t_describe -t commands command cmds\n"
	      "\t\treturn\n\tfi\n\tlocal cmd=$words[2]\n\tshift words\n\t(( CURRENT-- ))\n"
	      "\tcase $cmd in\n", f);
	for (size_t i = 0; i < ncommands; i++)
		zsh_command(f, commands[i].help);
	fputs("\tesac\n\t[[ $state == commands ]] && _describe -t commands command cmds\n}\n"
	      "_memreap \"$@\"\n", f);
}

int cmd_help(int argc, char **argv)
{
	int opt, rc;

	while ((opt = cmd_getopt(argc, argv, &help_help)) != -1) {
		if (opt == 'm')
			return print_man(stdout), 0;
		if (opt == 'B')
			return print_bash(stdout), 0;
		if (opt == 'Z')
			return print_zsh(stdout), 0;
		if ((rc = common_option(opt, &help_help, NULL, argv)) >= 0)
			return rc;
	}
	if (optind == argc)
		return help_list(stdout), 0;
	if (optind + 1 < argc)
		return usage_error(&help_help, "help takes one COMMAND");
	if (help_command(stdout, argv[optind]))
		return 0;
	fprintf(stderr, "memreap: unknown command '%s' (try 'memreap help')\n", argv[optind]);
	return EXIT_USAGE;
}

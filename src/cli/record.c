/*
 * record.c: the record command, which runs a program under strace and
 * imports the log into traces.
 *
 * Why strace and not an LD_PRELOAD shim: a shim sees neither the dynamic
 * linker's mappings (made before any preload runs), nor glibc's internal
 * ones (malloc calls __mmap, not the PLT's mmap), nor raw syscall(SYS_mmap)
 * calls, nor static binaries; ptrace sees every system call of every
 * thread and child. strace already decodes them, follows clones (-f) and,
 * with --seccomp-bpf, stops the program only at the calls it records, so
 * it is the tracer here rather than ptrace code of our own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "linux_maps.h"
#include "strace_import.h"
#include "xalloc.h"

/* The calls to record: every memory call, and what tells threads, processes and images apart. */
#define RECORD_CALLS "trace=%memory,clone,clone3,fork,vfork,execve,execveat"

/* An exit status of the child when strace could not be started at all. */
enum { EXEC_FAILED = 127 };

static void
record_usage(FILE *out)
{
	fputs("usage: rmemu record [OPTIONS] -- COMMAND [ARGS...]\n"
	      "\n"
	      "Run COMMAND under strace, recording every memory-mapping call of every thread\n"
	      "and child (the dynamic linker's, malloc's and raw syscalls too), and write one\n"
	      "trace per address space, PREFIX.PID.trace (PREFIX.PID.N.trace after an execve).\n"
	      "Prints the names written.\n"
	      "\n"
	      "  -o, --prefix PREFIX  where the traces go (default: COMMAND's name, here)\n"
	      "  -l, --log FILE       keep strace's log in FILE (default: a temporary file)\n"
	      "  -q, --quota SPEC     the quota to write, as 'ram=64M caps=500' (default: one\n"
	      "                       that never limits the mmap area)\n"
	      "  -s, --strict         fail (exit 2, no traces) if a call cannot be read, or\n"
	      "                       what it did to the mappings cannot be carried in a trace\n"
	      "      --strace PATH    the strace to run (default: strace on the PATH)\n"
	      "  -h, --help           show this help\n"
	      "\n"
	      "Standard error says which calls became comments in the traces: each one that\n"
	      "cannot be read, and a summary of the rest.\n"
	      "Needs strace (Debian: apt-get install strace) and permission to ptrace.\n"
	      "Exit status: 0 when the traces were written (whatever COMMAND's status),\n"
	      "2 when recording failed or on bad usage.\n", out);
}

/*
 * Run argv with standard output and error sent to err_fd (-1: inherited);
 * returns its wait status, or -1 if it could not be started (*exec_errno
 * says why). SIGINT and SIGQUIT reach the child (they go to the whole
 * terminal process group) but not us, so that we import what was recorded.
 */
static int
run(char *const argv[], int err_fd, int *exec_errno)
{
	int pipefd[2], status = -1, e = 0;
	struct sigaction ignore, old_int, old_quit;
	pid_t pid;

	*exec_errno = 0;
	/* the child reports a failed exec through a close-on-exec pipe */
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		*exec_errno = errno;
		return -1;
	}
	memset(&ignore, 0, sizeof(ignore));
	ignore.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		if (err_fd >= 0) {
			dup2(err_fd, 1);
			dup2(err_fd, 2);
		}
		execvp(argv[0], argv);
		e = errno;
		if (write(pipefd[1], &e, sizeof(e)) != (ssize_t)sizeof(e))
			e = 0;      /* then the parent sees only the exit status */
		_exit(EXEC_FAILED);
	}
	close(pipefd[1]);
	if (pid < 0) {
		*exec_errno = errno;
		close(pipefd[0]);
	} else {
		if (read(pipefd[0], &e, sizeof(e)) == (ssize_t)sizeof(e))
			*exec_errno = e;
		close(pipefd[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (*exec_errno)
			status = -1;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	return status;
}

/* A new temporary file in $TMPDIR (or /tmp); its name in *path, to free. -1 on failure. */
static int
temp_file(const char *stem, char **path)
{
	const char *dir = getenv("TMPDIR");
	size_t n;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	n = strlen(dir) + strlen(stem) + 16;
	*path = xrealloc(NULL, n);
	snprintf(*path, n, "%s/%s-XXXXXX", dir, stem);
	fd = mkstemp(*path);
	if (fd < 0) {
		fprintf(stderr, "rmemu record: a temporary file in %s: %s\n", dir, strerror(errno));
		free(*path);
		*path = NULL;
	}
	return fd;
}

/*
 * Run strace on 'true', with its messages in msg. Returns the wait
 * status, -1 if strace could not be started (*exec_errno says why), or -2
 * if there was no temporary file for its messages (said already).
 */
static int
probe_once(const char *strace, int seccomp, char *msg, size_t size, int *exec_errno)
{
	char *tmp;
	int fd = temp_file("rmemu-probe", &tmp), status, n = 0;
	char *argv[12];
	ssize_t got;

	msg[0] = 0;
	*exec_errno = 0;
	if (fd < 0)
		return -2;      /* temp_file said why */
	unlink(tmp);
	free(tmp);
	argv[n++] = (char *)strace;
	if (seccomp)
		argv[n++] = (char *)"--seccomp-bpf";
	argv[n++] = (char *)"-f";
	argv[n++] = (char *)"-qq";
	argv[n++] = (char *)"-e";
	argv[n++] = (char *)"trace=none";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"/dev/null";
	argv[n++] = (char *)"--";
	argv[n++] = (char *)"true";
	argv[n] = NULL;
	status = run(argv, fd, exec_errno);
	if (lseek(fd, 0, SEEK_SET) == 0 && (got = read(fd, msg, size - 1)) > 0) {
		msg[got] = 0;
		msg[strcspn(msg, "\n")] = 0;
	}
	close(fd);
	return status;
}

/*
 * Whether strace can trace here, tried on 'true' before the real run so that
 * its complaints are not lost among the program's output. Sets *seccomp if
 * strace takes --seccomp-bpf. Returns 0, or -1 after saying what is wrong.
 */
static int
probe_strace(const char *strace, int *seccomp)
{
	char msg[512];
	int status, e;

	*seccomp = 1;
	status = probe_once(strace, 1, msg, sizeof(msg), &e);
	if (status >= 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
	    !strstr(msg, "ptrace") && !strstr(msg, "not permitted")) {
		/* an strace older than 5.3 does not know --seccomp-bpf: try without */
		*seccomp = 0;
		status = probe_once(strace, 0, msg, sizeof(msg), &e);
	}
	if (status == -2)
		return -1;
	if (status < 0) {
		if (e == ENOENT)
			fprintf(stderr, "rmemu record: %s is not installed (Debian: apt-get install strace; "
			        "scripts/setup installs it), or give its path with --strace\n", strace);
		else
			fprintf(stderr, "rmemu record: cannot run %s: %s\n", strace, strerror(e));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (strstr(msg, "ptrace") || strstr(msg, "not permitted"))
		fprintf(stderr, "rmemu record: ptrace is not permitted here, so strace cannot record (%s).\n"
		        "  In a container, run it with --cap-add=SYS_PTRACE (and a seccomp profile that\n"
		        "  allows ptrace); with Yama, set kernel.yama.ptrace_scope to 0 or 1.\n", msg);
	else
		fprintf(stderr, "rmemu record: %s does not work here: %s\n", strace, msg[0] ? msg : "no message");
	return -1;
}

/* "rmemu record -- CMD ARGS", quoted where needed, for the head of the traces. */
static char *
command_note(char **cmd, int n)
{
	size_t cap = 64, len = 0;
	char *s = xrealloc(NULL, cap);

	len = (size_t)snprintf(s, cap, "Recorded with: rmemu record --");
	for (int i = 0; i < n; i++) {
		int quote = cmd[i][0] == 0 || strpbrk(cmd[i], " \t\"'\\$`*?;&|<>()#") != NULL;
		size_t need = len + strlen(cmd[i]) * 4 + 8;

		if (need > cap) {
			cap = need * 2;
			s = xrealloc(s, cap);
		}
		s[len++] = ' ';
		if (quote)
			s[len++] = '\'';
		for (const char *p = cmd[i]; *p; p++) {
			if (*p == '\'' && quote) {
				memcpy(s + len, "'\\''", 4);
				len += 4;
			} else if (*p == '\n') {
				memcpy(s + len, "\\n", 2);   /* a comment is one line */
				len += 2;
			} else {
				s[len++] = *p;
			}
		}
		if (quote)
			s[len++] = '\'';
		s[len] = 0;
	}
	return s;
}

/*
 * Run cmd (ncmd words) under strace, logging the calls a trace needs to
 * log; returns its wait status, or -1 with *err if it could not be run.
 */
static int
strace_command(const char *strace, int seccomp, const char *log, char **cmd, int ncmd, int *err)
{
	char **sargv = xcalloc((size_t)ncmd + 16, sizeof(*sargv));
	int nargs = 0, status;

	sargv[nargs++] = (char *)strace;
	if (seccomp)
		sargv[nargs++] = (char *)"--seccomp-bpf";
	sargv[nargs++] = (char *)"-f";
	sargv[nargs++] = (char *)"-q";
	sargv[nargs++] = (char *)"-y";    /* descriptors with their paths, for the traces' remarks */
	sargv[nargs++] = (char *)"-e";
	sargv[nargs++] = (char *)RECORD_CALLS;
	sargv[nargs++] = (char *)"-o";
	sargv[nargs++] = (char *)log;
	sargv[nargs++] = (char *)"--";
	for (int i = 0; i < ncmd; i++)
		sargv[nargs++] = cmd[i];
	status = run(sargv, -1, err);
	free(sargv);
	return status;
}

int
cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prefix", required_argument, NULL, 'o' },
		{ "log", required_argument, NULL, 'l' },
		{ "quota", required_argument, NULL, 'q' },
		{ "strace", required_argument, NULL, 'S' },
		{ "strict", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	import_options_t opt;
	const char *prefix = NULL, *log = NULL, *strace = "strace";
	char *tmp_log = NULL;
	char *text, *note, *default_prefix = NULL;
	size_t len;
	int c, seccomp, status, e, result;

	memset(&opt, 0, sizeof(opt));
	optind = 1;
	/* "+": the options end at COMMAND, whose own options are not ours */
	while ((c = getopt_long(argc, argv, "+o:l:q:sh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': prefix = optarg; break;
		case 's': opt.strict = 1; break;
		case 'l': log = optarg; break;
		case 'S': strace = optarg; break;
		case 'q':
			if (import_parse_quota(optarg, &opt) != 0)
				return EXIT_USAGE;
			break;
		case 'h': record_usage(stdout); return EXIT_OK;
		default: record_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		record_usage(stderr);
		return EXIT_USAGE;
	}
	if (probe_strace(strace, &seccomp) != 0)
		return EXIT_USAGE;
	if (!log) {
		int fd = temp_file("rmemu-record", &tmp_log);

		if (fd < 0)
			return EXIT_USAGE;
		close(fd);
		log = tmp_log;
	}

	status = strace_command(strace, seccomp, log, argv + optind, argc - optind, &e);
	if (status < 0) {
		fprintf(stderr, "rmemu record: cannot run %s: %s\n", strace, strerror(e));
		result = EXIT_USAGE;
		goto out;
	}
	if (WIFSIGNALED(status))
		fprintf(stderr, "rmemu record: %s was killed by signal %d; importing what it recorded\n",
		        argv[optind], WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		fprintf(stderr, "rmemu record: %s exited with status %d; importing what it recorded\n",
		        argv[optind], WEXITSTATUS(status));

	if (cli_read_file(log, &text, &len) != 0) {
		result = EXIT_USAGE;
		goto out;
	}
	if (len == 0) {
		fprintf(stderr, "rmemu record: strace recorded nothing; is '%s' a program?\n", argv[optind]);
		free(text);
		result = EXIT_USAGE;
		goto out;
	}
	if (!prefix) {
		const char *base = strrchr(argv[optind], '/');

		default_prefix = xstrndup(base ? base + 1 : argv[optind], strlen(base ? base + 1 : argv[optind]));
		prefix = default_prefix;
	}
	note = command_note(argv + optind, argc - optind);
	opt.note = note;
	/* which of the program's refusals are the map-count limit's */
	opt.system_map_count_max = linux_max_map_count();
	result = strace_import(log == tmp_log ? "strace's log" : log, text, len, prefix, &opt);
	free(note);
	free(text);
out:
	if (tmp_log) {
		unlink(tmp_log);
		free(tmp_log);
	}
	free(default_prefix);
	return result;
}

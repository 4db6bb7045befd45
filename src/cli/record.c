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
#include <sys/stat.h>
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

/* record's own failure, told apart from the program's statuses it passes through (as timeout(1)). */
enum { RECORD_FAILED = 125 };

static void
record_usage(FILE *out)
{
	fputs("usage: rmemu record [OPTIONS] -- COMMAND [ARGS...]\n"
	      "\n"
	      "Run COMMAND under strace, recording every memory-mapping call of every thread\n"
	      "and child (the dynamic linker's, malloc's and raw syscalls too), and write one\n"
	      "trace per address space, PREFIX.PID.trace (PREFIX.PID.N.trace after an execve).\n"
	      "Standard error says which traces were written; standard output is COMMAND's.\n"
	      "\n"
	      "  -o, --prefix PREFIX  where the traces go (default: COMMAND's name, here)\n"
	      "  -l, --log FILE       keep strace's log in FILE (default: a temporary file)\n"
	      "  -Q, --quota SPEC     the quota to write, as 'ram=64M caps=500' (default: one\n"
	      "                       that never limits the mmap area)\n"
	      "  -s, --strict         fail if a call cannot be read, or what it did to the\n"
	      "                       mappings cannot be carried in a trace (no traces)\n"
	      "  -q, --quiet          no names of the traces written, no progress line\n"
	      "      --strace PATH    the strace to run (default: strace on the PATH)\n"
	      "  -h, --help           show this help\n"
	      "\n"
	      "SIGINT, SIGTERM and SIGHUP end COMMAND; what was recorded is written all the same.\n"
	      "Needs strace (Debian: apt-get install strace) and permission to ptrace.\n"
	      "Exit status: COMMAND's own once the traces are written (128+N if signal N ended\n"
	      "it); 125 when recording failed or on bad usage, like timeout(1) and env(1).\n", out);
}

/*
 * The child being run, for the signal handlers: SIGTERM and SIGHUP sent to
 * rmemu are passed on to it (strace then ends the program with the same
 * signal and stops), so that what was recorded is imported as after
 * SIGINT, which reaches the child anyway (it goes to the whole terminal
 * process group).
 */
static volatile pid_t running_child;
static volatile sig_atomic_t signal_seen;

static void
pass_on(int sig)
{
	signal_seen = sig;
	if (running_child > 0)
		kill(running_child, sig);
}

/*
 * Run argv with standard output and error sent to err_fd (-1: inherited);
 * returns its wait status, or -1 if it could not be started (*exec_errno
 * says why). SIGINT and SIGQUIT reach the child (they go to the whole
 * terminal process group) but not us, and SIGTERM and SIGHUP are passed
 * on to it (cmd_record's handler), so that we import what was recorded.
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
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
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
		running_child = pid;
		/* a signal that came before the child was known */
		if (signal_seen)
			kill(pid, signal_seen);
		while (read(pipefd[0], &e, sizeof(e)) < 0 && errno == EINTR)
			;
		if (e)
			*exec_errno = e;
		close(pipefd[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		running_child = 0;
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

/*
 * Whether a file can be made as path: its directory exists and may be
 * written. Checked before the program runs, so that a typo in -o or -l
 * costs nothing. 0, or -1 after a message naming what.
 */
static int
can_write_in(const char *path, const char *what)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrndup(".", 1);
	struct stat st;
	int ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(dir, W_OK | X_OK) == 0;

	if (!ok)
		fprintf(stderr, "rmemu record: %s %s: %s %s\n", what, path,
		        stat(dir, &st) != 0 ? "no directory" : !S_ISDIR(st.st_mode) ? "not a directory"
		        : "cannot write in", dir);
	free(dir);
	return ok ? 0 : -1;
}

/* The program's wait status as an exit status, as a shell gives it. */
static int
exit_status_of(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int
cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prefix", required_argument, NULL, 'o' },
		{ "log", required_argument, NULL, 'l' },
		{ "quota", required_argument, NULL, 'Q' },
		{ "strace", required_argument, NULL, 'S' },
		{ "strict", no_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	import_options_t opt;
	const char *prefix = NULL, *log = NULL, *strace = "strace";
	char *tmp_log = NULL;
	char *note = NULL, *default_prefix = NULL;
	struct sigaction forward, old_term, old_hup;
	cli_lines_t lines;
	int c, seccomp, status, e, result, quiet = 0;

	memset(&opt, 0, sizeof(opt));
	optind = 1;
	/* "+": the options end at COMMAND, whose own options are not ours */
	while ((c = getopt_long(argc, argv, "+o:l:Q:sqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': prefix = optarg; break;
		case 's': opt.strict = 1; break;
		case 'l': log = optarg; break;
		case 'S': strace = optarg; break;
		case 'q': quiet = 1; break;
		case 'Q':
			if (import_parse_quota(optarg, &opt) != 0)
				return RECORD_FAILED;
			break;
		case 'h': record_usage(stdout); return EXIT_OK;
		default: return cli_usage_error("record", NULL), RECORD_FAILED;
		}
	}
	if (optind == argc)
		return cli_usage_error("record", "no COMMAND to run"), RECORD_FAILED;
	if (prefix && !*prefix)
		return cli_usage_error("record", "--prefix is empty"), RECORD_FAILED;
	if (log && !*log)
		return cli_usage_error("record", "--log is empty"), RECORD_FAILED;
	if (!prefix) {
		const char *base = strrchr(argv[optind], '/');

		default_prefix = xstrndup(base ? base + 1 : argv[optind], strlen(base ? base + 1 : argv[optind]));
		prefix = default_prefix;
	}
	/* the outputs first: a typo must not cost a whole run */
	if (can_write_in(prefix, "--prefix") != 0 || (log && can_write_in(log, "--log") != 0)) {
		free(default_prefix);
		return RECORD_FAILED;
	}

	/* from here on SIGTERM and SIGHUP end the program, not the recording */
	memset(&forward, 0, sizeof(forward));
	forward.sa_handler = pass_on;
	sigaction(SIGTERM, &forward, &old_term);
	sigaction(SIGHUP, &forward, &old_hup);
	result = RECORD_FAILED;
	if (probe_strace(strace, &seccomp) != 0 || signal_seen)
		goto out;
	if (!log) {
		int fd = temp_file("rmemu-record", &tmp_log);

		if (fd < 0)
			goto out;
		close(fd);
		log = tmp_log;
	} else {
		/* strace would say it cannot open the log, and exit as if the program had failed */
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

		if (fd < 0) {
			fprintf(stderr, "rmemu record: --log %s: %s\n", log, strerror(errno));
			goto out;
		}
		close(fd);
	}

	status = strace_command(strace, seccomp, log, argv + optind, argc - optind, &e);
	if (status < 0) {
		fprintf(stderr, "rmemu record: cannot run %s: %s\n", strace, strerror(e));
		goto out;
	}
	if (signal_seen) {
		/* strace ended the program with the signal and stopped; its own status says little */
		fprintf(stderr, "rmemu record: %s ended %s; importing what it recorded\n",
		        strsignal(signal_seen), argv[optind]);
		status = signal_seen;   /* a wait status: killed by that signal */
	} else if (WIFSIGNALED(status))
		fprintf(stderr, "rmemu record: %s was killed by signal %d; importing what it recorded\n",
		        argv[optind], WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0 && !quiet)
		fprintf(stderr, "rmemu record: %s exited with status %d; importing what it recorded\n",
		        argv[optind], WEXITSTATUS(status));

	if (cli_lines_open(&lines, log) != 0)
		goto out;
	if (lines.size == 0) {
		fprintf(stderr, "rmemu record: strace recorded nothing; is '%s' a program?\n", argv[optind]);
		cli_lines_close(&lines);
		goto out;
	}
	note = command_note(argv + optind, argc - optind);
	opt.note = note;
	opt.quiet = quiet;
	/* the names on standard error: standard output is the program's */
	opt.names = quiet ? NULL : stderr;
	opt.names_lead = "rmemu record: wrote ";
	/* which of the program's refusals are the map-count limit's */
	opt.system_map_count_max = linux_max_map_count();
	lines.path = log == tmp_log ? "strace's log" : log;
	if (strace_import_file(&lines, prefix, &opt) == EXIT_OK)
		result = exit_status_of(status);
	cli_lines_close(&lines);
out:
	if (tmp_log) {
		unlink(tmp_log);
		free(tmp_log);
	}
	free(note);
	free(default_prefix);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return result;
}

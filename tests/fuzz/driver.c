/*
 * driver.c: runs a libFuzzer target's entry point over files and
 * directories, for builds without libFuzzer: make check replays the seed
 * corpus and every regression input this way (and make check-valgrind
 * under memcheck). Without arguments it runs FUZZ_DEFAULT_DIRS, a
 * space-separated list set at compile time. Prints "N passed, N failed";
 * a failing input aborts.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned runs;

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *grown = realloc(buf, cap = cap ? cap * 2 : 4096);
			if (!grown) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = grown;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	runs++;
	return 0;
}

static int
run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	d = opendir(path);
	if (!d) {
		perror(path);
		return -1;
	}
	while ((e = readdir(d))) {
		char sub[4096];
		/* hidden files and the README that explains a directory are no inputs */
		if (e->d_name[0] == '.' || strncmp(e->d_name, "README", 6) == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rc |= run_path(sub);
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char defaults[] = FUZZ_DEFAULT_DIRS;
	char *dirs[16];
	int rc = 0;

	if (argc == 1) {
		/* the corpus and regressions of this target */
		argc = 1;
		for (char *tok = strtok(defaults, " "); tok && argc < 16; tok = strtok(NULL, " "))
			dirs[argc++] = tok;
		argv = dirs;
	}
	for (int i = 1; i < argc; i++) {
		char path[4096];
		/* relative paths are relative to the source tree */
		snprintf(path, sizeof(path), "%s%s%s", argv[i][0] == '/' || !top ? "" : top,
		         argv[i][0] == '/' || !top ? "" : "/", argv[i]);
		rc |= run_path(path);
	}
	printf("%u passed, %d failed\n", runs, rc ? 1 : 0);
	return rc ? 1 : 0;
}

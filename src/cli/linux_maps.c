/*
 * linux_maps.c: Linux's mappings of a range of this process (linux_maps.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <rmemu/mmap.h>

#include "linux_maps.h"

/*
 * PROCMAP_QUERY (Linux 6.11, include/uapi/linux/fs.h), under names of our
 * own: the C library's headers may be older than the kernel. The layout
 * is the kernel's ABI; size says which version of it we speak.
 */
struct rme_procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor;
	uint32_t vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};

#define RME_PROCMAP_QUERY _IOWR('f', 17, struct rme_procmap_query)
#define RME_PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
#define RME_PROCMAP_QUERY_VMA_READABLE 0x01
#define RME_PROCMAP_QUERY_VMA_WRITABLE 0x02
#define RME_PROCMAP_QUERY_VMA_EXECUTABLE 0x04

int
spans_add(struct spans *s, uint64_t start, uint64_t end, int prot, int lock)
{
	if (start >= end)
		return 0;
	if (s->n && s->v[s->n - 1].end == start && s->v[s->n - 1].prot == prot &&
	    s->v[s->n - 1].lock == lock) {
		s->v[s->n - 1].end = end;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct span *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct span){ start, end, prot, lock };
	return 0;
}

/* The mapping that holds addr or comes after it: 0, 1 if there is none, -1 on failure. */
static int
query(const struct linux_maps *lm, uint64_t addr, struct rme_procmap_query *q)
{
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->query_flags = RME_PROCMAP_QUERY_COVERING_OR_NEXT_VMA;
	q->query_addr = addr;
	if (ioctl(lm->fd, RME_PROCMAP_QUERY, q) == 0)
		return 0;
	return errno == ENOENT ? 1 : -1;
}

int
linux_maps_open(struct linux_maps *lm)
{
	struct rme_procmap_query q;

	memset(lm, 0, sizeof(*lm));
	lm->fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (lm->fd < 0)
		return -1;
	lm->have_query = query(lm, 0, &q) >= 0;
	return 0;
}

void
linux_maps_close(struct linux_maps *lm)
{
	if (lm->fd >= 0)
		close(lm->fd);
	lm->fd = -1;
}

/* A whole /proc/self file, NUL-terminated, into *buf (to free). */
static int
read_whole(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 1 << 16, n = 0;
	char *b;

	if (fd < 0)
		return -1;
	b = malloc(cap);
	for (;;) {
		ssize_t got;

		if (!b) {
			close(fd);
			return -1;
		}
		if (cap - n < 4096) {
			char *grown = realloc(b, cap * 2);

			if (!grown)
				free(b);
			b = grown;
			cap *= 2;
			continue;
		}
		got = read(fd, b + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(b);
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

/* A hex number at *p, which moves past it. */
static uint64_t
hex_at(const char **p)
{
	uint64_t v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return v;
	}
}

/* "start-end rwxp ...": a mapping's line of maps or smaps; 0 if line is none. */
static int
mapping_line(const char *line, uint64_t *start, uint64_t *end, int *prot)
{
	const char *p = line;

	*start = hex_at(&p);
	if (p == line || *p != '-')
		return 0;
	p++;
	*end = hex_at(&p);
	if (*p != ' ' || !p[1] || !p[2] || !p[3])
		return 0;
	*prot = (p[1] == 'r' ? RME_PROT_READ : 0) | (p[2] == 'w' ? RME_PROT_WRITE : 0) |
	        (p[3] == 'x' ? RME_PROT_EXEC : 0);
	return 1;
}

/* Whether a "VmFlags:" line has the two-letter flag f. */
static int
has_vm_flag(const char *line, const char *f)
{
	for (const char *p = line + 8; (p = strstr(p, f)) != NULL; p += 2)
		if (p[-1] == ' ' && (p[2] == ' ' || p[2] == 0))
			return 1;
	return 0;
}

/* The range from /proc/self/maps (or smaps, with the lock state), read whole. */
static int
range_from_file(struct linux_maps *lm, uint64_t lo, uint64_t hi, uint64_t bias, int locks,
                struct spans *out)
{
	char *buf, *line, *next;
	size_t len;
	uint64_t s = 0, e = 0;
	int prot = 0, pending = 0, rc = 0;

	if (read_whole(locks ? "/proc/self/smaps" : "/proc/self/maps", &buf, &len) != 0)
		return -1;
	lm->reads++;
	for (line = buf; *line && rc == 0; line = next) {
		uint64_t ls, le;
		int lp;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;      /* the line alone, for the searches below */
		else
			next = line + strlen(line);
		if (mapping_line(line, &ls, &le, &lp)) {
			if (le <= lo || ls >= hi) {
				pending = 0;
				continue;
			}
			s = ls < lo ? lo : ls;
			e = le > hi ? hi : le;
			prot = lp;
			pending = locks;
			if (!locks)
				rc = spans_add(out, s - bias, e - bias, prot, -1);
		} else if (pending && strncmp(line, "VmFlags:", 8) == 0) {
			int lock = has_vm_flag(line, "lo") ? 1 + has_vm_flag(line, "lf") : 0;

			rc = spans_add(out, s - bias, e - bias, prot, lock);
			pending = 0;
		}
	}
	free(buf);
	return rc;
}

int
linux_maps_range(struct linux_maps *lm, uint64_t lo, uint64_t hi, uint64_t bias, int locks,
                 struct spans *out)
{
	uint64_t addr = lo;

	if (locks || !lm->have_query)
		return range_from_file(lm, lo, hi, bias, locks, out);
	while (addr < hi) {
		struct rme_procmap_query q;
		int rc = query(lm, addr, &q), prot;

		if (rc > 0)
			break;
		if (rc < 0)
			return -1;
		if (q.vma_start >= hi)
			break;
		prot = ((q.vma_flags & RME_PROCMAP_QUERY_VMA_READABLE) ? RME_PROT_READ : 0) |
		       ((q.vma_flags & RME_PROCMAP_QUERY_VMA_WRITABLE) ? RME_PROT_WRITE : 0) |
		       ((q.vma_flags & RME_PROCMAP_QUERY_VMA_EXECUTABLE) ? RME_PROT_EXEC : 0);
		if (spans_add(out, (q.vma_start < lo ? lo : q.vma_start) - bias,
		              (q.vma_end > hi ? hi : q.vma_end) - bias, prot, -1) != 0)
			return -1;
		addr = q.vma_end;
	}
	return 0;
}

long
linux_map_count(struct linux_maps *lm)
{
	char *buf;
	size_t len;
	long n = 0;

	if (read_whole("/proc/self/maps", &buf, &len) != 0)
		return -1;
	lm->reads++;
	for (const char *p = buf; *p; p++)
		if (*p == '\n')
			n++;
	/* the vsyscall page is the gate VMA, which the map count leaves out */
	if (strstr(buf, "[vsyscall]"))
		n--;
	free(buf);
	return n;
}

uint64_t
linux_max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	unsigned long long n = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

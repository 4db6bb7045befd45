/*
 * genode_string.c: memcmp, strlen and strcmp for rmemu's C sources on
 * Genode. Genode's base library exports memcpy, memmove and memset but
 * keeps its own memcmp, strlen and strcmp local to the C++ runtime. They
 * are hidden here too, so that a component that also links a libc gets
 * the libc's.
 */
#include <string.h>

#define RMEMU_LOCAL __attribute__((visibility("hidden")))

RMEMU_LOCAL int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (size_t i = 0; i < n; i++)
		if (p[i] != q[i])
			return p[i] < q[i] ? -1 : 1;
	return 0;
}

RMEMU_LOCAL size_t
strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

RMEMU_LOCAL int
strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

/*
 * The part of <string.h> that rmemu's portable C sources use, for building
 * them on Genode without a libc. memcpy and memset come from Genode's base
 * library; the others from genode_string.c.
 */
#ifndef RMEMU_GENODE_STRING_H
#define RMEMU_GENODE_STRING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void  *memcpy(void *dst, const void *src, size_t n);
void  *memmove(void *dst, const void *src, size_t n);
void  *memset(void *dst, int c, size_t n);
int    memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int    strcmp(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
